import functools

import boto3
import pytest

from emulator.twin import Twin


@pytest.fixture(scope="session")
def twin():
    with Twin() as running:
        yield running


@pytest.fixture(scope="session")
def clients(twin):
    """Real boto3 clients that reach the twin only through AWS_ENDPOINT_URL_<SERVICE>.

    Cached for the session, since building a client costs far more than a call to the twin. The
    environment is set only while a client is built (that is when botocore reads it), so it does
    not leak into other tests.
    """
    session = boto3.session.Session()

    @functools.cache
    def client(service):
        with pytest.MonkeyPatch.context() as env:
            for name, value in twin.endpoint_env().items():
                env.setenv(name, value)
            env.setenv("AWS_ACCESS_KEY_ID", "testing")
            env.setenv("AWS_SECRET_ACCESS_KEY", "testing")
            env.setenv("AWS_SESSION_TOKEN", "testing")
            env.setenv("AWS_DEFAULT_REGION", "us-east-1")
            env.setenv("AWS_CONFIG_FILE", "/dev/null")
            env.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
            return session.client(service)

    return client


@pytest.fixture
def sdk(twin, clients):
    twin.reset()
    return clients
