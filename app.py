"""Chalice wiring: six functions, each a thin call into chalicelib.

The decorator arguments are read when Chalice imports this file to package or deploy it, so they
come from the deploying shell's environment (see the README); the handlers' own settings come from
the Lambda environment and the SSM settings parameter at run time.
"""
import importlib
import os

from chalice import Chalice, Rate

from chalicelib import (
    conversation_start, flush, local_blueprints, outbound, receive, voice_transcripts, waiting,
)
from chalicelib.config import Environment
from chalicelib import logs
from chalicelib.runtime import Caches, Clients, Runtime

app = Chalice(app_name="whatsapp-connect-chat")

# A stage may add blueprints, as "module:attribute" names separated by commas. Only the local stage
# of .chalice/config.json does (the sandbox's page and test-event routes, which stay outside the
# deployment package); the deployed stages have no API. Named by the stage, not here, so the app
# imports nothing of the sandbox and the sandbox depends on the app, never the reverse. Set for
# `chalice deploy` or `chalice package`, it is refused in one line (chalicelib/local_blueprints.py).
for _blueprint in local_blueprints.to_register(os.environ):
    _module, _, _attribute = _blueprint.partition(":")
    app.register_blueprint(getattr(importlib.import_module(_module), _attribute))

INBOUND_TOPIC = os.environ.get("INBOUND_TOPIC", "whatsapp-connect-chat-inbound")
STREAMING_TOPIC = os.environ.get("STREAMING_TOPIC", "whatsapp-connect-chat-streaming")
BUFFER_STREAM_ARN = os.environ.get(
    "BUFFER_TABLE_STREAM_ARN",
    "arn:aws:dynamodb:us-east-1:123456789012:table/whatsapp-connect-chat-buffer/stream/local",
)
BUFFER_SECONDS = int(os.environ.get("BUFFER_SECONDS", "2"))

_clients = Clients()
_caches = Caches()


def runtime() -> Runtime:
    return Runtime(Environment.from_environ(), _clients, _caches)


@app.on_sns_message(topic=INBOUND_TOPIC, name="on_whatsapp_event")
@logs.invocation_handler
def on_whatsapp_event(event):
    receive.receive(event.to_dict(), runtime())


@app.on_dynamodb_record(stream_arn=BUFFER_STREAM_ARN, batch_size=100, starting_position="TRIM_HORIZON",
                        maximum_batching_window_in_seconds=BUFFER_SECONDS, name="flush_buffer")
@logs.invocation_handler
def flush_buffer(event):
    return flush.flush(event.to_dict(), runtime())


@app.on_sns_message(topic=STREAMING_TOPIC, name="on_connect_event")
@logs.invocation_handler
def on_connect_event(event):
    outbound.handle(event.to_dict(), runtime())


@app.on_cw_event({"source": ["aws.transcribe"], "detail-type": ["Transcribe Job State Change"],
                  "detail": {"TranscriptionJobStatus": ["COMPLETED", "FAILED"]}},
                 name="on_transcription_job")
@logs.invocation_handler
def on_transcription_job(event):
    voice_transcripts.complete_job(event.to_dict(), runtime())


# Conversations waiting for Connect (its chats full, throttled or failing) are retried: each minute,
# EventBridge's finest rate, those whose next attempt is due.
@app.schedule(Rate(1, unit=Rate.MINUTES), name="retry_waiting")
@logs.invocation_handler
def retry_waiting(event):
    return waiting.retry_due(runtime())


# Invoked directly (a Connect flow's "Invoke AWS Lambda function" block, or `chalice invoke`), so
# it takes the raw event and Lambda context and answers the caller.
@app.lambda_function(name="start_conversation")
def start_conversation(event, context):
    with logs.invocation(context, "start_conversation"):
        return conversation_start.start(event, runtime())
