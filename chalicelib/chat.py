"""Talking into a stored chat session, renewing its one-day connection token when Connect refuses it."""
from __future__ import annotations

from typing import Callable, TypeVar

from . import connect, logs, sessions
from .runtime import Runtime
from .sessions import Session

Result = TypeVar("Result")


def with_connection(runtime: Runtime, session: Session,
                    action: Callable[[str], Result]) -> tuple[Session, Result]:
    """Run a participant call with the session's token, renewing it once if Connect refuses it.

    ConnectionRefused from here means the chat itself is gone.
    """
    try:
        return session, action(session.connection_token)
    except connect.ConnectionRefused:
        logs.info("connection_token_refused", contactId=session.contact_id)
    connection_token, expiry = connect.create_connection(
        runtime.clients.participant, session.participant_token)
    session = sessions.replace_connection(
        runtime.clients.dynamodb, runtime.env.sessions_table, session, connection_token, expiry)
    logs.info("connection_renewed", contactId=session.contact_id)
    return session, action(session.connection_token)


def send_text(runtime: Runtime, session: Session, content: str, token: str) -> Session:
    """Send as the customer participant; ConnectionRefused means the chat itself is gone."""
    session, _ = with_connection(runtime, session, lambda connection_token: connect.send_message(
        runtime.clients.participant, connection_token, content, token))
    return session
