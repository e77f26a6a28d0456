# Written by archc build (compiler/terraform/runners.py).
stack {
  name        = "serverless-orders-dev"
  description = "archc: serverless-orders-dev, every layer"
  id          = "serverless-orders-dev"
  after       = []
  watch       = ["../../../../../../examples/serverless-orders.yaml"]
}
