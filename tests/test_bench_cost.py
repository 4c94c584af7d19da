"""The cost table of BENCHMARKS.md: computed from the calls a flow made, at the listed prices."""
from bench import cost


def test_a_flow_costs_its_dynamodb_units_s3_requests_and_lambda_time():
    calls = ["DynamoDB PutItem", "DynamoDB UpdateItem", "Participant SendMessage",
             "DynamoDB TransactWriteItems", "S3 GetObject", "S3 PutObject", "DynamoDB GetItem"]

    charges = cost.flow_cost(calls, wall_ms=200, memory_mb=1024)

    prices = cost.PRICES_USD
    assert charges["dynamodb"] == (1 + 3 + 8) * prices["dynamodb_write_unit"] + 1 * prices["dynamodb_read_unit"]
    assert charges["s3"] == prices["s3_put"] + prices["s3_get"]
    assert charges["lambda_time"] == 0.2 * prices["lambda_gb_second"]


def test_the_table_has_a_row_per_workload_with_its_total():
    flow = {"critical": ["DynamoDB UpdateItem", "Participant SendMessage"], "off": [],
            "wall_median": 100.0}
    flows = [{"flow": name, **flow} for name in
             ("text into an open chat", "agent text reply", "WhatsApp read status to the agent")]

    table = cost.render(flows)

    rows = [line for line in table.splitlines() if line.startswith("| customer") or line.startswith("| agent")]
    assert len(rows) == len(cost.WORKLOADS)
    customer = rows[0].split(" | ")
    # 3 invocations at $0.20 per million, per 1,000 messages.
    assert customer[1] == "$0.0006"
