"""Talking into a stored chat session, renewing its one-day connection token when Connect refuses it."""
from __future__ import annotations

from . import connect, logs, sessions
from .runtime import Runtime
from .sessions import Session


def send_text(runtime: Runtime, session: Session, content: str, token: str) -> Session:
    """Send as the customer participant; ConnectionRefused means the chat itself is gone."""
    participant = runtime.clients.participant
    try:
        connect.send_message(participant, session.connection_token, content, token)
        return session
    except connect.ConnectionRefused:
        logs.info("connection_token_refused", contactId=session.contact_id)
    connection_token, expiry = connect.create_connection(participant, session.participant_token)
    session = sessions.replace_connection(
        runtime.clients.dynamodb, runtime.env.sessions_table, session, connection_token, expiry)
    logs.info("connection_renewed", contactId=session.contact_id)
    connect.send_message(participant, session.connection_token, content, token)
    return session
