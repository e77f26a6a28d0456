# Written by archc build (compiler/terraform/runners.py).
stack {
  name        = "monitoring"
  description = "archc: road-warrior, layers monitoring"
  id          = "road-warrior-monitoring"
  after       = ["../app", "../batch", "../data"]
  watch       = ["../../../../../examples/road-warrior.yaml"]
}
