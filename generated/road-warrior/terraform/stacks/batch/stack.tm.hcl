# Written by archc build (compiler/terraform/runners.py).
stack {
  name        = "batch"
  description = "archc: road-warrior, layers analytics"
  id          = "road-warrior-batch"
  after       = ["../data", "../shared"]
  watch       = ["../../../../../examples/road-warrior.yaml"]
}
