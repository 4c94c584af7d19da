"""The stack's CloudWatch dashboard (infra/resources.json `Dashboard`): its body is JSON once
CloudFormation has substituted it, and it shows every metric the bridge emits, the failure
queues, the stream's iterator age and each function's errors and throttles."""
from __future__ import annotations

import json

import pytest

from chalicelib.metrics import DIMENSION, NAMESPACE, UNITS
from tests.packaging_support import FUNCTIONS, deploy, template  # noqa: F401  (fixture)

# Every metric the bridge writes (chalicelib/metrics.py).
BRIDGE_METRICS = tuple(UNITS)
STAGE = "prod"
REGION = "eu-west-1"
QUEUES = {"FlushFailureQueue": "prod-resources-FlushFailureQueue-ABC",
          "AsyncFailureQueue": "prod-resources-AsyncFailureQueue-DEF"}


@pytest.fixture
def widgets(template):
    resolver = deploy.Resolver({"Stage": STAGE, "AWS::Region": REGION,
                                **{f"{name}.QueueName": value for name, value in QUEUES.items()}})
    properties = template["Resources"]["Dashboard"]["Properties"]
    assert resolver(properties["DashboardName"]) == f"whatsapp-connect-chat-{STAGE}"
    body = json.loads(resolver(properties["DashboardBody"]))
    return body["widgets"]


def metric_lines(widgets):
    """Every metric line of every widget: [namespace, name, dimension name, value, ..., {options}]."""
    return [line for widget in widgets for line in widget["properties"]["metrics"]
            if isinstance(line[0], str)]


def expressions(widgets):
    return [line[0]["expression"] for widget in widgets for line in widget["properties"]["metrics"]
            if isinstance(line[0], dict)]


def test_every_widget_is_a_metric_graph_of_the_stacks_region(widgets):
    assert widgets
    for widget in widgets:
        assert widget["type"] == "metric"
        assert widget["properties"]["region"] == REGION
        assert 0 <= widget["x"] and widget["x"] + widget["width"] <= 24


def test_every_bridge_metric_is_shown_for_all_business_numbers_together(widgets):
    shown = {line[1] for line in metric_lines(widgets) if line[0] == NAMESPACE}
    assert shown == set(BRIDGE_METRICS)
    # The aggregate without dimensions: the dashboard works for any number of business numbers.
    for line in metric_lines(widgets):
        if line[0] == NAMESPACE:
            assert len(line) == 3 and isinstance(line[2], dict), line


def test_latency_each_way_at_p50_and_p99(widgets):
    percentiles = {(line[1], line[2]["stat"]) for line in metric_lines(widgets)
                   if line[1].endswith("Latency")}
    assert percentiles == {(f"{way}Latency", stat) for way in ("Inbound", "Outbound") for stat in ("p50", "p99")}


def test_messages_per_business_number_come_from_a_search(widgets):
    assert sorted(expressions(widgets)) == [
        f"SEARCH('{{{NAMESPACE},{DIMENSION}}} MetricName=\"{name}\"', 'Sum', 300)"
        for name in ("InboundMessages", "OutboundMessages")]


def test_failure_queues_stream_age_and_each_functions_errors_and_throttles(widgets):
    lines = {tuple(line[:4]) for line in metric_lines(widgets) if line[0].startswith("AWS/")}
    expected = {("AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", queue) for queue in QUEUES.values()}
    expected.add(("AWS/Lambda", "IteratorAge", "FunctionName", f"whatsapp-connect-chat-{STAGE}-flush_buffer"))
    expected |= {("AWS/Lambda", metric, "FunctionName", f"whatsapp-connect-chat-{STAGE}-{function}")
                 for metric in ("Errors", "Throttles") for function in FUNCTIONS}
    assert lines == expected


def test_the_dashboard_is_part_of_the_resources_stack_of_make_deploy(template):
    assert "Dashboard" in deploy.bootstrap_template(template)["Resources"]
