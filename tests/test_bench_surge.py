"""The surge benchmark's pure parts: its ideal, and its stand-in for Lambda's stream mapping."""
import dataclasses

import pytest

from bench.surge import StreamPoller, SurgeParameters, ideal_openings, ideal_seconds


@pytest.mark.parametrize("changes", [
    {}, {"end_rate": 5.0, "hold_seconds": 16.0}, {"end_rate": 2.0, "hold_seconds": 30.0},
    {"regulars": 0, "hold_seconds": 20.0}, {"customers": 400, "quota": 50, "hold_seconds": 7.0},
])
def test_the_ideal_formula_is_what_a_bridge_that_loses_no_time_would_do(changes):
    parameters = dataclasses.replace(SurgeParameters(), **changes)

    assert ideal_seconds(parameters) == pytest.approx(ideal_openings(parameters)[-1], abs=0.02)


def test_the_formula_declines_when_the_start_rate_and_not_the_agents_binds():
    assert ideal_seconds(dataclasses.replace(SurgeParameters(), end_rate=6.0)) is None


def record(n):
    return {"eventName": "INSERT", "dynamodb": {"SequenceNumber": str(n)}}


class Stream:
    def __init__(self, *records):
        self.records = list(records)

    def read(self):
        records, self.records = self.records, []
        return records


def test_a_batch_waits_for_its_window_unless_it_is_full():
    batches = []
    poller = StreamPoller(Stream(*map(record, range(150))).read,
                          lambda event: batches.append(len(event["Records"])), window=2.0)

    assert poller.poll(0.0) and batches == [100]
    assert not poller.poll(1.0)
    assert poller.poll(2.0) and batches == [100, 50]


def test_failed_records_are_delivered_again_from_the_first_and_then_go_to_the_failure_queue():
    delivered = []

    def flush(event):
        delivered.append([r["dynamodb"]["SequenceNumber"] for r in event["Records"]])
        return {"batchItemFailures": [{"itemIdentifier": "2"}]}

    poller = StreamPoller(Stream(*map(record, range(4))).read, flush, window=0.0, max_retries=10)
    moment = 0.0
    while poller.pending or not delivered:
        poller.poll(moment)
        moment += 10.0

    assert delivered[0] == ["0", "1", "2", "3"]
    assert delivered[1:] == [["2", "3"]] * 10
    assert poller.failure_queue == 2 and poller.redeliveries == 10
