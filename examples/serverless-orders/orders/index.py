"""Orders API: stores an order, publishes OrderPlaced on the order bus, records a click event.

Where things are comes from SSM Parameter Store under /archc/serverless-orders/<service>/
(archc publishes each connected service's name and ARN there); the payment key is read
from Secrets Manager at run time, never from the environment.
"""

import json
import os

import boto3

SSM = boto3.client("ssm")
PREFIX = "/archc/serverless-orders"


def _parameter(service: str, field: str) -> str:
    return SSM.get_parameter(Name=f"{PREFIX}/{service}/{field}", WithDecryption=True)["Parameter"]["Value"]


def handler(event, context):
    order = json.loads(event.get("body") or "{}")
    boto3.resource("dynamodb").Table(_parameter("orders", "table_name")).put_item(Item=order)
    boto3.client("events").put_events(
        Entries=[
            {
                "EventBusName": _parameter("order-events", "name"),
                "Source": "orders",
                "DetailType": "OrderPlaced",
                "Detail": json.dumps(order),
            }
        ]
    )
    boto3.client("kinesis").put_record(
        StreamName=_parameter("clicks", "name"), Data=json.dumps({"order": order.get("id")}), PartitionKey=str(order.get("id"))
    )
    return {"statusCode": 201, "body": json.dumps({"id": order.get("id"), "level": os.environ.get("LOG_LEVEL", "info")})}
