# Written by archc build (compiler/terraform/runners.py).
stack {
  name        = "shared"
  description = "archc: road-warrior, what the whole architecture shares"
  id          = "road-warrior-shared"
  after       = []
  watch       = ["../../../../../examples/road-warrior.yaml"]
}
