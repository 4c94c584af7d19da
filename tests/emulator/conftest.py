import functools
import json
import urllib.request

import boto3
import pytest

from emulator.twin import Twin


@pytest.fixture(scope="session")
def twin():
    with Twin() as running:
        yield running


def client_factory(twin, config=None):
    """Real boto3 clients that reach the twin only through AWS_ENDPOINT_URL_<SERVICE>, one per
    service, built once (a client costs far more than a call to the twin). The environment is set
    only while a client is built (that is when botocore reads it), so it does not leak into other
    tests."""
    session = boto3.session.Session()

    @functools.cache
    def client(service):
        with pytest.MonkeyPatch.context() as env:
            for name, value in twin.endpoint_env().items():
                env.setenv(name, value)
            for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
                env.setenv(name, "testing")
            env.setenv("AWS_DEFAULT_REGION", "us-east-1")
            env.setenv("AWS_CONFIG_FILE", "/dev/null")
            env.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
            return session.client(service, config=config)

    return client


def control(twin, method, path, body=None):
    """A call to the twin's control API (`/_emulator/...`), as the sandbox and the bench make it."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"{twin.emulator_url}/_emulator{path}", data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


@pytest.fixture(scope="session")
def clients(twin):
    return client_factory(twin)


@pytest.fixture
def sdk(twin, clients):
    twin.reset()
    return clients
