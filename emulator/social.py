"""AWS End User Messaging Social: sending WhatsApp messages and moving media through S3."""

import base64
import copy
import json
import re
import threading
import urllib.error
import urllib.request
import uuid

from botocore.config import Config
from botocore.exceptions import ClientError

from emulator import interactive_rules, templates
from emulator.clock import Clock
from emulator.limits import Limits
from emulator.moto_server import INTERNAL_HEADER, internal_client
from emulator.restjson import ServiceError, locked
from emulator.undocumented import Undocumented

SOCIAL_OPERATIONS = (
    "SendWhatsAppMessage",
    "GetWhatsAppMessageMedia",
    "PostWhatsAppMessageMedia",
    "ListWhatsAppMessageTemplates",
    "GetWhatsAppMessageTemplate",
    "GetLinkedWhatsAppBusinessAccountPhoneNumber",
    "ListLinkedWhatsAppBusinessAccounts",
    "GetLinkedWhatsAppBusinessAccount",
    "PutWhatsAppBusinessAccountEventDestinations",
)
# The reference numbers as Meta knows them (their webhooks' metadata in events/): last part of the
# End User Messaging Social id -> (Meta phone number id, display number).
_REFERENCE_META_NUMBERS = {
    "6f17dbb4562b2cd3343a3d0fdec78c75": ("101996265140636", "15550100100"),
    "fb8c857b8024e25056484641ad5a9e55": ("194215367264973", "15550100200"),
}
# The reference business account's id at Meta (events/README.md: "WABA 174660489307702").
_REFERENCE_META_WABAS = {"7c2025cfddb055018df85097925ee415": "174660489307702"}
_ACCOUNT_ARN = "arn:aws:social-messaging:us-east-1:123456789012"
# WhatsAppBusinessAccountEventDestination.eventDestinationArn (socialmessaging model): pattern
# `arn:.*:[a-z-]+([/:](.*))?`, at most 2048 characters.
_EVENT_DESTINATION_ARN = re.compile(r"^arn:.*:[a-z-]+([/:](.*))?$")

_PHONE_NUMBER_ID = re.compile(
    r"^(phone-number-id-[A-Za-z0-9]+|arn:aws:social-messaging:[a-z0-9-]+:\d{12}:phone-number-id/[A-Za-z0-9]+)$"
)
# LinkedWhatsAppBusinessAccountId (socialmessaging model): pattern `.*(^waba-.*$)|(^arn:.*:waba/[0-9a-zA-Z]+$).*`.
_WABA_ID = re.compile(r"^(waba-[0-9a-zA-Z]+|arn:.*:waba/[0-9a-zA-Z]+)$")
_META_API_VERSION = re.compile(r"^v\d+\.\d+$")
# The model documents no default page size for ListWhatsAppMessageTemplates; a small one makes a
# caller that reads only the first page show.
_DEFAULT_PAGE_SIZE = 10
# WhatsApp's customer service window (docs/reference/WHATSAPP_PAYLOADS.md §5): "All message types,
# except for template messages, can only be sent when a customer service window is open", and it
# opens or refreshes with each message of the customer, for 24 hours.
WINDOW_SECONDS = 24 * 3600
# What Meta's `failed` status carries for a free-form message outside the window
# (events/eum-status-failed.json, errors[0]).
RE_ENGAGEMENT_FAILURE = {
    "code": 131047,
    "title": "Re-engagement message",
    "message": "Re-engagement message",
    "error_data": {
        "details": "Message failed to send because more than 24 hours have passed since the customer "
                   "last replied to this number."
    },
    "href": "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/",
}
_MEDIA_ID = re.compile(r"^[A-Za-z0-9]{1,100}$")
# Who a message is for (Meta, *Business-scoped user IDs*, developers.facebook.com/documentation/
# business-messaging/whatsapp/business-scoped-user-ids): "to" takes a phone number, "recipient" a
# business-scoped user id (BSUID: a two-letter country code, a period and up to 128 alphanumerics,
# `US.13491208655302741918`; a parent BSUID `US.ENT.…`); when both are given, "to" wins. A wa_id
# is the number's digits, with or without a leading +.
_PHONE_NUMBER = re.compile(r"^\+?[0-9]+$")
# What Meta answers a BSUID in "to" is not on that page nor on the error codes page; the nearest
# documented answer is the error codes page's 131009 "Parameter value is not valid" ("One or more
# parameter values are invalid"), passed on, like the template refusals (emulator/templates.py), as
# a ValidationException with Meta's code first.
BSUID_IN_TO = ("(#131009) Parameter value is not valid: to takes a phone number; send to a "
               "business-scoped user id with recipient")
