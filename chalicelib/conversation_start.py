"""start_conversation: the business writes first, with an approved WhatsApp template.

Outside WhatsApp's 24-hour window only a template reaches a customer. A Connect flow (its "Invoke
AWS Lambda function" block) or `chalice invoke` names the customer, the business number and the
template; the template goes out, and the conversation remembers it as its `campaign`, so that the
chat the customer's reply opens carries the caller's contact attributes and shows the agent what the
customer read. A conversation with an open chat is refused: there the agent sends /template.

Every refusal is {"status": "error", "error": one line} and sends nothing; the response is a flat
map of strings, as a flow's Lambda block requires.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Mapping

from botocore.exceptions import ClientError

from . import logs, messaging, metrics, sessions, templates
from .config import SettingsError
from .digests import client_token
from .aws_errors import error_code, error_message
from .runtime import Runtime
from .templates import Command, TemplateError
from .whatsapp import conversation_id

CONTACT_FLOW_EVENT = "ContactFlowEvent"
# The phone number id SendWhatsAppMessage and GetLinkedWhatsAppBusinessAccountPhoneNumber take
# (socialmessaging model, WhatsAppPhoneNumberId: 1-115 characters).
_PHONE_NUMBER_ID = re.compile(r"^(phone-number-id-[0-9a-zA-Z]+|arn:[^:]+:social-messaging:[^:]*:\d*:"
                              r"phone-number-id/[0-9a-zA-Z]+)$")
PHONE_NUMBER_ID_MAX_CHARS = 115
# E.164: a country code and subscriber number of at most 15 digits; no real number is under 7.
_E164_DIGITS = re.compile(r"^[1-9][0-9]{6,14}$")
# What people write between a number's digits.
_NUMBER_SEPARATORS = re.compile(r"[\s().-]")
# StartChatContact's Attributes (connect model): "Attribute keys can include only alphanumeric,
# dash, and underscore characters", "up to 32,768 UTF-8 bytes across all key-value pairs".
_ATTRIBUTE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
ATTRIBUTES_MAX_BYTES = 32768
# The same request again within this time is the caller retrying one that went out, not a second
# campaign: a flow's or a script's retry after a timeout comes within minutes.
REPEATED_REQUEST_SECONDS = 3600
# A Connect flow passes only strings: the parameters come as parameter1, parameter2, … (each may
# be set from a contact attribute) or as one JSON array in `parameters`.
_NUMBERED_PARAMETER = "parameter{}"


class BadRequest(ValueError):
    """One line for the caller: what is wrong with the request, or why it cannot be sent."""


@dataclass(frozen=True)
class Request:
    customer_wa_id: str  # the number's digits, as WhatsApp's wa_id
    phone_number_id: str  # the business number: phone-number-id-… or its ARN
    template_name: str
    language: str  # "" when the template has one language
    parameters: tuple[str, ...]
    attributes: dict[str, str]


def start(event: Any, runtime: Runtime) -> dict[str, str]:
    try:
        request = parse_request(event)
        sent = _send_template(request, runtime)
    except (BadRequest, TemplateError) as refused:
        logs.warning("conversation_not_started", reason=str(refused))
        return {"status": "error", "error": str(refused)}
    return {"status": "sent", **sent}


def parse_request(event: Any) -> Request:
    """The plain JSON object `chalice invoke` passes, or a Connect flow's ContactFlowEvent."""
    if not isinstance(event, Mapping):
        raise BadRequest("The input must be a JSON object.")
    fields: Mapping[str, Any] = event
    contact: Mapping[str, Any] = {}
    if event.get("Name") == CONTACT_FLOW_EVENT:
        details = event.get("Details") or {}
        fields = details.get("Parameters") or {}
        contact = details.get("ContactData") or {}
    return Request(
        customer_wa_id=_customer_wa_id(fields.get("customerNumber") or _caller_number(contact)),
        phone_number_id=_phone_number_id(fields.get("phoneNumberId")),
        template_name=_required_text(fields, "templateName"),
        language=_optional_text(fields, "language"),
        parameters=_parameters(fields),
        attributes=_attributes(fields.get("attributes")))


