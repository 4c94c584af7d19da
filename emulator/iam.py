"""IAM in the twin: a call signed with a role's access key is held against that role's policy and
refused the way AWS refuses it.

In Lambda a function's boto3 clients sign with its role's session credentials, so the access key
id in a request's SigV4 `Credential=` names the role. The twin knows roles by that key
(`Iam.add_role`); a call signed with any other key (the tests' own set-up, the sandbox, the
bench) is not checked. What a call needs (`required_permissions`) is also what
tests/test_iam_policies.py checks the deployed roles with, so the twin and that check agree.
"""

import fnmatch
import json
import re
import threading
import uuid
from dataclasses import dataclass
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

from werkzeug.wrappers import Response

_AUTHORIZATION_KEY = re.compile(r"Credential=([^/,\s]+)/")
_TRANSACTION_ACTIONS = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem",
                        "ConditionCheck": "ConditionCheckItem"}
# IAM's prefix where it is not the botocore service name.
_ACTION_PREFIXES = {"socialmessaging": "social-messaging", "dynamodbstreams": "dynamodb"}


class Unmapped(LookupError):
    """A call whose IAM action or resource the twin cannot name."""


def listify(value):
    return value if isinstance(value, list) else [value]


def required_permissions(call, *, account, region, stream_arn="*"):
    """The IAM (action, resource, condition context) a call needs, dependent actions included:
    what the service does with the caller's permissions (S3 for WhatsApp media and Transcribe).
    `call` is a call log entry (service, operation, params). Stream reads name their stream only
    through the shard iterator: `stream_arn` is the one the caller reads."""
    service, operation, params = call["service"], call["operation"], call["params"]

    def arn(kind, resource):
        return f"arn:aws:{kind}:{region}:{account}:{resource}"

    def table(name):
        return arn("dynamodb", f"table/{name}")

    if service in ("connectparticipant", "upload"):
        return []  # bearer-token API and presigned URLs: no IAM
    if service == "dynamodb":
        if operation == "TransactWriteItems":
            return [(f"dynamodb:{_TRANSACTION_ACTIONS[kind]}", table(body["TableName"]), {})
                    for item in params["TransactItems"] for kind, body in item.items()]
        if operation == "BatchGetItem":
            return [("dynamodb:BatchGetItem", table(name), {}) for name in params["RequestItems"]]
        resource = table(params["TableName"])
        if params.get("IndexName"):
            resource += f"/index/{params['IndexName']}"
        return [(f"dynamodb:{operation}", resource, {})]
    if service == "dynamodbstreams":  # Lambda's poller reads the stream with the function's role
        return [(f"dynamodb:{operation}", params.get("StreamArn", stream_arn), {})]
    if service == "ssm":
        return [(f"ssm:{operation}", arn("ssm", f"parameter{params['Name']}"), {})]
    if service == "s3":
        if operation in ("ListObjectsV2", "ListObjects"):
            prefix = params.get("query", {}).get("prefix", "")
            return [("s3:ListBucket", f"arn:aws:s3:::{params['bucket']}", {"s3:prefix": prefix})]
        return [(f"s3:{operation}", _object_arn(params["bucket"], params["key"]), {})]
    if service == "connect":
        instance = arn("connect", f"instance/{params['InstanceId']}")
        if operation == "StartChatContact":
            # The Service Authorization Reference lists StartChatContact's resources as contact and
            # contact-flow, with no dependent action: a PersistentChat asks for nothing more.
            return [("connect:StartChatContact", f"{instance}/contact-flow/{params['ContactFlowId']}", {}),
                    ("connect:StartChatContact", f"{instance}/contact/new-contact", {})]
        return [(f"connect:{operation}", instance, {})]
    if service == "socialmessaging":
        if "originationPhoneNumberId" not in params:  # a call that names its resource by `id`
            return [(f"social-messaging:{operation}", _social_arn(params["id"], arn), {})]
        needed = [(f"social-messaging:{operation}", _social_arn(params["originationPhoneNumberId"], arn), {})]
        if operation == "GetWhatsAppMessageMedia" and "destinationS3File" in params:
            target = params["destinationS3File"]  # the service names the object after the media
            needed.append(("s3:PutObject", _object_arn(target["bucketName"], target["key"] + params["mediaId"]), {}))
        if operation == "PostWhatsAppMessageMedia" and "sourceS3File" in params:
            source = params["sourceS3File"]
            needed.append(("s3:GetObject", _object_arn(source["bucketName"], source["key"]), {}))
        return needed
    if service == "transcribe":
        needed = [(f"transcribe:{operation}",
                   arn("transcribe", f"transcription-job/{params.get('TranscriptionJobName', '*')}"), {})]
        if operation == "StartTranscriptionJob":
            needed.append(("s3:GetObject", _s3_uri_arn(params["Media"]["MediaFileUri"]), {}))
            needed.append(("s3:PutObject", _object_arn(params["OutputBucketName"], params["OutputKey"]), {}))
        return needed
    raise Unmapped(f"no IAM mapping for {service} {operation}: add it to emulator/iam.py")


