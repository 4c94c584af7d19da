"""WhatsApp message templates: the agent's /template command, Meta's template JSON, the send payload.

Everything here is pure except `list_templates` and `get_template`, which take an End User
Messaging Social client (ListWhatsAppMessageTemplates and GetWhatsAppMessageTemplate, whose
`template` is Meta's template object as a JSON string).
"""
from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass
from typing import Any, Sequence

from .whatsapp import recipient_fields

COMMAND = "/template"
LISTING_COMMAND = "/templates"
# The command's syntax, as every note and error the agent reads spells it.
USAGE = "/template NAME [LANGUAGE] [PARAMETER …]"
APPROVED = "APPROVED"
POSITIONAL = "POSITIONAL"
NAMED = "NAMED"
# ListWhatsAppMessageTemplates' maxResults is 1-100 (botocore's socialmessaging model).
PAGE_SIZE = 100
# Meta refuses a body parameter holding a new line or a tab, or more than four consecutive spaces
# (error 132018, "There was an issue with the parameters in your template").
_PARAMETER_REFUSED = re.compile(r"[\n\r\t]| {5,}")
# Meta's limit on a template body, which applies to the body with its parameters filled in (error
# 132005, "Translated text too long").
BODY_MAX_CHARS = 1024
_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z0-9_]+)\s*\}\}")
_MEDIA_HEADERS = {"IMAGE": "an image", "VIDEO": "a video", "DOCUMENT": "a document",
                  "LOCATION": "a location"}
# Buttons whose send needs a parameter of its own (Meta's "button" component): a coupon code, a
# one-time password, catalogue products.
_BUTTONS_WITH_PARAMETERS = {"COPY_CODE": "a copy-code button", "OTP": "a one-time-password button",
                            "CATALOG": "a catalogue button", "MPM": "a multi-product button",
                            "SPM": "a product button"}


class TemplateError(ValueError):
    """One clear line for the agent (or the start_conversation caller)."""


@dataclass(frozen=True)
class TemplateSummary:
    """One row of ListWhatsAppMessageTemplates."""

    name: str
    language: str
    category: str
    status: str
    meta_template_id: str

    @property
    def approved(self) -> bool:
        return self.status.upper() == APPROVED


@dataclass(frozen=True)
class Template:
    """GetWhatsAppMessageTemplate's `template` JSON, parsed."""

    name: str
    language: str
    category: str
    status: str
    parameter_format: str  # POSITIONAL ({{1}}) or NAMED ({{first_name}})
    header_text: str
    body_text: str
    footer_text: str
    body_parameters: tuple[str, ...]  # placeholder names in order of first appearance
    unsupported: str  # "" when /template can send it; else why not

    @property
    def label(self) -> str:
        return f"{self.name} ({self.language})"


@dataclass(frozen=True)
class Command:
    listing: bool  # True for /templates
    name: str  # "" for a listing
    arguments: tuple[str, ...]  # the words after NAME: the language and/or parameters


def parse_command(text: str) -> Command | None:
    """The agent's command, or None when the text is not one.

    Words are split the way a shell splits them (shlex), so a parameter of several words is quoted.
    """
    stripped = text.strip()
    if not stripped.lower().startswith(COMMAND):
        return None
    try:
        words = shlex.split(stripped)
    except ValueError:
        raise TemplateError("A quote is not closed. Put a parameter with an apostrophe in double "
                            "quotes, as \"O'Brien\".") from None
    keyword = words[0].lower()
    if keyword == LISTING_COMMAND:
        return Command(listing=True, name="", arguments=())
    if keyword != COMMAND:
        raise TemplateError(f"Unknown command {words[0]}. Use {USAGE}, or /templates to list them.")
    if len(words) < 2:
        raise TemplateError(f"Say which template: {USAGE}. /templates lists them.")
    return Command(listing=False, name=words[1], arguments=tuple(words[2:]))


