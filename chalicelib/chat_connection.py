"""Talking into a stored chat session, renewing its one-day connection token when Connect refuses it."""
from __future__ import annotations

from typing import Callable, TypeVar

from . import connect, logs, sessions
from .runtime import Runtime
from .sessions import Session

Result = TypeVar("Result")


class ChatGone(Exception):
    """The chat has ended: neither its connection token nor its participant token is accepted."""


def with_connection(runtime: Runtime, session: Session,
                    action: Callable[[str], Result]) -> tuple[Session, Result]:
    """Run a participant call with the session's token, renewing the token once if Connect
    refuses it; ChatGone when the renewal is refused too."""
    if session.status != sessions.STATUS_OPEN or not session.participant_token:
        raise ChatGone(session.contact_id)
    try:
        return session, action(session.connection_token)
    except connect.TokenRefused:
        logs.info("connection_token_refused", contactId=session.contact_id)
    try:
        connection_token, expiry = connect.create_connection(
            runtime.clients.participant, session.participant_token)
        session = sessions.replace_connection(
            runtime.sessions_table, session, connection_token, expiry)
        logs.info("connection_renewed", contactId=session.contact_id)
        return session, action(session.connection_token)
    except connect.TokenRefused:
        raise ChatGone(session.contact_id) from None


def send_text(runtime: Runtime, session: Session, content: str, token: str) -> tuple[Session, str]:
    """Send as the customer participant; the session (its token maybe renewed) and the chat
    message's id. ChatGone when the chat has ended."""
    return with_connection(runtime, session, lambda connection_token: connect.send_message(
        runtime.clients.participant, connection_token, content, token))