def _object_arn(bucket, key):
    return f"arn:aws:s3:::{bucket}/{key}"


def _s3_uri_arn(uri):
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return _object_arn(bucket, key)


def _social_arn(resource_id, arn):
    """A WABA (`waba-<id>`) or a phone number (`phone-number-id-<id>`), or its ARN."""
    if resource_id.startswith("arn:"):
        return resource_id
    kind, _, last = resource_id.rpartition("-")
    return arn("social-messaging", f"{kind}/{last}")


def allowing_statements(statements, action, resource, context):
    """The indexes of the Allow statements that grant `action` on `resource` in `context`."""
    found = []
    for index, statement in enumerate(statements):
        if statement["Effect"] != "Allow":
            continue
        if not any(fnmatch.fnmatchcase(action.lower(), a.lower()) for a in listify(statement["Action"])):
            continue
        if not any(fnmatch.fnmatchcase(resource, r) for r in listify(statement["Resource"])):
            continue
        if _condition_holds(statement.get("Condition", {}), context):
            found.append(index)
    return found


def _condition_holds(condition, context):
    for operator, keys in condition.items():
        match = {"StringLike": fnmatch.fnmatchcase, "StringEquals": str.__eq__}[operator]
        for key, expected in keys.items():
            if key not in context or not any(match(context[key], pattern) for pattern in listify(expected)):
                return False
    return True


@dataclass(frozen=True)
class Role:
    """A role's name and session name (Lambda's: the function's), and its resolved statements."""

    name: str
    session: str
    statements: list


class Iam:
    """The account's roles, each known by the access key id its sessions sign with."""

    def __init__(self, account_id, region):
        self.account_id = account_id
        self.region = region
        self._lock = threading.Lock()
        self.reset()

    def reset(self):
        with self._lock:
            self._roles = {}
            self._refusals = []

    def add_role(self, access_key_id, role):
        """Calls signed with `access_key_id` are held against `role` (replacing any it had)."""
        with self._lock:
            self._roles[access_key_id] = role

    def take_refusals(self):
        """The calls refused since the last take, as dicts of role, action and resource."""
        with self._lock:
            taken, self._refusals = self._refusals, []
        return taken

    def refusal(self, environ, service, operation, params):
        """AWS's message refusing the call, or None when it is allowed or its key names no role."""
        with self._lock:
            role = self._roles.get(access_key_id(environ))
        if role is None:
            return None
        principal = f"arn:aws:sts::{self.account_id}:assumed-role/{role.name}/{role.session}"
        call = {"service": service, "operation": operation, "params": params}
        try:
            needed = required_permissions(call, account=self.account_id, region=self.region)
        except LookupError as error:  # a twin without the mapping refuses, so the gap shows
            action = f"{_ACTION_PREFIXES.get(service, service)}:{operation}"
            return self._refuse(role, action, "?", f"User: {principal} is not authorized to perform: "
                                f"{action} (the twin cannot tell what it needs: {error!r})")
        for action, resource, context in needed:
            if not allowing_statements(role.statements, action, resource, context):
                return self._refuse(role, action, resource, (
                    f"User: {principal} is not authorized to perform: {action} on resource: "
                    f"{resource} because no identity-based policy allows the {action} action"))
        return None

    def _refuse(self, role, action, resource, message):
        with self._lock:
            self._refusals.append({"role": role.name, "action": action, "resource": resource})
        return message


def access_key_id(environ):
    """The access key id a request is signed with: its Authorization header's SigV4 credential,
    or a presigned URL's X-Amz-Credential."""
    match = _AUTHORIZATION_KEY.search(environ.get("HTTP_AUTHORIZATION", ""))
    if match:
        return match.group(1)
    credential = parse_qs(environ.get("QUERY_STRING", "")).get("X-Amz-Credential", [""])[0]
    return credential.partition("/")[0] or None


def refusal_response(service, message):
    """The refusal as the moto-served service answers it, for botocore to parse into a
    ClientError: S3's AccessDenied (403, XML), SNS's AuthorizationError (403, query XML), and
    the JSON services' AccessDeniedException (400; DynamoDB's front end names it in coral's
    namespace)."""
    request_id = str(uuid.uuid4())
    if service == "s3":
        body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code>'
                f"<Message>{escape(message)}</Message><RequestId>{request_id}</RequestId></Error>")
        return Response(body, status=403, content_type="application/xml",
                        headers={"x-amz-request-id": request_id})
    if service == "sns":
        body = (f'<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type>'
                f"<Code>AuthorizationError</Code><Message>{escape(message)}</Message></Error>"
                f"<RequestId>{request_id}</RequestId></ErrorResponse>")
        return Response(body, status=403, content_type="text/xml")
    dynamodb = service.startswith("dynamodb")
    error_type = "com.amazon.coral.service#AccessDeniedException" if dynamodb else "AccessDeniedException"
    return Response(json.dumps({"__type": error_type, "Message": message}), status=400,
                    content_type=f"application/x-amz-json-{'1.0' if dynamodb else '1.1'}",
                    headers={"x-amzn-RequestId": request_id})
