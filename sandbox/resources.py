"""The bridge's resources in the twin, made from infra/resources.json, and the sandbox's .env file."""
from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from emulator.templates import REFERENCE_WABA_ARN

PROJECT_DIR = Path(__file__).resolve().parents[1]
TEMPLATE = PROJECT_DIR / "infra" / "resources.json"
REGION = "us-east-1"
PREFIX = "whatsapp-connect-chat-local"
CONFIG_PARAMETER = "/whatsapp_eum_connect_chat/local/config"
# The emulator's default instance and inbound flow (emulator/connect.py).
INSTANCE_ID = "6688872b-b779-4713-a25c-8a6c220d6483"
CONTACT_FLOW_ID = "a8c5b7e1-3f2d-4c1a-9e6b-2d4f8a1c7e90"
TWIN_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "sandbox", "AWS_SECRET_ACCESS_KEY": "sandbox",
                    "AWS_SESSION_TOKEN": "sandbox"}


@dataclass(frozen=True)
class Created:
    sessions_table: str
    buffer_table: str
    buffer_stream_arn: str
    media_bucket: str
    inbound_topic_arn: str
    streaming_topic_arn: str
    config_parameter: str


def settings_document(instance_id: str, contact_flow_id: str, overrides: Mapping[str, Any]) -> str:
    """The SSM settings JSON (README "Settings") the sandbox seeds."""
    settings = {"instance_id": instance_id, "contact_flow_id": contact_flow_id,
                "chat_duration_minutes": 1440, "ignore_reactions": "no", "ignore_stickers": "no"}
    return json.dumps(settings | dict(overrides))


def create(endpoints: Mapping[str, str], settings: str) -> Created:
    """Creates tables, bucket, topics and parameter; subscribes the local stage to streaming."""

    def client(service: str, endpoint_key: str) -> Any:
        return boto3.client(service, endpoint_url=endpoints[endpoint_key], region_name=REGION,
                            aws_access_key_id="sandbox", aws_secret_access_key="sandbox",
                            config=Config(s3={"addressing_style": "path"}))

    dynamodb = client("dynamodb", "AWS_ENDPOINT_URL_DYNAMODB")
    sessions = f"{PREFIX}-sessions"
    buffer = f"{PREFIX}-buffer"
    create_table(dynamodb, "SessionsTable", sessions)
    stream_arn = create_table(dynamodb, "BufferTable", buffer)
    bucket = f"{PREFIX}-media"
    client("s3", "AWS_ENDPOINT_URL_S3").create_bucket(Bucket=bucket)
    sns = client("sns", "AWS_ENDPOINT_URL_SNS")
    inbound = sns.create_topic(Name=f"{PREFIX}-inbound")["TopicArn"]
    streaming = sns.create_topic(Name=f"{PREFIX}-streaming")["TopicArn"]
    client("ssm", "AWS_ENDPOINT_URL_SSM").put_parameter(
        Name=CONFIG_PARAMETER, Value=settings, Type="String", Overwrite=True)
    # What an operator does once after deploying (docs/deploy.md): the business account's events
    # go to the inbound topic, so `make doctor STAGE=local` finds the sandbox set up as a stage is.
    client("socialmessaging", "AWS_ENDPOINT_URL_SOCIALMESSAGING").put_whatsapp_business_account_event_destinations(
        id=REFERENCE_WABA_ARN, eventDestinations=[{"eventDestinationArn": inbound}])
    return Created(sessions, buffer, stream_arn, bucket, inbound, streaming, CONFIG_PARAMETER)


def subscribe_streaming(endpoints: Mapping[str, str], topic_arn: str, url: str) -> None:
    """Connect streams to SNS; SNS delivers to the local stage over HTTP (moto needs no
    confirmation)."""
    sns = boto3.client("sns", endpoint_url=endpoints["AWS_ENDPOINT_URL_SNS"], region_name=REGION,
                       aws_access_key_id="sandbox", aws_secret_access_key="sandbox")
    sns.subscribe(TopicArn=topic_arn, Protocol="http", Endpoint=url)


def create_table(dynamodb: Any, logical_id: str, name: str) -> str:
    """A table exactly as the template declares its keys, indexes, stream and TTL; returns the
    stream's ARN (empty without a stream). Tests, the benchmark and the sandbox all use this."""
    properties = json.loads(TEMPLATE.read_text())["Resources"][logical_id].get("Properties", {})
    request = {key: properties[key] for key in (
        "AttributeDefinitions", "KeySchema", "BillingMode", "GlobalSecondaryIndexes",
        "StreamSpecification") if key in properties}
    if "StreamSpecification" in request:
        request["StreamSpecification"] = {"StreamEnabled": True, **request["StreamSpecification"]}
    description = dynamodb.create_table(TableName=name, **request)["TableDescription"]
    ttl = properties.get("TimeToLiveSpecification")
    if ttl:
        dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification={
            "AttributeName": ttl["AttributeName"], "Enabled": bool(ttl.get("Enabled", True))})
    return description.get("LatestStreamArn", "")


def env_lines(endpoints: Mapping[str, str], created: Created, emulator_url: str, buffer_seconds: float,
              instance_id: str, contact_flow_id: str) -> list[str]:
    """The sandbox's .env: every key of .env.example, aimed at the twin."""
    values: dict[str, str] = {
        "AWS_REGION": REGION, "AWS_DEFAULT_REGION": REGION, **TWIN_CREDENTIALS,
        # Never a real profile or credentials file: nothing here may reach a real account.
        "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        # Any service without its own line below goes to moto too.
        "AWS_ENDPOINT_URL": endpoints["AWS_ENDPOINT_URL_DYNAMODB"],
        **dict(endpoints),
        "SESSIONS_TABLE": created.sessions_table,
        "BUFFER_TABLE": created.buffer_table,
        "BUFFER_TABLE_STREAM_ARN": created.buffer_stream_arn,
        "BUFFER_SECONDS": f"{buffer_seconds:g}",
        "MEDIA_BUCKET": created.media_bucket,
        "CONFIG_PARAMETER": created.config_parameter,
        "CONNECT_STREAMING_TOPIC_ARN": created.streaming_topic_arn,
        "INBOUND_TOPIC": created.inbound_topic_arn.rsplit(":", 1)[-1],
        "STREAMING_TOPIC": created.streaming_topic_arn.rsplit(":", 1)[-1],
        "CONNECT_INSTANCE_ID": instance_id,
        "CONNECT_CONTACT_FLOW_ID": contact_flow_id,
        "SANDBOX_EMULATOR_URL": emulator_url,
        "SANDBOX_POLL_BUFFER_STREAM": "yes",
        "SANDBOX_INBOUND_TOPIC_ARN": created.inbound_topic_arn,
    }
    header = ["# Written by `python -m sandbox` for the local twin; rewritten on every start.",
              "# Keys are documented in .env.example."]
    return header + [f"{key}={value}" for key, value in values.items()]
