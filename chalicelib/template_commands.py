"""The agent's /template and /templates commands: a WhatsApp template sent from the chat.

A command is never sent as text. Whatever goes wrong with it (an unknown name, a template Meta has
not approved, a wrong parameter count) is one line to the agent and sends nothing. A template that
went out is echoed to the agent, so the transcript shows what the customer received. Templates
reach the customer inside and outside WhatsApp's 24-hour window alike.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from botocore.exceptions import ClientError

from . import logs, messaging, metrics, templates
from .claims import Steps
from .compose import bridge_note
from .aws_errors import error_code
from .runtime import Runtime
from .sessions import Session
from .templates import Command, TemplateError

NO_ACCOUNT = ("Templates are not available in this chat: it opened before the bridge kept the "
              "WhatsApp business account of each chat. They are in every new chat.")
UNREAD = ("The templates of this number could not be read from WhatsApp; the bridge's role may lack "
          "the template permissions (see docs/deploy.md).")

_MARKDOWN_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")

# (session, text, purpose) -> the session: a note of the bridge's own to the agent, once per purpose.
Note = Callable[[Session, str, str], Session]
# (session, payload) -> the WhatsApp message id: the payload sent, tracked for receipts.
Send = Callable[[Session, dict], str]


@dataclass(frozen=True)
class Unusable:
    """A chat message that is a command the bridge cannot carry out (a stray quote, an unknown
    keyword): why, in the words the agent reads."""
    reason: str


def parse(text: str, markdown: bool) -> Command | Unusable | None:
    """The command a chat message holds, an unusable one, or None for a message.
    A Markdown editor escapes punctuation (order\\_update); the command means the plain text."""
    try:
        return templates.parse_command(_MARKDOWN_ESCAPE.sub(r"\1", text) if markdown else text)
    except TemplateError as error:
        return Unusable(str(error))


def run(command: Command | Unusable, session: Session, steps: Steps, runtime: Runtime,
        note: Note, send: Send) -> dict[str, str]:
    """Carry the command out; the WhatsApp id of a template sent, with the text the customer read."""
    if isinstance(command, Unusable):
        note(session, bridge_note(f"⚠️ {command.reason}"), "template-error")
        return {}
    if not session.waba_id:
        note(session, bridge_note(f"⚠️ {NO_ACCOUNT}"), "template-error")
        return {}
    try:
        summaries = runtime.template_summaries(session.waba_id)
        if command.listing:
            listing = templates.listing(summaries)
            note(session, bridge_note(f"📋 Approved templates:\n{listing}" if listing
                                      else "📋 This number has no approved template."), "template-listing")
            return {}
        summary, parameters = templates.choose(command, summaries)
        template = runtime.template(session.waba_id, summary.meta_template_id)
        templates.check_parameters(template, parameters)
    except TemplateError as error:
        note(session, bridge_note(f"⚠️ {error}"), "template-error")
        return {}
    except ClientError as error:
        # Throttling and faults are retried by Lambda; a refusal no retry can change is said.
        if not messaging.is_permanent(error):
            raise
        logs.warning("templates_not_read", contactId=session.contact_id, error=error_code(error))
        note(session, bridge_note(f"⚠️ {UNREAD}"), "template-error")
        return {}
    text = templates.render(template, parameters)
    sent: dict[str, str] = {}
    # Two steps, each recorded: a retry after the echo neither resends the template nor echoes twice.
    for step in steps.pending(("send", "echo")):
        if step == "send":
            whatsapp_id = send(session, templates.whatsapp_payload(
                session.customer_address, template, parameters))
            sent[whatsapp_id] = text
            logs.info("template_sent_to_whatsapp", contactId=session.contact_id,
                      template=template.label, whatsappMessageId=whatsapp_id)
            metrics.count(metrics.TEMPLATES_SENT, session.system_number)
        else:
            session = note(session, bridge_note(f"📋 Template {template.label} sent to the customer:\n{text}"),
                           "template-echo")
    return sent