def choose(command: Command, summaries: Sequence[TemplateSummary]
           ) -> tuple[TemplateSummary, tuple[str, ...]]:
    """The template (name and language) the command means, and the parameters it gives.

    The language is the first argument when it names one the template has; it may be left out
    when the template has a single language.
    """
    versions = sorted((summary for summary in summaries if summary.name == command.name.lower()),
                      key=lambda summary: summary.language)
    if not versions:
        raise TemplateError(f"No approved template named {command.name}. /templates lists them.")
    chosen, parameters = _version_named(command, versions)
    if not chosen.approved:
        raise TemplateError(f"{chosen.name} ({chosen.language}) is {chosen.status or 'not approved'} "
                            "at Meta, not approved: it cannot be sent.")
    return chosen, parameters


def _version_named(command: Command, versions: list[TemplateSummary]
                   ) -> tuple[TemplateSummary, tuple[str, ...]]:
    if command.arguments:
        wanted = _language_key(command.arguments[0])
        for version in versions:
            if _language_key(version.language) == wanted:
                return version, command.arguments[1:]
    if len(versions) == 1:
        return versions[0], command.arguments
    languages = " and ".join(version.language for version in versions)
    raise TemplateError(f"{command.name} is in {languages}: say which, "
                        f"as /template {command.name} {versions[0].language} …")


def _language_key(language: str) -> str:
    """Meta's codes are en_US; an agent may type en-us."""
    return language.replace("-", "_").lower()


def check_parameters(template: Template, parameters: Sequence[str]) -> None:
    """Refuses, in one line, what WhatsApp would refuse or what this command cannot send."""
    if template.unsupported:
        raise TemplateError(f"{template.label} cannot be sent this way: {template.unsupported}.")
    expected = template.body_parameters
    if len(parameters) != len(expected):
        raise TemplateError(f"{template.label} {_takes(expected)}, you gave {len(parameters)}.")
    for position, value in enumerate(parameters, start=1):
        if not value.strip():
            raise TemplateError(f"Parameter {position} is empty: WhatsApp needs text in each one.")
        if _PARAMETER_REFUSED.search(value):
            raise TemplateError(f"Parameter {position} has a line break, a tab or more than four "
                                "spaces in a row, which WhatsApp refuses in a template parameter.")
    body = _fill(template, template.body_text, parameters)
    if len(body) > BODY_MAX_CHARS:
        raise TemplateError(f"With these parameters the body of {template.label} is {len(body)} "
                            f"characters; WhatsApp allows {BODY_MAX_CHARS:,}.")


def _takes(expected: Sequence[str]) -> str:
    if not expected:
        return "takes no parameters"
    placeholders = " ".join(f"{{{{{name}}}}}" for name in expected)
    noun = "parameter" if len(expected) == 1 else "parameters"
    return f"takes {len(expected)} {noun} ({placeholders})"


def render(template: Template, parameters: Sequence[str]) -> str:
    """What the customer reads: header, body and footer, the body's placeholders filled."""
    parts = (template.header_text, _fill(template, template.body_text, parameters),
             template.footer_text)
    return "\n\n".join(part for part in parts if part)


def _fill(template: Template, text: str, parameters: Sequence[str]) -> str:
    values = dict(zip(template.body_parameters, parameters))
    return _PLACEHOLDER.sub(lambda match: values.get(match.group(1), match.group(0)), text)


def whatsapp_payload(to: str, template: Template, parameters: Sequence[str]) -> dict:
    """The WhatsApp message object SendWhatsAppMessage carries for this template."""
    body: dict[str, Any] = {"name": template.name, "language": {"code": template.language}}
    if template.body_parameters:
        body["components"] = [{"type": "body", "parameters": [
            _parameter(template, name, value)
            for name, value in zip(template.body_parameters, parameters)]}]
    return {**recipient_fields(to), "type": "template", "template": body}


def _parameter(template: Template, name: str, value: str) -> dict:
    parameter = {"type": "text", "text": value}
    if template.parameter_format == NAMED:
        parameter["parameter_name"] = name
    return parameter


