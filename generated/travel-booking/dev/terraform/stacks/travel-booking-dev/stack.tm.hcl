# Written by archc build (compiler/terraform/runners.py).
stack {
  name        = "travel-booking-dev"
  description = "archc: travel-booking-dev, every layer"
  id          = "travel-booking-dev"
  after       = []
  watch       = ["../../../../../../examples/travel-booking.yaml"]
}
