"""moto in server mode behind a middleware that writes every AWS call into the call log."""

import contextlib
import io
import json
import re
import threading
from urllib.parse import parse_qs, unquote

import boto3
from moto.server import DomainDispatcherApplication, create_backend_app

from emulator.iam import refusal_response

# Requests the twin makes itself (social messaging media to and from S3) carry this header, so
# the call log shows only what the product did.
INTERNAL_HEADER = "X-Emulator-Internal"

def internal_client(service, endpoint_url, region, config):
    """A boto3 client for the twin's own calls to moto, marked so the call log and the pacing
    leave them out: they are the emulated service's work, not the product's."""
    client = boto3.client(service, endpoint_url=endpoint_url, region_name=region,
                          aws_access_key_id="emulator", aws_secret_access_key="emulator",
                          config=config)
    client.meta.events.register(f"before-sign.{service}", _mark_internal)
    return client


def _mark_internal(request, **_):
    request.headers[INTERNAL_HEADER] = "1"


_CREDENTIAL_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/[^/]+/([^/]+)/aws4_request")
_XML_CODE = re.compile(rb"<Code>([^<]+)</Code>")


def create_moto_app(call_log, iam, transcribe=None):
    """`iam` (an emulator.iam.Iam) refuses what the caller's role does not allow, before moto
    sees the call. `transcribe` (an emulator.transcribe.TranscribeEmulator) serves the Transcribe
    operations moto lacks or gets wrong; it writes its own call log entries and checks IAM itself."""
    return _Recorder(DomainDispatcherApplication(create_backend_app), call_log, iam, transcribe)


class _Recorder:
    def __init__(self, app, call_log, iam, transcribe=None):
        self._app = app
        self._log = call_log
        self._iam = iam
        self._transcribe = transcribe
        # moto's DynamoDB is not thread-safe (a transaction deep-copies tables that a concurrent
        # write is changing), so it serves one request at a time; simulated latency is added
        # outside, so calls still overlap as they would against AWS. Other services are not
        # serialised: SNS delivers to HTTP subscribers while it serves a Publish, and a subscriber
        # that calls back into moto would wait for ever.
        self._dynamodb_serving = threading.Lock()

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path.startswith("/moto-api/") or environ.get("HTTP_X_EMULATOR_INTERNAL"):
            return self._app(environ, start_response)
        if self._transcribe is not None and self._transcribe.serves(environ):
            return self._transcribe(environ, start_response)

        service = _service(environ)
        if service == "s3":
            # Object bodies can be large or aws-chunked; the log needs only bucket and key.
            params = _s3_params(environ)
            operation = _s3_operation(environ)
        else:
            body = _buffer_body(environ)
            params, action = _params(environ, body)
            target = environ.get("HTTP_X_AMZ_TARGET", "")
            operation = target.rsplit(".", 1)[-1] if target else action

        refusal = self._iam.refusal(environ, service, operation, params)
        app = self._app
        if refusal is not None:
            _buffer_body(environ)  # read all the same, so the connection's next request parses
            app = refusal_response(service, refusal)
        captured = {}

        def capture(status, headers, exc_info=None):
            captured["status"] = int(status.split(" ", 1)[0])
            captured["headers"] = headers
            return start_response(status, headers, exc_info)

        with self._dynamodb_serving if service.startswith("dynamodb") else contextlib.nullcontext():
            result = app(environ, capture)
            try:
                chunks = b"".join(result)
            finally:
                if hasattr(result, "close"):
                    result.close()
        status = captured["status"]
        error = _error_code(status, captured["headers"], chunks) if status >= 400 else None
        self._log.record(service, operation, params, status, error)
        return [chunks]


def _service(environ):
    scope = _CREDENTIAL_SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
    if scope is None:
        # Presigned URLs carry the scope in the query string instead of a header.
        credential = parse_qs(environ.get("QUERY_STRING", "")).get("X-Amz-Credential", [""])[0]
        scope = _CREDENTIAL_SCOPE.search("Credential=" + credential)
    if scope is None:
        return "unknown"
    service = scope.group(1)
    # DynamoDB Streams signs with the dynamodb scope; only the target prefix tells them apart.
    if service == "dynamodb" and environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDBStreams"):
        return "dynamodbstreams"
    return service


def _buffer_body(environ):
    stream = environ["wsgi.input"]
    length = environ.get("CONTENT_LENGTH")
    if length:
        body = stream.read(int(length))
    elif environ.get("wsgi.input_terminated"):
        body = stream.read()
    else:
        body = b""
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    return body


def _params(environ, body):
    content_type = environ.get("CONTENT_TYPE", "")
    if "x-www-form-urlencoded" in content_type:
        fields = {k: v[0] for k, v in parse_qs(body.decode(), keep_blank_values=True).items()}
        return fields, fields.get("Action")
    query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
    if body:
        try:
            return json.loads(body), query.get("Action")
        except ValueError:
            return {"body": body.decode(errors="replace")}, query.get("Action")
    return query, query.get("Action")


def _s3_parts(environ):
    bucket, _, key = unquote(environ.get("PATH_INFO", "")).lstrip("/").partition("/")
    return bucket, key


def _s3_params(environ):
    bucket, key = _s3_parts(environ)
    params = {"method": environ["REQUEST_METHOD"], "bucket": bucket, "key": key}
    query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True).items()}
    if query:
        params["query"] = query
    return params


_S3_OBJECT_OPS = {"GET": "GetObject", "PUT": "PutObject", "HEAD": "HeadObject", "DELETE": "DeleteObject"}
_S3_BUCKET_OPS = {"GET": "ListObjects", "PUT": "CreateBucket", "HEAD": "HeadBucket", "DELETE": "DeleteBucket"}


def _s3_operation(environ):
    method = environ["REQUEST_METHOD"]
    bucket, key = _s3_parts(environ)
    query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    if not bucket:
        return "ListBuckets"
    if key:
        if method == "PUT" and environ.get("HTTP_X_AMZ_COPY_SOURCE"):
            return "CopyObject"
        if method == "POST" and "uploads" in query:
            return "CreateMultipartUpload"
        if method == "PUT" and "partNumber" in query:
            return "UploadPart"
        if method == "POST" and "uploadId" in query:
            return "CompleteMultipartUpload"
        return _S3_OBJECT_OPS.get(method, method)
    if method == "POST" and "delete" in query:
        return "DeleteObjects"
    if method == "GET" and query.get("list-type") == ["2"]:
        return "ListObjectsV2"
    return _S3_BUCKET_OPS.get(method, method)


def _error_code(status, headers, body):
    for name, value in headers:
        if name.lower() == "x-amzn-errortype":
            return value.split(":", 1)[0]
    match = _XML_CODE.search(body)
    if match:
        return match.group(1).decode()
    try:
        error_type = json.loads(body).get("__type", "")
    except (ValueError, AttributeError):
        error_type = ""
    return error_type.rsplit("#", 1)[-1] if error_type else str(status)