def listing(summaries: Sequence[TemplateSummary]) -> str:
    """The approved templates, one `name (language, CATEGORY)` a line; "" when there is none."""
    approved = sorted((summary for summary in summaries if summary.approved),
                      key=lambda summary: (summary.name, summary.language))
    return "\n".join(f"{summary.name} ({summary.language}, {summary.category})"
                     for summary in approved)


def parse_template(definition: dict) -> Template:
    """Meta's template object: components HEADER, BODY, FOOTER and BUTTONS."""
    components = {component.get("type", "").upper(): component
                  for component in definition.get("components") or []}
    header = components.get("HEADER", {})
    body_text = components.get("BODY", {}).get("text", "")
    parameter_format = (definition.get("parameter_format") or POSITIONAL).upper()
    return Template(
        name=definition.get("name", ""), language=definition.get("language", ""),
        category=definition.get("category", ""), status=definition.get("status", ""),
        parameter_format=parameter_format,
        header_text=header.get("text", "") if _header_format(header) == "TEXT" else "",
        body_text=body_text, footer_text=components.get("FOOTER", {}).get("text", ""),
        body_parameters=tuple(dict.fromkeys(_PLACEHOLDER.findall(body_text))),
        unsupported=_unsupported(components))


def _header_format(header: dict) -> str:
    return (header.get("format") or "TEXT").upper() if header else ""


def _unsupported(components: dict[str, dict]) -> str:
    """Why the command cannot send the template, or "": only the body's parameters are filled."""
    for kind in components:
        if kind not in {"HEADER", "BODY", "FOOTER", "BUTTONS"}:
            return f"it has a {kind.lower().replace('_', ' ')} component"
    header = components.get("HEADER", {})
    header_format = _header_format(header)
    if header_format in _MEDIA_HEADERS:
        return f"its header is {_MEDIA_HEADERS[header_format]}"
    if header_format not in {"", "TEXT"}:
        return f"its header is {header_format.lower()}"
    if _PLACEHOLDER.search(header.get("text", "")):
        return "its header has a variable"
    for button in components.get("BUTTONS", {}).get("buttons") or []:
        kind = (button.get("type") or "").upper()
        if kind in _BUTTONS_WITH_PARAMETERS:
            return f"it has {_BUTTONS_WITH_PARAMETERS[kind]}"
        if kind == "URL" and _PLACEHOLDER.search(button.get("url", "")):
            return "its link button has a variable"
    return ""


def list_templates(social_client: Any, waba_id: str) -> list[TemplateSummary]:
    """Every template of the WhatsApp Business Account, every page, every status."""
    summaries: list[TemplateSummary] = []
    request = {"id": waba_id, "maxResults": PAGE_SIZE}
    while True:
        page = social_client.list_whatsapp_message_templates(**request)
        summaries.extend(_summary(row) for row in page.get("templates", []) if _usable(row))
        if not page.get("nextToken"):
            return summaries
        request["nextToken"] = page["nextToken"]


def _usable(row: dict) -> bool:
    """Every field of the model's TemplateSummary is optional; a row without these cannot be sent."""
    return all(row.get(field) for field in ("templateName", "templateLanguage", "metaTemplateId"))


def _summary(row: dict) -> TemplateSummary:
    return TemplateSummary(name=row["templateName"], language=row["templateLanguage"],
                           category=row.get("templateCategory", ""),
                           status=row.get("templateStatus", ""),
                           meta_template_id=row["metaTemplateId"])


def get_template(social_client: Any, waba_id: str, meta_template_id: str) -> Template:
    response = social_client.get_whatsapp_message_template(id=waba_id, metaTemplateId=meta_template_id)
    try:
        definition = json.loads(response["template"])
    except (KeyError, ValueError):
        raise TemplateError(f"Template {meta_template_id} could not be read from WhatsApp.") from None
    if not isinstance(definition, dict):
        raise TemplateError(f"Template {meta_template_id} could not be read from WhatsApp.")
    return parse_template(definition)
