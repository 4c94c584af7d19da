"""What 1,000 messages cost in AWS charges, from the calls and handler time `make bench` measured.

Prices are AWS's published on-demand list prices for us-east-1 (x86 Lambda), as listed on the
service pricing pages in November 2026; the DynamoDB on-demand rates are those in force since
AWS halved them on 2024-11-01. Free tiers are left out. Charges that any WhatsApp-to-Connect
integration pays alike (Amazon Connect's per-message chat charge, End User Messaging Social's and
Meta's per-message fees) are not the bridge's and are not counted.
"""
from __future__ import annotations

from dataclasses import dataclass

PRICES_USD = {
    # https://aws.amazon.com/lambda/pricing/
    "lambda_request": 0.20 / 1e6,
    "lambda_gb_second": 0.0000166667,
    # https://aws.amazon.com/dynamodb/pricing/on-demand/
    "dynamodb_write_unit": 0.625 / 1e6,
    "dynamodb_read_unit": 0.125 / 1e6,
    # https://aws.amazon.com/sns/pricing/ (deliveries to Lambda are free)
    "sns_publish": 0.50 / 1e6,
    # https://aws.amazon.com/s3/pricing/ (S3 Standard)
    "s3_put": 0.005 / 1000,
    "s3_get": 0.0004 / 1000,
    # https://aws.amazon.com/kms/pricing/ (SNS asks for a data key per publish at most)
    "kms_request": 0.03 / 10000,
}
PRICES_AS_OF = "November 2026 (us-east-1 list prices)"

# Request units per call, for the bridge's items: a buffer item or session under 1 KB written,
# the conversation item (a copy of the session and 100 delivered marks, about 2.5 KB) written at
# 3 units, reads strongly consistent under 4 KB at 1 unit; a transaction's items cost double.
WRITE_UNITS = {"PutItem": 1, "UpdateItem": 3, "DeleteItem": 1, "TransactWriteItems": 2 * (3 + 1)}
READ_UNITS = {"GetItem": 1, "Query": 1, "BatchGetItem": 1}
S3_PUTS = {"PutObject", "ListObjectsV2"}
S3_GETS = {"GetObject"}


@dataclass(frozen=True)
class Workload:
    """One unit of what the business pays for, and everything it sets off."""

    name: str
    flows: tuple[str, ...]  # the measured flows it is made of
    memory_mb: int  # the handler memory its time is billed at (the larger, to be safe)
    invocations: int  # Lambda invocations, the measured ones and those they set off
    sns_publishes: int


WORKLOADS = (
    # The webhook, the flush, and on_connect_event for Connect's echo of the customer's message.
    Workload("customer text into an open chat", ("text into an open chat",), 1024, 3, 2),
    # The reply, then WhatsApp's sent, delivered and read statuses (two of them become receipts).
    Workload("agent text reply, with its receipts", ("agent text reply", "WhatsApp read status to the agent",
                                                     "WhatsApp read status to the agent"), 1024, 4, 4),
)


def flow_cost(calls: list[str], wall_ms: float, memory_mb: int) -> dict[str, float]:
    """One measured flow: its DynamoDB, S3 and Lambda time charges, in dollars."""
    operations = [name.split(" ", 1)[1] for name in calls]
    services = [name.split(" ", 1)[0] for name in calls]
    dynamodb = [op for service, op in zip(services, operations) if service == "DynamoDB"]
    s3 = [op for service, op in zip(services, operations) if service == "S3"]
    return {
        "lambda_time": wall_ms / 1000 * memory_mb / 1024 * PRICES_USD["lambda_gb_second"],
        "dynamodb": (sum(WRITE_UNITS.get(op, 0) for op in dynamodb) * PRICES_USD["dynamodb_write_unit"]
                     + sum(READ_UNITS.get(op, 0) for op in dynamodb) * PRICES_USD["dynamodb_read_unit"]),
        "s3": (sum(op in S3_PUTS for op in s3) * PRICES_USD["s3_put"]
               + sum(op in S3_GETS for op in s3) * PRICES_USD["s3_get"]),
    }


def render(flows: list[dict]) -> str:
    """The cost table for BENCHMARKS.md, per 1,000 of each workload."""
    by_name = {row["flow"]: row for row in flows}
    lines = [f"Estimated AWS charges of the bridge itself, per 1,000, at {PRICES_AS_OF} "
             "(see bench/cost.py for the prices, their pages and the assumptions):", "",
             "| per 1,000 | Lambda requests | Lambda GB-s | DynamoDB | S3 | SNS + KMS | total |",
             "|---|---|---|---|---|---|---|"]
    for workload in WORKLOADS:
        parts = [flow_cost(by_name[f]["critical"] + by_name[f]["off"], by_name[f]["wall_median"],
                           workload.memory_mb) for f in workload.flows]
        requests = workload.invocations * PRICES_USD["lambda_request"]
        notify = workload.sns_publishes * (PRICES_USD["sns_publish"] + PRICES_USD["kms_request"])
        columns = [requests, sum(p["lambda_time"] for p in parts), sum(p["dynamodb"] for p in parts),
                   sum(p["s3"] for p in parts), notify]
        total = sum(columns)
        lines.append(f"| {workload.name} | " + " | ".join(f"${value * 1000:.4f}" for value in columns)
                     + f" | **${total * 1000:.4f}** |")
    lines += ["", "Lambda time is the measured handler wall time against the twin's 20 ms per call, "
              "billed at the larger memory size of the handlers involved (an upper bound); invocations "
              "and SNS publishes include what each message sets off (Connect's echo of a customer "
              "message, WhatsApp's status webhooks for a reply)."]
    return "\n".join(lines)
