# Written by archc build (compiler/terraform/runners.py).
stack {
  name        = "serverless-orders-prod"
  description = "archc: serverless-orders-prod, every layer"
  id          = "serverless-orders-prod"
  after       = []
  watch       = ["../../../../../../examples/serverless-orders.yaml"]
}