def _caller_number(contact: Mapping[str, Any]) -> Any:
    """In a voice flow, the caller's own number, when the flow names none."""
    endpoint = contact.get("CustomerEndpoint") or {}
    return endpoint.get("Address") if endpoint.get("Type") == "TELEPHONE_NUMBER" else None


def _customer_wa_id(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise BadRequest("customerNumber is missing: give the customer's number in E.164, as +5511999990000.")
    digits = _NUMBER_SEPARATORS.sub("", value).removeprefix("+")
    if not _E164_DIGITS.match(digits):
        raise BadRequest("customerNumber is not a phone number: give it in E.164, as +5511999990000.")
    return digits


def _phone_number_id(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise BadRequest("phoneNumberId is missing: give the business number's End User Messaging "
                         "Social id, phone-number-id-…, or its ARN.")
    value = value.strip()
    if len(value) > PHONE_NUMBER_ID_MAX_CHARS or not _PHONE_NUMBER_ID.match(value):
        raise BadRequest("phoneNumberId must be the business number's End User Messaging Social id, "
                         "phone-number-id-…, or its ARN.")
    return value


def _required_text(fields: Mapping[str, Any], key: str) -> str:
    value = _optional_text(fields, key)
    if not value:
        raise BadRequest(f"{key} is missing.")
    return value


def _optional_text(fields: Mapping[str, Any], key: str) -> str:
    value = fields.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise BadRequest(f"{key} must be a string.")
    return value.strip()


def _parameters(fields: Mapping[str, Any]) -> tuple[str, ...]:
    value = fields.get("parameters")
    if value is None:
        return tuple(_numbered_parameters(fields))
    if isinstance(value, str):
        value = _json(value, "parameters", "a JSON array of strings")
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise BadRequest("parameters must be a list of strings.")
    return tuple(value)


def _numbered_parameters(fields: Mapping[str, Any]) -> list[str]:
    found = []
    while _NUMBERED_PARAMETER.format(len(found) + 1) in fields:
        key = _NUMBERED_PARAMETER.format(len(found) + 1)
        if not isinstance(fields[key], str):
            raise BadRequest(f"{key} must be a string.")
        found.append(fields[key])
    return found


def _attributes(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if isinstance(value, str):
        value = _json(value, "attributes", "a JSON object of strings")
    if not isinstance(value, dict) or not all(isinstance(item, str) for item in value.values()):
        raise BadRequest("attributes must be a map of strings to strings.")
    for key in value:
        if not _ATTRIBUTE_KEY.match(key):
            raise BadRequest(f"Attribute name {key!r} may hold only letters, digits, - and _, "
                             "as Amazon Connect requires.")
    size = sum(len(key.encode()) + len(item.encode()) for key, item in value.items())
    if size > ATTRIBUTES_MAX_BYTES:
        raise BadRequest(f"attributes hold {size:,} bytes; Amazon Connect takes at most "
                         f"{ATTRIBUTES_MAX_BYTES:,} across all of them.")
    return dict(value)


def _json(text: str, key: str, expected: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        raise BadRequest(f"{key} must be {expected}.") from None


@dataclass(frozen=True)
class _BusinessNumber:
    meta_phone_number_id: str  # what WhatsApp's webhooks name: half of the conversation id
    waba_id: str  # waba-…: where the templates are


def _send_template(request: Request, runtime: Runtime) -> dict[str, str]:
    business = _business_number(runtime, request.phone_number_id)
    conversation = conversation_id(business.meta_phone_number_id, request.customer_wa_id)
    known = sessions.get_conversation(runtime.sessions_table, conversation)
    # The customer's chats live under their business-scoped user id once one opened there
    # (identities.py): the number's conversation points at it.
    if known.open_session or (known.user_conversation_id and sessions.find_open(
            runtime.sessions_table, known.user_conversation_id)):
        raise BadRequest("The customer is in an open chat: the agent sends the template there, "
                         "with /template.")
    digest = _request_digest(request)
    if _already_sent(known.campaign, digest, runtime.clock()):
        # The caller retried a request that went out (a timeout, a flow's retry): the same answer,
        # and the customer gets the template once.
        logs.info("conversation_start_repeated", whatsappMessageId=known.campaign["whatsappMessageId"])
        return {"whatsappMessageId": known.campaign["whatsappMessageId"], "text": known.campaign["text"]}
    template, parameters = _template(runtime, business.waba_id, request)
    text = templates.render(template, parameters)
    whatsapp_id = _send(runtime, request, templates.whatsapp_payload(
        request.customer_wa_id, template, parameters))
    logs.info("conversation_started", phoneNumberId=request.phone_number_id, template=template.label,
              whatsappMessageId=whatsapp_id)
    metrics.count(metrics.TEMPLATES_SENT, request.phone_number_id)
    campaign = {"templateName": template.name, "language": template.language, "text": text,
                "attributes": request.attributes, "whatsappMessageId": whatsapp_id,
                "sentAt": int(runtime.clock()), "requestDigest": digest}
    if not sessions.remember_campaign(runtime.sessions_table, conversation, campaign,
                                      runtime.clock()):
        # The customer wrote at that moment: the chat that opened keeps its own attributes.
        logs.warning("campaign_not_recorded_chat_open", template=template.label,
                     whatsappMessageId=whatsapp_id)
    return {"whatsappMessageId": whatsapp_id, "text": text}


def _request_digest(request: Request) -> str:
    return client_token("start-conversation", request.customer_wa_id, request.phone_number_id,
                        request.template_name, request.language, *request.parameters,
                        json.dumps(request.attributes, sort_keys=True))


def _already_sent(campaign: dict | None, digest: str, now: float) -> bool:
    return (campaign is not None and campaign.get("requestDigest") == digest
            and now - float(campaign.get("sentAt", 0)) < REPEATED_REQUEST_SECONDS)


def _business_number(runtime: Runtime, phone_number_id: str) -> _BusinessNumber:
    """The Meta id and the business account of the number, as End User Messaging Social links them:
    asked rather than taken from the caller, so they cannot disagree with the number."""
    try:
        response = runtime.clients.social.get_linked_whatsapp_business_account_phone_number(
            id=phone_number_id)
    except ClientError as error:
        raise BadRequest(f"The business number {phone_number_id} could not be looked up in End User "
                         f"Messaging Social: {error_message(error)}") from None
    return _BusinessNumber(meta_phone_number_id=response["phoneNumber"]["metaPhoneNumberId"],
                           waba_id=response["linkedWhatsAppBusinessAccountId"])


def _template(runtime: Runtime, waba_id: str, request: Request
              ) -> tuple[templates.Template, tuple[str, ...]]:
    try:
        summaries = runtime.template_summaries(waba_id)
        arguments = (request.language,) if request.language else ()
        summary, unmatched = templates.choose(
            Command(listing=False, name=request.template_name, arguments=arguments), summaries)
        if unmatched:  # the template has one language, and it is not the one asked for
            raise BadRequest(f"{summary.name} has no language {request.language}; it is in {summary.language}.")
        template = runtime.template(waba_id, summary.meta_template_id)
    except ClientError as error:
        raise BadRequest(f"The templates could not be read from End User Messaging Social: "
                         f"{error_message(error)}") from None
    templates.check_parameters(template, request.parameters)
    return template, request.parameters


def _send(runtime: Runtime, request: Request, payload: dict) -> str:
    try:
        meta_api_version = runtime.settings().meta_api_version
    except SettingsError as error:
        raise BadRequest(f"The bridge's settings are not usable: {error}") from None
    try:
        return messaging.send(runtime.clients.social, request.phone_number_id, payload, meta_api_version)
    except messaging.WhatsAppRefused as refused:
        raise BadRequest(f"WhatsApp refused the template: {refused.message}") from None
    except ClientError as error:
        raise BadRequest(f"End User Messaging Social did not take the template ({error_code(error)}); "
                         "try again.") from None
