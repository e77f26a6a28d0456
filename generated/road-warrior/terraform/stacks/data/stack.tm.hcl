# Written by archc build (compiler/terraform/runners.py).
stack {
  name        = "data"
  description = "archc: road-warrior, layers data"
  id          = "road-warrior-data"
  after       = ["../shared"]
  watch       = ["../../../../../examples/road-warrior.yaml"]
}
