"""The doctor's checks of one stage, read-only. Each takes the clients it reads with and returns
its results; a check that needs what an earlier one could not read says so instead (–)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Iterator, Mapping

from botocore.exceptions import ClientError

from chalicelib.config import ChatRouting, Settings, SettingsError, parse_settings
from doctor import policies
from doctor.report import Result, failed, passed, skipped
from doctor.stage import Stage

CONNECT = "connect.amazonaws.com"
SOCIAL = "social-messaging.amazonaws.com"
# What each service needs of a topic encrypted with a customer managed key (SNS Developer Guide,
# "Configuring AWS KMS permissions": an event source publishing to an encrypted topic needs
# kms:GenerateDataKey* and kms:Decrypt on the key).
KEY_ACTIONS = ("kms:GenerateDataKey", "kms:Decrypt")
# The functions and the topic each is subscribed to (app.py's on_sns_message decorators).
SUBSCRIBED = (("on_whatsapp_event", "inbound_topic_arn"), ("on_connect_event", "streaming_topic_arn"))
STREAM_FUNCTION = "flush_buffer"
SETTINGS_HELP = "the README's Settings"


@dataclass(frozen=True)
class Clients:
    ssm: Any
    connect: Any
    socialmessaging: Any
    sns: Any
    kms: Any = None
    lambda_: Any = None
    sqs: Any = None

    @classmethod
    def from_session(cls, session: Any, deployed: bool, endpoints: Mapping[str, str] | None = None) -> "Clients":
        """`endpoints`: AWS_ENDPOINT_URL_<SERVICE> (and AWS_ENDPOINT_URL) values for these clients
        only (the sandbox's twin); without them boto3 finds the endpoints the standard way."""
        endpoints = endpoints or {}

        def client(name: str) -> Any:
            url = endpoints.get(f"AWS_ENDPOINT_URL_{name.upper()}", endpoints.get("AWS_ENDPOINT_URL"))
            return session.client(name, **({"endpoint_url": url} if url else {}))

        deployed_only = ("kms", "lambda", "sqs") if deployed else ()
        made = {name: client(name) for name in ("ssm", "connect", "socialmessaging", "sns", *deployed_only)}
        return cls(ssm=made["ssm"], connect=made["connect"], socialmessaging=made["socialmessaging"],
                   sns=made["sns"], kms=made.get("kms"), lambda_=made.get("lambda"), sqs=made.get("sqs"))


def _code(error: ClientError) -> str:
    return error.response.get("Error", {}).get("Code", "")


def refused(what: str, error: ClientError) -> Result:
    """A call the account refused or failed: which, and what to do about it."""
    operation = error.operation_name
    if _code(error) in ("AccessDeniedException", "AccessDenied", "AuthorizationError", "AuthorizationErrorException"):
        return failed(f"{what}: not allowed to call {operation}",
                      "run doctor with credentials that carry the Doctor statement of infra/deployer-policy.json")
    return failed(f"{what}: {operation} failed ({_code(error)}: {error.response.get('Error', {}).get('Message', '')})",
                  "look at the error above; run doctor again once it is cleared")


# --- the settings parameter -------------------------------------------------------------------

def settings(ssm: Any, stage: Stage) -> tuple[list[Result], Settings | None]:
    name = stage.config_parameter
    try:
        document = ssm.get_parameter(Name=name)["Parameter"]["Value"]
    except ClientError as error:
        if _code(error) == "ParameterNotFound":
            return [failed(f"settings parameter {name} does not exist",
                           f"deploy the stage (make deploy STAGE={stage.name}), which creates it, then fill it "
                           f"in ({SETTINGS_HELP})")], None
        return [refused(f"settings parameter {name}", error)], None
    try:
        parsed = parse_settings(document)
    except SettingsError as error:
        return [failed(f"settings parameter {name}: {error}",
                       f"aws ssm put-parameter --overwrite --name {name} --value '<JSON>' ({SETTINGS_HELP})")], None
    return [passed(f"settings parameter {name} parses and passes the bridge's validation")], parsed


def routings(parsed: Settings) -> list[ChatRouting]:
    """Every instance and flow the settings send chats to, once each."""
    seen: dict[tuple[str, str], ChatRouting] = {}
    for routing in (parsed.routing, *parsed.routing_by_phone_number.values()):
        seen.setdefault((routing.instance_id, routing.contact_flow_id), routing)
    return list(seen.values())


# --- Amazon Connect -----------------------------------------------------------------------------

def connect_instance(connect: Any, stage: Stage, routing: ChatRouting) -> list[Result]:
    instance_id = routing.instance_id
    label = f"Connect instance {instance_id}"
    results = []
    if stage.connect_instance_scope not in ("*", instance_id):
        results.append(failed(
            f"{label}: the stage's roles may start chats only in instance {stage.connect_instance_scope}",
            f"set instance_id to {stage.connect_instance_scope}, or ConnectInstanceId in "
            f"infra/stages/{stage.name}.json to {instance_id} and deploy again"))
    try:
        instance = connect.describe_instance(InstanceId=instance_id)["Instance"]
    except ClientError as error:
        if _code(error) == "ResourceNotFoundException":
            return results + [failed(f"{label} does not exist in {stage.region}",
                                     "set instance_id to the id at the end of your instance's ARN "
                                     f"({SETTINGS_HELP}), in the Region the stage is deployed to")]
        return results + [refused(label, error)]
    status = instance.get("InstanceStatus")
    if status != "ACTIVE":
        return results + [failed(f"{label} ({instance.get('InstanceAlias', '')}) is {status}: it takes no chats",
                                 "wait for its creation to finish, or create a new instance "
                                 f"({instance.get('StatusReason', {}).get('Message', 'no reason given')})")]
    # Chat has no switch of its own: every ACTIVE instance takes chats (DescribeInstance and the
    # instance attributes name none).
    return results + [passed(f"{label} ({instance.get('InstanceAlias', '')}) is ACTIVE: it takes chats")]


def contact_flow(connect: Any, routing: ChatRouting) -> Result:
    label = f"contact flow {routing.contact_flow_id}"
    try:
        flow = connect.describe_contact_flow(InstanceId=routing.instance_id,
                                             ContactFlowId=routing.contact_flow_id)["ContactFlow"]
    except ClientError as error:
        if _code(error) == "ContactFlowNotPublishedException":
            return failed(f"{label} is saved but not published: chats cannot start in it",
                          "publish it in the flow designer (Routing, Flows, the flow, Publish)")
        if _code(error) == "ResourceNotFoundException":
            return failed(f"{label} is not a flow of instance {routing.instance_id}",
                          "set contact_flow_id to the last part of the inbound flow's ARN "
                          "(infra/flows/ has one to import)")
        return refused(label, error)
    name = flow.get("Name", "")
    if flow.get("State") != "ACTIVE":
        return failed(f"{label} ({name}) is {flow.get('State')}", "restore it, or set contact_flow_id to an active flow")
    if flow.get("Type") != "CONTACT_FLOW":
        return failed(f"{label} ({name}) is a {flow.get('Type')} flow, not an inbound flow",
                      "set contact_flow_id to an inbound flow (type Contact flow)")
    return passed(f"{label} ({name}) is an active, published inbound flow")


def attachments(connect: Any, routing: ChatRouting) -> Result:
    label = f"attachments in instance {routing.instance_id}"
    try:
        stored = connect.list_instance_storage_configs(InstanceId=routing.instance_id,
                                                       ResourceType="ATTACHMENTS")["StorageConfigs"]
        if not stored:
            return failed(f"{label} are off: customers' files and voice notes reach the agent as a note only",
                          "enable attachments: Connect console, the instance, Data storage, Attachments")
        rules = connect.describe_attached_files_configuration(
            InstanceId=routing.instance_id, AttachmentScope="CHAT")["AttachedFilesConfiguration"]
    except ClientError as error:
        return refused(label, error)
    extensions = sorted(e["Extension"] for e in rules.get("ExtensionConfiguration", {}).get("AllowedExtensions", []))
    size = rules.get("MaximumSizeLimitInBytes", 0) // (1024 * 1024)
    return passed(f"{label} are on: up to {size} MB, {', '.join(extensions) or 'no extension'}")


def persistent_chat(connect: Any, routing: ChatRouting) -> Result:
    """A returning customer's earlier chats are shown through PersistentChat, which reads the past
    contact's transcript from the instance's chat transcripts bucket (Admin Guide, "Enable
    persistent chat")."""
    label = f"persistent chat in instance {routing.instance_id}"
    try:
        stored = connect.list_instance_storage_configs(InstanceId=routing.instance_id,
                                                       ResourceType="CHAT_TRANSCRIPTS")["StorageConfigs"]
    except ClientError as error:
        return refused(label, error)
    if not stored:
        return failed(f"{label} cannot be used: the instance keeps no chat transcripts",
                      "Connect console, the instance, Data storage, Chat transcripts: choose an S3 bucket")
    return passed(f"{label} can be used: chat transcripts are kept in S3")


# --- WhatsApp business accounts ---------------------------------------------------------------

def _accounts(social: Any) -> Iterator[dict]:
    token = None
    while True:
        page = social.list_linked_whatsapp_business_accounts(**({"nextToken": token} if token else {}))
        yield from page.get("linkedAccounts", [])
        token = page.get("nextToken")
        if not token:
            return


def business_accounts(social: Any, stage: Stage, parsed: Settings | None) -> list[Result]:
    """Each business account the stage serves: linked and registered, its numbers, its event
    destination the stage's inbound topic, and approved templates for the closed window."""
    try:
        accounts = [a for a in _accounts(social) if stage.waba_scope in ("*", a["id"].removeprefix("waba-"))]
    except ClientError as error:
        return [refused("WhatsApp business accounts", error)]
    if not accounts:
        scope = "" if stage.waba_scope == "*" else f" {stage.waba_scope}"
        return [failed(f"no WhatsApp business account{scope} is linked in {stage.region}",
                       "link it in the End User Messaging Social console (WhatsApp, Business accounts), "
                       f"or correct WhatsAppBusinessAccountId in infra/stages/{stage.name}.json")]
    results, linked_numbers = [], set()
    for summary in accounts:
        label = f"business account {summary['id']}"
        try:
            account = social.get_linked_whatsapp_business_account(id=summary["id"])["account"]
        except ClientError as error:
            results.append(refused(label, error))
            continue
        numbers = account.get("phoneNumbers", [])
        linked_numbers.update(n["metaPhoneNumberId"] for n in numbers)
        names = ", ".join(f"{n.get('displayPhoneNumberName', '')} ({n['metaPhoneNumberId']})" for n in numbers)
        results.append(passed(f"{label} is linked, numbers: {names or 'none'}"))
        results.append(event_destination(account, stage))
        results.append(templates(social, account))
    if parsed is not None:
        for meta_id in sorted(parsed.routing_by_phone_number):
            if meta_id not in linked_numbers:
                results.append(failed(f"settings phone_numbers names {meta_id}, which no linked account has",
                                      "use the number's Meta phone number id, as its webhooks name it "
                                      "(metadata.phone_number_id), or remove the entry"))
    return results


def event_destination(account: dict, stage: Stage) -> Result:
    label = f"event destination of {account['id']}"
    destinations = [d.get("eventDestinationArn") for d in account.get("eventDestinations", [])]
    if stage.inbound_topic_arn in destinations:
        return passed(f"{label} is the stage's inbound topic")
    now = destinations[0] if destinations else "none"
    return failed(f"{label} is {now}, not the stage's inbound topic: no customer message reaches the bridge",
                  f"aws socialmessaging put-whatsapp-business-account-event-destinations --id {account['id']} "
                  f"--event-destinations eventDestinationArn={stage.inbound_topic_arn}")


def templates(social: Any, account: dict) -> Result:
    """Outside WhatsApp's 24-hour window only an approved template reaches the customer: the agent's
    /template and start_conversation choose among them."""
    label = f"templates of {account['id']}"
    approved, token = [], None
    try:
        while True:
            page = social.list_whatsapp_message_templates(id=account["arn"], **({"nextToken": token} if token else {}))
            approved += [f"{t['templateName']} ({t['templateLanguage']})" for t in page.get("templates", [])
                         if t.get("templateStatus") == "APPROVED"]
            token = page.get("nextToken")
            if not token:
                break
    except ClientError as error:
        return refused(label, error)
    if not approved:
        return failed(f"{label}: none is approved, so nothing reaches a customer after the 24-hour window",
                      "create a template in WhatsApp Manager and wait for Meta's approval")
    return passed(f"{label}: {len(approved)} approved: {', '.join(approved)}")


# --- who may publish to the topics ------------------------------------------------------------

def _arn(stage: Stage, service: str, resource: str) -> str:
    return f"arn:aws:{service}:{stage.region}:{stage.account}:{resource}"


def topic_publishers(sns: Any, kms: Any, stage: Stage, parsed: Settings | None) -> list[Result]:
    """Connect publishes to the streaming topic as each routed instance; End User Messaging Social
    to the inbound topic as the business account; an encrypted topic's key must let them too."""
    if not stage.deployed:
        return [skipped("topic and key policies: the sandbox's twin publishes for Connect and End User "
                        "Messaging Social, with no policy to read")]
    instances = sorted({r.instance_id for r in routings(parsed)}) if parsed else []
    publishers = [("streaming topic", stage.streaming_topic_arn, CONNECT, "Connect",
                   [_arn(stage, "connect", f"instance/{i}") for i in instances]),
                  ("inbound topic", stage.inbound_topic_arn, SOCIAL, "End User Messaging Social",
                   [_arn(stage, "social-messaging", f"waba/{stage.waba_scope}")])]
    results = []
    for label, topic, service, who, sources in publishers:
        if not sources:
            results.append(skipped(f"who may publish to the {label}: needs valid settings"))
            continue
        try:
            attributes = sns.get_topic_attributes(TopicArn=topic)["Attributes"]
        except ClientError as error:
            results.append(refused(f"{label} {topic}", error))
            continue
        context = [{"aws:SourceArn": source, "aws:SourceAccount": stage.account} for source in sources]
        if all(policies.service_allowed(attributes.get("Policy", "{}"), service, "sns:Publish", topic, c)
               for c in context):
            results.append(passed(f"{who} may publish to the {label}"))
        else:
            results.append(failed(f"the {label}'s policy does not let {who} publish ({', '.join(sources)})",
                                  f"deploy the stage again (make deploy STAGE={stage.name}): the stack's "
                                  "topic policy allows it"))
        key = attributes.get("KmsMasterKeyId")
        if key:
            results.append(_key_allows(kms, key, label, service, who, context))
    return results


def _key_allows(kms: Any, key: str, label: str, service: str, who: str, contexts: list[dict]) -> Result:
    try:
        policy = kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"]
    except ClientError as error:
        return refused(f"key of the {label}", error)
    if all(policies.service_allowed(policy, service, action, key, c) for action in KEY_ACTIONS for c in contexts):
        return passed(f"{who} may use the {label}'s key")
    return failed(f"the {label}'s key policy does not let {who} use the key: its messages are lost",
                  "deploy the stage again: the stack's TopicKey policy allows it")


# --- functions, event sources, failure queues -------------------------------------------------

def functions(lambda_: Any, sns: Any, stage: Stage) -> list[Result]:
    if not stage.deployed:
        return [skipped("functions, event sources and failure queues: chalice local runs the handlers "
                        "in the sandbox")]
    results = []
    for function, name in stage.functions.items():
        try:
            configuration = lambda_.get_function(FunctionName=name)["Configuration"]
        except ClientError as error:
            if _code(error) == "ResourceNotFoundException":
                results.append(failed(f"function {name} does not exist", f"make deploy STAGE={stage.name}"))
            else:
                results.append(refused(f"function {name}", error))
            continue
        results.append(passed(f"function {name} exists ({configuration.get('Runtime', '')})"))
    results += _subscriptions(sns, stage)
    if STREAM_FUNCTION in stage.functions and stage.buffer_stream_arn:
        results.append(_stream_mapping(lambda_, stage))
    return results


def _subscriptions(sns: Any, stage: Stage) -> list[Result]:
    results = []
    for function, topic_field in SUBSCRIBED:
        if function not in stage.functions:
            continue
        name, topic = stage.functions[function], getattr(stage, topic_field)
        try:
            subscribed = [s["Endpoint"] for s in _topic_subscriptions(sns, topic) if s.get("Protocol") == "lambda"]
        except ClientError as error:
            results.append(refused(f"subscriptions of {topic}", error))
            continue
        if any(endpoint.split(":")[6] == name for endpoint in subscribed if endpoint.count(":") >= 6):
            results.append(passed(f"{name} is subscribed to its topic"))
        else:
            results.append(failed(f"{name} is not subscribed to {topic}: its events go nowhere",
                                  f"make deploy STAGE={stage.name} (chalice deploy subscribes it)"))
    return results


def _topic_subscriptions(sns: Any, topic: str) -> Iterable[dict]:
    token = None
    while True:
        page = sns.list_subscriptions_by_topic(TopicArn=topic, **({"NextToken": token} if token else {}))
        yield from page.get("Subscriptions", [])
        token = page.get("NextToken")
        if not token:
            return


def _stream_mapping(lambda_: Any, stage: Stage) -> Result:
    name = stage.functions[STREAM_FUNCTION]
    try:
        mappings = lambda_.list_event_source_mappings(FunctionName=name,
                                                      EventSourceArn=stage.buffer_stream_arn)["EventSourceMappings"]
    except ClientError as error:
        return refused(f"event source of {name}", error)
    if not mappings:
        return failed(f"{name} does not read the buffer table's stream: customers' messages stay in the buffer",
                      f"make deploy STAGE={stage.name}")
    state = mappings[0].get("State")
    if state != "Enabled":
        return failed(f"{name}'s mapping of the buffer table's stream is {state}",
                      f"aws lambda update-event-source-mapping --uuid {mappings[0]['UUID']} --enabled")
    return passed(f"{name} reads the buffer table's stream (mapping Enabled)")


def failure_queues(sqs: Any, stage: Stage) -> list[Result]:
    results = []
    for output, url in stage.failure_queues.items():
        queue = url.rsplit("/", 1)[-1]
        try:
            attributes = sqs.get_queue_attributes(
                QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
        except ClientError as error:
            results.append(refused(f"queue {queue}", error))
            continue
        depth = int(attributes.get("ApproximateNumberOfMessages", 0))
        if depth:
            results.append(failed(f"{queue} holds {depth} message{'s' * (depth != 1)} Lambda gave up on",
                                  "fix the cause, then redrive them: docs/deploy.md, Failed events"))
        else:
            results.append(passed(f"{queue} is empty"))
    return results


# --- all of them ------------------------------------------------------------------------------

def run(clients: Clients, stage: Stage) -> Iterator[Result]:
    """Every check of the stage, in the order an operator sets a stage up."""
    settings_results, parsed = settings(clients.ssm, stage)
    yield from settings_results
    if parsed is None:
        yield skipped("Connect instance, flow, attachments and persistent chat: need valid settings")
    else:
        for routing in routings(parsed):
            results = connect_instance(clients.connect, stage, routing)
            yield from results
            if results[-1].failed:
                continue
            yield contact_flow(clients.connect, routing)
            yield attachments(clients.connect, routing)
            yield persistent_chat(clients.connect, routing)
    yield from business_accounts(clients.socialmessaging, stage, parsed)
    yield from topic_publishers(clients.sns, clients.kms, stage, parsed)
    yield from functions(clients.lambda_, clients.sns, stage)
    if stage.deployed:
        yield from failure_queues(clients.sqs, stage)
