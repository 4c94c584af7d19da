"""Shared fixtures: the AWS twin (moto server + the project's emulator) and the bridge under test.

The product's own boto3 clients reach the twin only through AWS_ENDPOINT_URL_<SERVICE>; tables are
created from infra/resources.json so the tests and the deployment share one schema.
"""
from __future__ import annotations

import functools
import json
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterator

import boto3
import pytest
from chalice.test import Client

from emulator.iam import Role
from emulator.reference_events import (  # noqa: F401 - test modules import them from here
    REFERENCE_CLOCK_START, REFERENCE_CUSTOMER_WA_ID, customer_messages, customer_writes, sns_message,
    text_from_customer, with_messages,
)
from emulator.stream_records import StreamReader
from emulator.twin import Twin
from sandbox import resources
from tests.crash.clock import install_twin_clock
from tests.packaging_support import FUNCTIONS, deploy, function
from tests.repository import ROOT, OutsideReadGuard
from tests.repository import load_event  # noqa: F401 - the one event loader; test modules import it from here

# Installed as the suite loads, before any test module is collected: nothing may read beside the
# repository.
OUTSIDE_READS = OutsideReadGuard(ROOT).install()

REGION = "us-east-1"
ACCOUNT = "123456789012"
INSTANCE_ID = "6688872b-b779-4713-a25c-8a6c220d6483"
CONTACT_FLOW_ID = "a8c5b7e1-3f2d-4c1a-9e6b-2d4f8a1c7e90"
SESSIONS_TABLE = "whatsapp-connect-chat-sessions-test"
BUFFER_TABLE = "whatsapp-connect-chat-buffer-test"
MEDIA_BUCKET = "whatsapp-connect-chat-media-test"
CONFIG_PARAMETER = "/whatsapp_eum_connect_chat/config"
STREAMING_TOPIC = "whatsapp-connect-chat-streaming-test"
STREAMING_TOPIC_ARN = f"arn:aws:sns:{REGION}:{ACCOUNT}:{STREAMING_TOPIC}"

# The reference business account, whose templates the emulator holds: the stage scopes the
# template grants to it.
REFERENCE_WABA_ID = "7c2025cfddb055018df85097925ee415"

CUSTOMER_WA_ID = REFERENCE_CUSTOMER_WA_ID
PHONE_NUMBER_ID = "101996265140636"
PHONE_NUMBER_ARN = (f"arn:aws:social-messaging:{REGION}:{ACCOUNT}:"
                    "phone-number-id/6f17dbb4562b2cd3343a3d0fdec78c75")
CONVERSATION_ID = f"{PHONE_NUMBER_ID}#{CUSTOMER_WA_ID}"

DEFAULT_SETTINGS = {
    "instance_id": INSTANCE_ID,
    "contact_flow_id": CONTACT_FLOW_ID,
    "chat_duration_minutes": 1440,
    "ignore_reactions": "no",
    "ignore_stickers": "no",
}


@pytest.fixture(autouse=True)
def stays_in_the_repository():
    """Fails the test that opened, listed or created a path beside the repository."""
    first = len(OUTSIDE_READS.escapes)
    yield
    escapes = OUTSIDE_READS.escapes[first:]
    del OUTSIDE_READS.escapes[first:]
    if escapes:
        pytest.fail("used paths outside the repository (a fresh clone has none of them): "
                    + ", ".join(sorted(set(escapes))), pytrace=False)


def pytest_sessionfinish(session):
    """Paths used outside any test (collection, session fixtures) fail the run as a whole."""
    if OUTSIDE_READS.escapes:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        reporter.line("")  # the progress line may still be open
        reporter.write_sep("=", "used paths outside the repository (a fresh clone has none of them)", red=True)
        reporter.write_line(", ".join(sorted(set(OUTSIDE_READS.escapes))))
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def create_table(dynamodb: Any, logical_id: str, name: str) -> str:
    """Tables come from infra/resources.json, so tests and deployment share one schema."""
    return resources.create_table(dynamodb, logical_id, name)


@pytest.fixture(scope="session")
def twin():
    # The twin's clock starts just after the reference events, whose WhatsApp timestamps the
    # 24-hour window is measured from.
    with Twin(clock_start=REFERENCE_CLOCK_START) as running:
        yield running