# The extension the service appends to the destination key prefix. Only ogg is documented (the
# model's example `audio/` + `123.ogg`); the rest follow the file types WhatsApp sends.
_EXTENSIONS = {
    "audio/ogg": "ogg",
    "audio/mpeg": "mp3",
    "audio/aac": "aac",
    "audio/amr": "amr",
    "audio/mp4": "m4a",
    "image/jpeg": "jpeg",
    "image/png": "png",
    "image/webp": "webp",
    "video/mp4": "mp4",
    "video/3gpp": "3gp",
    "application/pdf": "pdf",
    "text/plain": "txt",
    "application/msword": "doc",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.ms-excel": "xls",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/vnd.ms-powerpoint": "ppt",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "pptx",
}


def extension_for(mime_type):
    return _EXTENSIONS.get(mime_type.split(";", 1)[0].strip().lower(), "bin")


class SocialEmulator:
    """Sent messages land in `sent` (a free-form one outside the customer's window with the
    `failure` Meta reports for it); media (by Meta media id) in `media`; templates per WABA.

    Each record of `sent` says what Meta will do with the message: `wamid`, the id its statuses
    and the customer's replies name (the `messageId` returned unless the twin's
    `message_id_is_wamid` is off), and `callbackDataEchoed`, whether its statuses will carry its
    `biz_opaque_callback_data` (the twin's `callback_data_echo`; emulator/undocumented.py).

    Business accounts, phone numbers and customers are keyed by the last part of their ids
    (`waba-<id>` and `arn:…:waba/<id>` name the same account). `clock` is the twin's one clock,
    which the twin resets itself, as it does the `limits` it shares (emulator/limits.py).
    """

    def __init__(self, s3_endpoint_url, region="us-east-1", clock=None, limits=None, undocumented=None):
        self._lock = threading.RLock()
        self.undocumented = undocumented or Undocumented()
        self._s3 = internal_client("s3", s3_endpoint_url, region,
                                   Config(s3={"addressing_style": "path"}))
        self.clock = clock or Clock()
        self.limits = limits or Limits(self.clock)
        self.reset()

    @locked
    def reset(self):
        self.sent = []
        self.media = {}
        # WABA id -> its template definitions (Meta's template objects), in creation order.
        self.templates = {}
        # phone number id -> WABA id
        self._phone_wabas = {}
        # (phone number id, customer) -> WhatsApp timestamp of the customer's newest message; a
        # customer is named by wa_id or BSUID, and (phone number id, BSUID) -> the customer's
        # wa_id once a message named both: one person, one window, one pair rate.
        self._customer_wrote = {}
        self._same_customer = {}
        # WABA id -> its event destinations (PutWhatsAppBusinessAccountEventDestinations): none
        # until someone sets one, as after linking an account.
        self._event_destinations = {}
        for definition in templates.reference_templates():
            self.add_template(templates.REFERENCE_WABA_ARN, definition)
        for phone_number in templates.REFERENCE_PHONE_NUMBER_ARNS:
            self.link_phone_number(phone_number, templates.REFERENCE_WABA_ARN)

    def handlers(self):
        return {
            ("socialmessaging", "SendWhatsAppMessage"): self.send_whats_app_message,
            ("socialmessaging", "GetWhatsAppMessageMedia"): self.get_whats_app_message_media,
            ("socialmessaging", "PostWhatsAppMessageMedia"): self.post_whats_app_message_media,
            ("socialmessaging", "ListWhatsAppMessageTemplates"): self.list_whats_app_message_templates,
            ("socialmessaging", "GetWhatsAppMessageTemplate"): self.get_whats_app_message_template,
            ("socialmessaging", "GetLinkedWhatsAppBusinessAccountPhoneNumber"):
                self.get_linked_whats_app_business_account_phone_number,
            ("socialmessaging", "ListLinkedWhatsAppBusinessAccounts"): self.list_linked_whats_app_business_accounts,
            ("socialmessaging", "GetLinkedWhatsAppBusinessAccount"): self.get_linked_whats_app_business_account,
            ("socialmessaging", "PutWhatsAppBusinessAccountEventDestinations"):
                self.put_whats_app_business_account_event_destinations,
        }

    # --- what Meta knows: templates, numbers, customers ---

    @locked
    def add_template(self, waba_id, definition):
        """Adds Meta's template object to the WABA (`waba-<id>` or its ARN); without an `id`, it
        gets the next numeric one. Returns the stored copy."""
        definition = copy.deepcopy(definition)
        definition.setdefault("id", str(1187654321000001 + sum(len(t) for t in self.templates.values())))
        definition.setdefault("parameter_format", "POSITIONAL")
        if len(json.dumps(definition)) > templates.TEMPLATE_MAX_CHARS:
            raise ValueError(f"template {definition['name']} is over {templates.TEMPLATE_MAX_CHARS} characters")
        self.templates.setdefault(_last_part(waba_id), []).append(definition)
        return definition

    @locked
    def link_phone_number(self, origination_id, waba_id):
        """The business number belongs to this WABA: its template sends use the WABA's templates."""
        self._phone_wabas[_last_part(origination_id)] = _last_part(waba_id)
        self.templates.setdefault(_last_part(waba_id), [])

    @locked
    def customer_wrote(self, origination_id, customer, timestamp, user_id=None):
        """The customer (a wa_id, or a BSUID when their number is hidden) wrote to the business
        number at `timestamp` (WhatsApp's epoch seconds): the window for free-form messages is
        open until 24 hours after their newest. `user_id`, with a wa_id, is the same customer's
        BSUID, as a webhook that names both says: a message to either reaches the one person."""
        number = _last_part(origination_id)
        key = self._customer_key(number, customer)
        if user_id:
            linked = self._customer_key(number, user_id)
            if linked != key:
                self._same_customer[linked] = key
                older = self._customer_wrote.pop(linked, None)
                if older is not None:
                    self._customer_wrote[key] = max(older, self._customer_wrote.get(key, older))
        self._customer_wrote[key] = max(float(timestamp), self._customer_wrote.get(key, float("-inf")))

    @locked
    def window_open(self, origination_id, customer):
        wrote = self._customer_wrote.get(self._customer_key(_last_part(origination_id), customer))
        return wrote is not None and self.clock.timestamp() < wrote + WINDOW_SECONDS

    def _customer_key(self, number, customer):
        key = (number, customer.lstrip("+"))
        return self._same_customer.get(key, key)

    @locked
    def templates_of(self, waba_id):
        """The WABA's template definitions (`waba-<id>` or its ARN); an unknown WABA has none."""
        return copy.deepcopy(self.templates.get(_last_part(waba_id), []))

    # --- operations ---

    @locked
    def list_whats_app_message_templates(self, params):
        return _page(params, "templates", [templates.summary(d) for d in self._waba_templates(params["id"])])

    @locked
    def get_whats_app_message_template(self, params):
        definitions = self._waba_templates(params["id"])
        meta_id = params.get("metaTemplateId")
        name, language = params.get("templateName"), params.get("templateLanguageCode")
        if meta_id is not None:
            found = [d for d in definitions if d["id"] == meta_id]
            wanted = f"template {meta_id}"
        elif name is not None and language is not None:
            found = [d for d in definitions if d["name"] == name and d["language"] == language]
            wanted = f"template {name} ({language})"
        else:
            # GetWhatsAppMessageTemplate (socialmessaging model): templateName "Use together with
            # templateLanguageCode as an alternative to metaTemplateId to identify a template."
            raise ServiceError(
                "ValidationException", "Give metaTemplateId, or templateName with templateLanguageCode"
            )
        if not found:
            raise ServiceError("ResourceNotFoundException", f"No {wanted} in {params['id']}", 404)
        return {"template": json.dumps(found[0], ensure_ascii=False)}

    @locked
    def get_linked_whats_app_business_account_phone_number(self, params):
        """The number's Meta id and its WABA (socialmessaging model: the WABA id "formatted as
        waba-01234567890123456789012345678901"); a number that is not linked is not found."""
        _check_phone_number_id(params["id"])
        number = _last_part(params["id"])
        if number not in self._phone_wabas or number not in _REFERENCE_META_NUMBERS:
            raise ServiceError("ResourceNotFoundException", f"Phone number {params['id']} is not linked", 404)
        return {
            "phoneNumber": _phone_number_summary(number),
            "linkedWhatsAppBusinessAccountId": f"waba-{self._phone_wabas[number]}",
        }

    @locked
    def list_linked_whats_app_business_accounts(self, params):
        return _page(params, "linkedAccounts", [self._account_summary(waba) for waba in sorted(self.templates)])

    @locked
    def get_linked_whats_app_business_account(self, params):
        """The account and its numbers (socialmessaging model, LinkedWhatsAppBusinessAccount)."""
        waba = self._linked_waba(params["id"], "ResourceNotFoundException", 404)
        numbers = sorted(n for n, owner in self._phone_wabas.items()
                         if owner == waba and n in _REFERENCE_META_NUMBERS)
        return {"account": self._account_summary(waba)
                | {"phoneNumbers": [_phone_number_summary(n) for n in numbers]}}

    @locked
    def put_whats_app_business_account_event_destinations(self, params):
        """PutWhatsAppBusinessAccountEventDestinations (socialmessaging model): "A WABA can only
        have one event destination at a time" (eventDestinations: at most 1); the operation lists
        no ResourceNotFoundException, so an unknown WABA is an InvalidParametersException."""
        waba = self._linked_waba(params["id"], "InvalidParametersException", 400)
        destinations = params["eventDestinations"]
        if len(destinations) > 1:
            raise ServiceError("ValidationException", "A WABA can only have one event destination at a time")
        for destination in destinations:
            arn = destination.get("eventDestinationArn", "")
            if len(arn) > 2048 or not _EVENT_DESTINATION_ARN.match(arn):
                raise ServiceError("ValidationException", f"Invalid eventDestinationArn {arn}")
        self._event_destinations[waba] = copy.deepcopy(destinations)
        return {}

    def _linked_waba(self, waba_id, missing_code, missing_status):
        if not _WABA_ID.match(waba_id) or len(waba_id) > 115:
            raise ServiceError("ValidationException", f"id must be waba-<id> or a WABA ARN, got {waba_id}")
        waba = _last_part(waba_id)
        if waba not in self.templates:
            raise ServiceError(missing_code, f"WhatsApp Business Account {waba_id} is not linked", missing_status)
        return waba

    def _account_summary(self, waba):
        """LinkedWhatsAppBusinessAccountSummary (socialmessaging model) of a linked WABA."""
        return {
            "arn": f"{_ACCOUNT_ARN}:waba/{waba}", "id": f"waba-{waba}",
            "wabaId": _REFERENCE_META_WABAS.get(waba, waba), "registrationStatus": "COMPLETE",
            "linkDate": 1735689600, "wabaName": "Reference business",
            "eventDestinations": copy.deepcopy(self._event_destinations.get(waba, [])),
        }

    @locked
    def register_media(self, media_id, data, mime_type):
        self.media[media_id] = {"data": data, "mime_type": mime_type}

    @locked
    def send_whats_app_message(self, params):
        _check_phone_number_id(params["originationPhoneNumberId"])
        if not _META_API_VERSION.match(params["metaApiVersion"]):
            raise ServiceError("ValidationException", f"Invalid metaApiVersion {params['metaApiVersion']}")
        origination_id = params["originationPhoneNumberId"]
        message = _decode_message(params["message"])
        if message.get("type") == "template":
            waba = self._phone_wabas.get(_last_part(origination_id))
            templates.check_send(self.templates.get(waba, []), message["template"])
        if message.get("type") == "interactive":
            interactive_rules.check(message["interactive"])
        self._throttle(origination_id, message)
        message_id = str(uuid.uuid4())
        record = {
            "originationPhoneNumberId": origination_id,
            "metaApiVersion": params["metaApiVersion"],
            "message": message,
            "messageId": message_id,
            "wamid": message_id if self.undocumented.message_id_is_wamid else _wamid(message),
            "callbackDataEchoed": self.undocumented.callback_data_echo,
        }
        # Outside the window Meta still accepts the request and returns a message id; the message
        # never reaches the phone and a `failed` status with 131047 follows. Templates are exempt,
        # and a read receipt (with or without a typing indicator) is not a message.
        if (message.get("status") != "read" and message.get("type") != "template"
                and not self.window_open(origination_id, _addressee(message))):
            record["failure"] = dict(RE_ENGAGEMENT_FAILURE)
        self.sent.append(record)
        return {"messageId": record["messageId"]}

    @locked
    def get_whats_app_message_media(self, params):
        _check_phone_number_id(params["originationPhoneNumberId"])
        media_id = params["mediaId"]
        if not _MEDIA_ID.match(media_id):
            raise ServiceError("ValidationException", f"Invalid mediaId {media_id}")
        destination_file = params.get("destinationS3File")
        destination_url = params.get("destinationS3PresignedUrl")
        if destination_file and destination_url:
            raise ServiceError(
                "InvalidParametersException",
                "Give only one of destinationS3File and destinationS3PresignedUrl",
            )
        media = self.media.get(media_id)
        if media is None:
            raise ServiceError("ResourceNotFoundException", f"Media {media_id} not found", 404)
        result = {"mimeType": media["mime_type"], "fileSize": len(media["data"])}
        if params.get("metadataOnly"):
            return result
        if destination_file:
            key = f"{destination_file['key']}{media_id}.{extension_for(media['mime_type'])}"
            try:
                self._s3.put_object(
                    Bucket=destination_file["bucketName"],
                    Key=key,
                    Body=media["data"],
                    ContentType=media["mime_type"],
                )
            except ClientError as error:
                raise ServiceError(
                    "InvalidParametersException",
                    f"Cannot write s3://{destination_file['bucketName']}/{key}: {error}",
                )
        elif destination_url:
            _http(destination_url["url"], "PUT", destination_url["headers"], media["data"])
        else:
            raise ServiceError(
                "InvalidParametersException", "Give destinationS3File or destinationS3PresignedUrl"
            )
        return result

    @locked
    def post_whats_app_message_media(self, params):
        _check_phone_number_id(params["originationPhoneNumberId"])
        source_file = params.get("sourceS3File")
        source_url = params.get("sourceS3PresignedUrl")
        if bool(source_file) == bool(source_url):
            raise ServiceError(
                "InvalidParametersException", "Give exactly one of sourceS3File and sourceS3PresignedUrl"
            )
        if source_file:
            try:
                obj = self._s3.get_object(Bucket=source_file["bucketName"], Key=source_file["key"])
            except ClientError as error:
                raise ServiceError(
                    "InvalidParametersException",
                    f"Cannot read s3://{source_file['bucketName']}/{source_file['key']}: {error}",
                )
            data, mime_type = obj["Body"].read(), obj["ContentType"]
        else:
            mime_type = source_url["headers"].get("Content-Type")
            if not mime_type:
                raise ServiceError(
                    "InvalidParametersException", "sourceS3PresignedUrl headers must include Content-Type"
                )
            data = _http(source_url["url"], "GET", source_url["headers"])
        media_id = str(uuid.uuid4().int)[:16]
        self.media[media_id] = {"data": data, "mime_type": mime_type}
        return {"mediaId": media_id}

    def _throttle(self, origination_id, message):
        """Meta's two rates, when set.

        Throughput (developers.facebook.com/docs/whatsapp/throughput): "For each registered business
        phone number, Cloud API supports up to 80 messages per second (mps) by default [...] the API
        will return error code 130429 until you are within your allowed level again". Every send
        counts, a read receipt too (one request to Meta's messages endpoint).
        Pair rate (developers.facebook.com/docs/whatsapp/cloud-api/overview): "1 message every 6
        seconds to the same WhatsApp user", bursts up to 45, then error 131056, which the Cloud API
        words "(#131056) (Business Account, Consumer Account) pair rate limit hit" and Meta says to
        wait and retry. A read receipt goes to no user and does not count.

        How End User Messaging Social passes Meta's refusals on is not documented. SendWhatsAppMessage
        (socialmessaging model) has one throttling error, ThrottledRequestException (429, "The
        request was denied due to request throttling.", modeled retryable), so both come as that,
        with Meta's code first in the message, for the bridge to tell them apart.
        """
        number = _last_part(origination_id)
        if not self.limits.allow("whatsapp_rate", number):
            raise ServiceError(
                "ThrottledRequestException",
                "(#130429) Rate limit hit: Cloud API message throughput has been reached.",
                429,
            )
        customer = _addressee(message)
        if customer and not self.limits.allow("whatsapp_pair_rate", self._customer_key(number, customer)):
            raise ServiceError(
                "ThrottledRequestException", "(#131056) (Business Account, Consumer Account) pair rate limit hit", 429
            )

    def _waba_templates(self, waba_id):
        if not _WABA_ID.match(waba_id) or len(waba_id) > 115:
            raise ServiceError(
                "ValidationException", f"id must be waba-<id> or a WABA ARN (arn:…:waba/<id>), got {waba_id}"
            )
        definitions = self.templates.get(_last_part(waba_id))
        if definitions is None:
            raise ServiceError("ResourceNotFoundException", f"WhatsApp Business Account {waba_id} not found", 404)
        return definitions


