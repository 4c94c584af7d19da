"""The emulated account outside pytest's fixtures: for listing each flow's calls while the matrix
is collected, and for `python -m tests.crash.matrix`. It builds what conftest's `aws` and
`bridge` fixtures build, from the same pieces."""
from __future__ import annotations

import os
from contextlib import contextmanager
from typing import Callable, Iterator

import boto3
from chalice.test import Client

from emulator.twin import Twin
from tests.conftest import (
    BUFFER_TABLE, CONFIG_PARAMETER, DEFAULT_SETTINGS, MEDIA_BUCKET, REGION, ROOT, SESSIONS_TABLE,
    STREAMING_TOPIC, STREAMING_TOPIC_ARN, Account, Bridge, create_table, put_settings,
)


def lambda_environment(twin: Twin) -> dict[str, str]:
    return twin.endpoint_env() | {
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION,
        "SESSIONS_TABLE": SESSIONS_TABLE, "BUFFER_TABLE": BUFFER_TABLE,
        "MEDIA_BUCKET": MEDIA_BUCKET, "CONFIG_PARAMETER": CONFIG_PARAMETER,
        "CONNECT_STREAMING_TOPIC_ARN": STREAMING_TOPIC_ARN,
    }


@contextmanager
def _environ(values: dict[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.update(values)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _fresh_bridge(twin: Twin) -> Bridge:
    twin.reset()
    dynamodb = boto3.client("dynamodb")
    create_table(dynamodb, "SessionsTable", SESSIONS_TABLE)
    stream_arn = create_table(dynamodb, "BufferTable", BUFFER_TABLE)
    boto3.client("sns").create_topic(Name=STREAMING_TOPIC)
    boto3.client("s3").create_bucket(Bucket=MEDIA_BUCKET)
    put_settings(DEFAULT_SETTINGS)
    twin.clear_calls()

    import app as app_module
    from chalicelib.runtime import Clients

    app_module._clients = Clients()
    app_module._settings.clear()
    app_module._attachment_rules.clear()
    return Bridge(Account(twin, stream_arn),
                  Client(app_module.app, stage_name="test", project_dir=str(ROOT)))


@contextmanager
def standalone_account() -> Iterator[Callable[[], Bridge]]:
    """A twin of its own and the Lambda environment; yields a factory of bridges on a clean account."""
    with Twin() as twin, _environ(lambda_environment(twin)):
        yield lambda: _fresh_bridge(twin)