@dataclass
class Account:
    """The emulated AWS account of one test."""

    twin: Twin
    buffer_stream_arn: str


@pytest.fixture
def aws(twin, monkeypatch):
    """A clean twin with the bridge's tables, topic and settings, and the Lambda environment set.
    Fails the test whose functions' roles refused a call (a handler may log and go on), unless
    the test took the refusals (`twin.iam.take_refusals()`)."""
    twin.reset()
    for name, value in lambda_environment(twin).items():
        monkeypatch.setenv(name, value)
    stream_arn = create_bridge_resources()
    twin.clear_calls()
    yield Account(twin, stream_arn)
    refused = twin.iam.take_refusals()
    if refused:
        pytest.fail("the roles in infra/resources.json refused calls the code makes: "
                    + ", ".join(sorted({f"{r['role']} {r['action']} on {r['resource']}" for r in refused})),
                    pytrace=False)


def lambda_environment(twin: Twin) -> dict[str, str]:
    """What the functions' Lambda environment holds, aimed at the twin."""
    return twin.endpoint_env() | {
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION,
        "SESSIONS_TABLE": SESSIONS_TABLE, "BUFFER_TABLE": BUFFER_TABLE,
        "MEDIA_BUCKET": MEDIA_BUCKET, "CONFIG_PARAMETER": CONFIG_PARAMETER,
        "CONNECT_STREAMING_TOPIC_ARN": STREAMING_TOPIC_ARN,
    }


def create_bridge_resources() -> str:
    """The bridge's tables, topic, bucket and settings in a clean twin; the buffer's stream ARN."""
    dynamodb = boto3.client("dynamodb")
    create_table(dynamodb, "SessionsTable", SESSIONS_TABLE)
    stream_arn = create_table(dynamodb, "BufferTable", BUFFER_TABLE)
    boto3.client("sns").create_topic(Name=STREAMING_TOPIC)
    boto3.client("s3").create_bucket(Bucket=MEDIA_BUCKET)
    put_settings(DEFAULT_SETTINGS)
    return stream_arn


def conversation_item() -> dict | None:
    """The reference conversation's item in the sessions table, if it has one."""
    return boto3.resource("dynamodb").Table(SESSIONS_TABLE).get_item(
        Key={"contactId": f"conversation#{CONVERSATION_ID}"}).get("Item")


def put_settings(settings: dict) -> None:
    boto3.client("ssm").put_parameter(Name=CONFIG_PARAMETER, Value=json.dumps(settings),
                                      Type="String", Overwrite=True)


def resolver_values(stream_arn: str) -> dict:
    """What infra/resources.json's Ref, Fn::GetAtt and Fn::Sub name, in the emulated account."""
    arn = f"arn:aws:{{}}:{REGION}:{ACCOUNT}:{{}}"
    return {
        "AWS::Partition": "aws", "AWS::Region": REGION, "AWS::AccountId": ACCOUNT,
        "Stage": "test", "ConnectInstanceId": "*", "BufferSeconds": 2,
        "WhatsAppBusinessAccountId": REFERENCE_WABA_ID,
        "SessionsTable": SESSIONS_TABLE, "SessionsTable.Arn": arn.format("dynamodb", f"table/{SESSIONS_TABLE}"),
        "BufferTable": BUFFER_TABLE, "BufferTable.Arn": arn.format("dynamodb", f"table/{BUFFER_TABLE}"),
        "BufferTable.StreamArn": stream_arn,
        "MediaBucket": MEDIA_BUCKET, "MediaBucket.Arn": f"arn:aws:s3:::{MEDIA_BUCKET}",
        "ConfigParameter": CONFIG_PARAMETER, "StreamingTopic": STREAMING_TOPIC_ARN,
        "InboundTopic": arn.format("sns", "inbound"),
        "FlushFailureQueue.Arn": arn.format("sqs", "flush-failures"),
        "AsyncFailureQueue.Arn": arn.format("sqs", "async-failures"),
    }


def function_policy(template: dict, name: str, resolver) -> list[dict]:
    """The statements of the function's execution role, resolved."""
    role = function(template, name)["Role"]["Fn::GetAtt"][0]
    statements = []
    for policy in template["Resources"][role]["Properties"]["Policies"]:
        statements += resolver(policy["PolicyDocument"])["Statement"]
    return statements