def _phone_number_summary(number):
    """WhatsAppPhoneNumberSummary (socialmessaging model) of a reference number."""
    meta_id, display = _REFERENCE_META_NUMBERS[number]
    return {
        "arn": f"{_ACCOUNT_ARN}:phone-number-id/{number}",
        "phoneNumber": f"+{display}", "phoneNumberId": f"phone-number-id-{number}",
        "metaPhoneNumberId": meta_id, "displayPhoneNumberName": "Reference business",
        "displayPhoneNumber": f"+{display}", "qualityRating": "GREEN",
    }


def _wamid(message):
    """A WhatsApp message id of Meta's form (base64 that spells the recipient's number)."""
    recipient = message.get("to") or message.get("recipient") or ""
    return "wamid." + base64.b64encode(f"{recipient}{uuid.uuid4().hex}".encode()).decode()


def _last_part(resource_id):
    """`arn:…:waba/<id>` and `waba-<id>` (phone numbers alike) -> `<id>`."""
    return re.split(r"[/]|^waba-|^phone-number-id-", resource_id)[-1]


def _page(params, key, items):
    """One page of a list operation's `items` under `key`, with the nextToken of the next page."""
    size = _page_size(params.get("maxResults"))
    start = _page_start(params.get("nextToken"), len(items))
    response = {key: items[start:start + size]}
    if start + size < len(items):
        response["nextToken"] = str(start + size)
    return response


