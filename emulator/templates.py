"""WhatsApp message templates as Meta stores them, and the checks Meta makes when one is sent.

A definition is Meta's template object, the JSON GetWhatsAppMessageTemplate returns as a string:
{"name", "language", "status", "category", "id", "parameter_format", "components": [...]}.
"""

import re

from emulator.restjson import ServiceError

# The reference events' business account and its two numbers (events/README.md: "Both business
# numbers belong to WABA 174660489307702"): every reset seeds its templates and links the numbers
# to it, as a real account has them.
REFERENCE_WABA_ARN = "arn:aws:social-messaging:us-east-1:123456789012:waba/7c2025cfddb055018df85097925ee415"
REFERENCE_PHONE_NUMBER_ARNS = (
    "arn:aws:social-messaging:us-east-1:123456789012:phone-number-id/6f17dbb4562b2cd3343a3d0fdec78c75",
    "arn:aws:social-messaging:us-east-1:123456789012:phone-number-id/fb8c857b8024e25056484641ad5a9e55",
)
# GetWhatsAppMessageTemplate's `template` (socialmessaging model, MetaTemplate): "The complete
# template definition as a JSON string (maximum 6000 characters)".
TEMPLATE_MAX_CHARS = 6000
# {{1}}, or {{first_name}} in a NAMED template; the phone fills them as WhatsApp shows them.
PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z0-9_]+)\s*\}\}")


def _template(meta_id, name, language, category, status, body, header=None, footer=None, example=()):
    components = []
    if header is not None:
        components.append({"type": "HEADER", "format": "TEXT", "text": header})
    body_component = {"type": "BODY", "text": body}
    if example:
        body_component["example"] = {"body_text": [list(example)]}
    components.append(body_component)
    if footer is not None:
        components.append({"type": "FOOTER", "text": footer})
    return {"name": name, "language": language, "status": status, "category": category, "id": meta_id,
            "parameter_format": "POSITIONAL", "components": components}


def reference_templates():
    """The reference account's templates (docs of issue 13's shared contracts), fresh copies."""
    return [
        _template("1187654321000001", "order_update", "en_US", "UTILITY", "APPROVED",
                  "Hi {{1}}, your order {{2}} has shipped and arrives {{3}}.",
                  header="Order update", footer="Reply to this message to talk to us.",
                  example=("Ana", "4521", "tomorrow")),
        _template("1187654321000002", "order_update", "pt_BR", "UTILITY", "APPROVED",
                  "Olá {{1}}, seu pedido {{2}} foi enviado e chega {{3}}.",
                  example=("Ana", "4521", "amanhã")),
        _template("1187654321000003", "appointment_reminder", "en_US", "UTILITY", "APPROVED",
                  "Hello {{1}}, this is a reminder of your appointment on {{2}}. Reply YES to confirm.",
                  example=("Ana", "12 May at 10:00")),
        _template("1187654321000004", "welcome_back", "en_US", "MARKETING", "APPROVED",
                  "Welcome back! We have news for you. Reply to chat with us."),
        _template("1187654321000005", "spring_sale", "en_US", "MARKETING", "PENDING",
                  "Spring sale: {{1}} off everything!", example=("20%",)),
        _template("1187654321000006", "old_promo", "en_US", "MARKETING", "REJECTED",
                  "Our old promotion is back for {{1}} days.", example=("3",)),
    ]


def placeholders(text):
    """The distinct {{n}} / {{name}} placeholders of a component's text, in order of first use."""
    return list(dict.fromkeys(PLACEHOLDER.findall(text or "")))


def summary(definition):
    """One row of ListWhatsAppMessageTemplates (socialmessaging model, TemplateSummary)."""
    row = {
        "templateName": definition["name"],
        "metaTemplateId": definition["id"],
        "templateStatus": definition["status"],
        "templateLanguage": definition["language"],
        "templateCategory": definition["category"],
    }
    if "quality_score" in definition:
        row["templateQualityScore"] = definition["quality_score"]["score"]
    return row


def check_send(definitions, template):
    """Refuses a `type: template` message the way Meta does, synchronously; `definitions` are the
    templates of the WABA the sending number belongs to.

    The codes and titles are Meta's (Cloud API error codes, as issue 13's contracts name them):
    132001 "Template name does not exist in the translation" covers an unknown name or language
    and a template that is not approved (yet, or ever); 132015 a paused one, 132016 a disabled
    one; 132000 a parameter count that differs from the template's placeholders.
    """
    template = template if isinstance(template, dict) else {}
    name = template.get("name")
    language = template.get("language")
    language = language.get("code") if isinstance(language, dict) else None
    definition = next(
        (d for d in definitions if d["name"] == name and d["language"] == language), None
    )
    if definition is None:
        raise _meta_error(132001, "Template name does not exist in the translation",
                          f"template name ({name}) does not exist in {language}")
    status = definition["status"]
    if status == "PAUSED":
        raise _meta_error(132015, "Template is paused", f"template {name} is paused")
    if status == "DISABLED":
        raise _meta_error(132016, "Template is disabled", f"template {name} is disabled")
    if status != "APPROVED":
        raise _meta_error(132001, "Template name does not exist in the translation",
                          f"template {name} ({language}) is {status}, not approved")
    given = {
        str(c.get("type", "")).upper(): len(c.get("parameters") or [])
        for c in template.get("components") or [] if isinstance(c, dict)
    }
    # A media header (format IMAGE, VIDEO, DOCUMENT) takes its one media object as a parameter.
    expected = {
        c["type"]: len(placeholders(c.get("text"))) if c.get("format", "TEXT") == "TEXT" else 1
        for c in definition["components"] if c["type"] in ("HEADER", "BODY")
    }
    for kind in ("HEADER", "BODY"):
        if given.get(kind, 0) != expected.get(kind, 0):
            raise _meta_error(132000, "Number of parameters does not match the expected number of params",
                              f"{kind.lower()}: number of localizable_params ({given.get(kind, 0)}) "
                              f"does not match the expected number of params ({expected.get(kind, 0)})")


def _meta_error(code, title, details):
    return ServiceError("ValidationException", f"(#{code}) {title}: {details}")
