# Written by archc build (compiler/terraform/runners.py).
stack {
  name        = "edge"
  description = "archc: road-warrior, layers clients, presentation"
  id          = "road-warrior-edge"
  after       = ["../app", "../shared"]
  watch       = ["../../../../../examples/road-warrior.yaml"]
}
