"""Logs: one JSON object per line, with contact and message ids, never tokens or whole phone numbers."""
import json

import boto3

from chalicelib.logs import mask_identifier
from tests.conftest import CUSTOMER_WA_ID, SESSIONS_TABLE, load_event


def log_lines(captured):
    return [json.loads(line) for line in captured.out.splitlines() if line.strip()]


def test_a_conversation_logs_json_lines_without_tokens_or_phone_numbers(bridge, capsys):
    bridge.deliver(load_event("eum-text"))
    items = boto3.resource("dynamodb").Table(SESSIONS_TABLE).scan()["Items"]
    (session,) = [item for item in items if "systemNumber" in item]
    bridge.connect_event(json.loads(json.dumps(load_event("connect-agent-text")).replace(
        "21a81720-8a48-4512-88e6-d4987715835e", session["contactId"])))

    captured = capsys.readouterr()
    entries = log_lines(captured)
    events = [e["event"] for e in entries]
    assert "whatsapp_message_buffered" in events
    assert "chat_started" in events
    assert "sent_to_whatsapp" in events
    started = next(e for e in entries if e["event"] == "chat_started")
    assert started["contactId"] == session["contactId"]
    assert started["messageIds"] == [
        "wamid.HBgLMTU1NTAxMDAwMDEVAgASGBQ0NENBMUMxM0RFRjlGQkFFODBBOAA="]
    assert started["customer"] == mask_identifier(CUSTOMER_WA_ID)
    for secret in (session["connectionToken"], session["participantToken"], CUSTOMER_WA_ID):
        assert secret not in captured.out


def test_mask_keeps_only_the_last_four_characters():
    assert mask_identifier("15550100001") == "*******0001"
    assert mask_identifier("US.13491208655302741918") == "*******************1918"
    assert mask_identifier("123") == "***"
