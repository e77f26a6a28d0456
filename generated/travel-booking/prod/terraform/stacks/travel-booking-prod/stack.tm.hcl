# Written by archc build (compiler/terraform/runners.py).
stack {
  name        = "travel-booking-prod"
  description = "archc: travel-booking-prod, every layer"
  id          = "travel-booking-prod"
  after       = []
  watch       = ["../../../../../../examples/travel-booking.yaml"]
}
