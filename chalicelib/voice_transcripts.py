"""Voice-note transcripts into the chat, from the flush or from on_transcription_job.

From TranscribeAudio during the flush, or from a Transcribe job whose completion event reaches
on_transcription_job.

Every transcript line carries a token derived from its voice note, so a retry says it once.
"""
from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor

from botocore.exceptions import ClientError

from . import chat_connection, customer_media, logs, messaging, sessions, transcribe, whatsapp
from .chat_connection import ChatGone
from .config import Settings
from .digests import client_token
from .aws_errors import error_code
from .runtime import Runtime
from .sessions import Session

# Transcribe's answer to a job name that exists already: a retry's job is the one started before.
JOB_EXISTS = "ConflictException"


def transcribe_in_background(executor: ThreadPoolExecutor, runtime: Runtime, settings: Settings,
                             voice_note: customer_media.VoiceNote) -> Future:
    languages = transcribe.sync_languages(settings.transcribe_languages)
    if languages:
        return executor.submit(transcribe.transcribe_now, runtime.clients.transcribe,
                               voice_note.ogg, languages)
    future: Future = Future()
    future.set_exception(LookupError("languages not covered by TranscribeAudio"))
    return future


def finish(runtime: Runtime, settings: Settings, session: Session, future: Future, message_id: str,
           voice_note: customer_media.VoiceNote) -> transcribe.Transcript | None:
    """Say the transcript in the chat, or start a job that will; the transcript said, if any."""
    try:
        transcript = future.result()
    except Exception as error:  # any failure of the fast path falls back to a job
        logs.info("transcription_fallback_to_job", messageId=message_id, reason=type(error).__name__)
        _start_job(runtime, settings, session, message_id, voice_note)
        return None
    _say(runtime, session, transcribe.agent_line(transcript),
         client_token("transcript", session.contact_id, message_id))
    logs.info("transcript_delivered", contactId=session.contact_id, language=transcript.language)
    return transcript


def echo(runtime: Runtime, settings: Settings, session: Session,
         transcript: transcribe.Transcript) -> None:
    """What Transcribe heard, back to the customer when `echo_transcript` asks for it."""
    if settings.echo_transcript and transcript.text:
        messaging.send_best_effort(
            runtime.clients.social, session.system_number,
            whatsapp.text_message(session.customer_address, transcribe.customer_line(transcript)),
            settings.meta_api_version, "transcript_echo_failed", contactId=session.contact_id)


def _start_job(runtime: Runtime, settings: Settings, session: Session, message_id: str,
               voice_note: customer_media.VoiceNote) -> None:
    name = transcribe.job_name(session.contact_id, message_id)
    try:
        transcribe.start_job(
            runtime.clients.transcribe, name=name,
            media_uri=f"s3://{voice_note.stored.bucket}/{voice_note.stored.key}",
            languages=settings.transcribe_languages,
            output_bucket=runtime.env.media_bucket)
        logs.info("transcription_job_started", contactId=session.contact_id, job=name)
    except ClientError as error:
        if error_code(error) == JOB_EXISTS:
            logs.info("transcription_job_already_started", contactId=session.contact_id, job=name)
            return
        logs.warning("transcription_unavailable", contactId=session.contact_id,
                     error=error_code(error))
        _say(runtime, session, transcribe.UNAVAILABLE_LINE,
             client_token("transcript", session.contact_id, message_id))


def _say(runtime: Runtime, session: Session, text: str, token: str) -> None:
    try:
        chat_connection.send_text(runtime, session, text, token)
    except ChatGone:
        logs.warning("chat_gone_before_transcript", contactId=session.contact_id)


def complete_job(event: dict, runtime: Runtime) -> None:
    """on_transcription_job: a job's transcript (or its failure) goes to the chat it was made for."""
    detail = event.get("detail") if isinstance(event, dict) else None
    detail = detail if isinstance(detail, dict) else {}
    name = str(detail.get("TranscriptionJobName", ""))
    contact_id = transcribe.contact_of_job(name)
    if contact_id is None:
        logs.info("transcription_job_not_ours", job=name)
        return
    table = runtime.sessions_table
    session = sessions.get(table, contact_id)
    if session is not None and session.status != sessions.STATUS_OPEN:
        # The chat was replaced while Transcribe worked; the conversation's current chat gets it.
        session = sessions.find_open(table, session.conversation_id)
    if session is None:
        logs.warning("transcript_without_open_chat", job=name)
        return
    token = client_token("transcript-job", session.contact_id, name)
    if detail.get("TranscriptionJobStatus") != "COMPLETED":
        logs.warning("transcription_job_failed", job=name, reason=str(detail.get("FailureReason")))
        _say(runtime, session, transcribe.UNAVAILABLE_LINE, token)
        return
    try:
        document = runtime.clients.s3.get_object(
            Bucket=runtime.env.media_bucket, Key=transcribe.transcript_key(name))["Body"].read()
        transcript = transcribe.parse_transcript_file(document)
    except ClientError as error:
        if error_code(error) != "NoSuchKey":
            raise
        logs.warning("transcript_file_missing", job=name)
        _say(runtime, session, transcribe.UNAVAILABLE_LINE, token)
        return
    except (ValueError, KeyError, TypeError, AttributeError, IndexError) as error:
        logs.warning("transcript_file_unreadable", job=name, reason=type(error).__name__)
        _say(runtime, session, transcribe.UNAVAILABLE_LINE, token)
        return
    _say(runtime, session, transcribe.agent_line(transcript), token)
    logs.info("transcript_delivered", contactId=session.contact_id, language=transcript.language)
    echo(runtime, runtime.settings(), session, transcript)