def function_roles(stream_arn: str) -> dict[str, Role]:
    """Each function's execution role as infra/resources.json deploys it, by function name."""
    template = deploy.load_template()
    resolver = deploy.Resolver(resolver_values(stream_arn))
    return {name: Role(function(template, name)["Role"]["Fn::GetAtt"][0], deploy.function_name("test", name),
                       function_policy(template, name, resolver))
            for name in FUNCTIONS}


@functools.cache
def role_session(access_key_id: str) -> boto3.Session:
    """A boto3 session signing with the access key id that names a role. One per role for the
    whole run: a new session loads every service model again."""
    return boto3.Session(aws_access_key_id=access_key_id, aws_secret_access_key="testing",
                         aws_session_token="testing", region_name=REGION)


class Bridge:
    """Invokes the Lambda handlers as Lambda would, against the twin. Each WhatsApp event's
    customer messages are first told to the twin, as Meta knows when each customer wrote.

    Each function runs in a container of its own, as in Lambda: its own clients, signing with its
    role's credentials (the access key id is the role's logical id in infra/resources.json), and
    the twin holds every call against that role."""

    def __init__(self, account: Account, client: Client) -> None:
        self.twin = account.twin
        self.client = client
        self.stream = StreamReader(account.buffer_stream_arn)
        self.roles = function_roles(account.buffer_stream_arn)
        for role in self.roles.values():
            self.twin.iam.add_role(role.name, role)
        self._clients: dict[str, Any] = {}

    def whatsapp(self, event: dict) -> Any:
        return self.invoke("on_whatsapp_event", event)

    def stream_records(self) -> list[dict]:
        return self.stream.read()

    def flush(self, records: list[dict] | None = None) -> dict:
        records = self.stream_records() if records is None else records
        return self.invoke("flush_buffer", {"Records": records})

    def invoke(self, function_name: str, event: dict) -> Any:
        if function_name == "on_whatsapp_event":
            for origination_id, customer, timestamp, user_id in customer_writes(event):
                self.twin.customer_wrote(origination_id, customer, timestamp, user_id)
        with self._container(function_name):
            return self.client.lambda_.invoke(function_name, event).payload

    def connect_event(self, event: dict) -> Any:
        return self.invoke("on_connect_event", event)

    @contextmanager
    def _container(self, function_name: str) -> Iterator[None]:
        """While the function runs, app.py's clients are its container's, created from the
        default boto3 session of its process: the one that signs as its role."""
        import app as app_module
        from chalicelib.runtime import Clients

        if function_name not in self._clients:
            self._clients[function_name] = Clients()
        saved = app_module._clients, boto3.DEFAULT_SESSION
        app_module._clients = self._clients[function_name]
        boto3.DEFAULT_SESSION = role_session(self.roles[function_name].name)
        try:
            yield
        finally:
            app_module._clients, boto3.DEFAULT_SESSION = saved

    def deliver(self, event: dict) -> dict:
        """A WhatsApp event all the way into the chat: buffer, then flush what the stream holds."""
        self.whatsapp(event)
        return self.flush()

    def open_chat(self) -> str:
        """The reference text delivered, so the conversation has an open chat; its contact id.
        The calls and WhatsApp messages that took are forgotten: a test sees only its own."""
        before = set(self.twin.contacts)
        self.deliver(load_event("eum-text"))
        (contact_id,) = set(self.twin.contacts) - before
        self.twin.clear_calls()
        self.twin.sent_whatsapp.clear()
        return contact_id


@pytest.fixture
def bridge(aws):
    import app as app_module
    from chalicelib.runtime import Clients

    # A fresh container: clients aimed at this test's environment, nothing cached yet.
    app_module._clients = Clients()
    app_module._caches.clear()
    undo_clock = install_twin_clock(app_module, aws.twin)
    try:
        with Client(app_module.app, stage_name="test", project_dir=str(ROOT)) as client:
            yield Bridge(aws, client)
    finally:
        undo_clock()


@pytest.fixture
def app():
    """The Chalice app, for pytest-chalice's HTTP `client` fixture."""
    import app as app_module

    return app_module.app