def _page_size(max_results):
    if max_results is None:
        return _DEFAULT_PAGE_SIZE
    # MaxResults (socialmessaging model): integer, min 1, max 100.
    if not 1 <= max_results <= 100:
        raise ServiceError("ValidationException", f"maxResults must be 1 to 100, got {max_results}")
    return max_results


def _page_start(next_token, total):
    if next_token is None:
        return 0
    if not next_token.isdigit() or int(next_token) >= total:
        raise ServiceError("ValidationException", f"Invalid nextToken {next_token}")
    return int(next_token)


def _check_phone_number_id(value):
    if not _PHONE_NUMBER_ID.match(value):
        raise ServiceError(
            "ValidationException",
            f"originationPhoneNumberId must be phone-number-id-<id> or its ARN, got {value}",
        )


def _decode_message(blob):
    try:
        message = json.loads(blob)
    except ValueError:
        raise ServiceError("ValidationException", "message is not valid JSON")
    if not isinstance(message, dict) or message.get("messaging_product") != "whatsapp":
        raise ServiceError("ValidationException", "message must have messaging_product: whatsapp")
    if message.get("status") == "read":
        if not message.get("message_id"):
            raise ServiceError("ValidationException", "A read receipt needs message_id")
        return message
    to, recipient = message.get("to"), message.get("recipient")
    if not to and not recipient:
        raise ServiceError("ValidationException", "message needs a recipient in 'to' or 'recipient'")
    if to and not (isinstance(to, str) and _PHONE_NUMBER.match(to)):
        raise ServiceError("ValidationException", BSUID_IN_TO)
    message_type = message.get("type", "text")
    if message_type not in message:
        raise ServiceError(
            "ValidationException", f"message of type {message_type} needs a '{message_type}' object"
        )
    return message


def _addressee(message):
    """Whom a message goes to: "to" when given (Meta: it wins over "recipient"), else the BSUID."""
    return (message.get("to") or message.get("recipient") or "").lstrip("+")


def _http(url, method, headers, data=None):
    request = urllib.request.Request(url, data=data, method=method, headers=headers | {INTERNAL_HEADER: "1"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.read()
    except (urllib.error.URLError, OSError) as error:
        raise ServiceError("InvalidParametersException", f"{method} {url} failed: {error}")
