# Written by archc build (compiler/terraform/runners.py).
stack {
  name        = "app"
  description = "archc: road-warrior, layers application"
  id          = "road-warrior-app"
  after       = ["../data", "../shared"]
  watch       = ["../../../../../examples/road-warrior.yaml"]
}
