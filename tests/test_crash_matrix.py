"""The crash matrix (docs/reliability.md): each flow killed right after each of its calls and
retried as Lambda retries it; every message must reach the other side exactly once.

The cells are listed while this module is collected, by running each flow once on a twin of its
own (tests/crash/standalone.py), so a new call in the product is a new cell without any edit here.
"""
from __future__ import annotations

import functools

import pytest

from tests.crash.explorer import Outcome
from tests.crash.flows import FLOWS_BY_NAME
from tests.crash.killing import Killed, KillPoint
from tests.crash.matrix import Cell, cells_of, explorer_on, render

# Why cells fail on today's product (issue 11). A fixed cell XPASSes, which fails the run: delete
# its line below.
START_TOKEN = ("ORPHAN, DOUBLED: the start ClientToken is derived from the ids the retried batch "
               "merges; a batch with a newer message or a bisected half opens a second chat")
SEND_TOKEN = ("DOUBLED: the SendMessage ClientToken is derived from the merged text's ids; the "
              "retried batch merges differently and Connect accepts the text again")
REUPLOAD = ("RAISED, LOST: the retry replays StartAttachmentUpload with the same ClientToken, gets "
            "the completed attachment back and its PUT is refused on every attempt; what follows "
            "the file never arrives")
CAPTION = ("LOST: the media's id is recorded delivered before its caption is sent; the retry skips "
           "the whole message, caption included")
TRANSCRIPT = ("LOST: the voice note is recorded delivered before its transcript is sent (or its job "
              "started); the retry skips the note and the transcript never comes")
CLAIM = ("LOST: the retry a minute later finds the outbound claim in progress (120 s lock), "
         "reports success and is never retried again")
STRANDED = ("RAISED: the session is closed but the conversation item still names the ended chat; "
            "every later message fails with 'conversation claimed by a chat that is no longer open'")
RESTART_TOKEN = ("ORPHAN, DOUBLED: the replacement chat's ClientToken ('restart', old contact) "
                 "differs from the one the retry uses once the old session is closed ('start')")
RESTART_DELIVERED = ("DOUBLED: the replacement chat's session is stored without the text it was "
                     "opened with as delivered; the retry sends it again into the new chat")

KNOWN_FAILING: dict[str, str] = {
    "new-chat-after-connect.StartChatContact-newer": START_TOKEN,
    "burst-after-connect.StartChatContact-newer": START_TOKEN,
    "burst-after-connect.StartChatContact-bisect": START_TOKEN,
    "open-chat-after-connectparticipant.SendMessage-newer": SEND_TOKEN,
    "open-chat-after-connectparticipant.SendMessage-bisect": SEND_TOKEN,
    "image-caption-after-connectparticipant.CompleteAttachmentUpload-same": REUPLOAD,
    "image-caption-after-connectparticipant.CompleteAttachmentUpload-newer": REUPLOAD,
    "voice-note-after-connectparticipant.CompleteAttachmentUpload-same": REUPLOAD,
    "voice-note-after-connectparticipant.CompleteAttachmentUpload-newer": REUPLOAD,
    "voice-note-job-after-connectparticipant.CompleteAttachmentUpload-same": REUPLOAD,
    "voice-note-job-after-connectparticipant.CompleteAttachmentUpload-newer": REUPLOAD,
    "image-caption-after-dynamodb.UpdateItem-same": CAPTION,
    "image-caption-after-dynamodb.UpdateItem-newer": CAPTION,
    "voice-note-after-transcribe.TranscribeAudio-same": TRANSCRIPT,
    "voice-note-after-transcribe.TranscribeAudio-newer": TRANSCRIPT,
    "voice-note-after-dynamodb.UpdateItem-same": TRANSCRIPT,
    "voice-note-after-dynamodb.UpdateItem-newer": TRANSCRIPT,
    "voice-note-job-after-dynamodb.UpdateItem-same": TRANSCRIPT,
    "voice-note-job-after-dynamodb.UpdateItem-newer": TRANSCRIPT,
    "agent-text-after-dynamodb.UpdateItem-async": CLAIM,
    "agent-long-text-after-dynamodb.UpdateItem-async": CLAIM,
    "agent-long-text-after-socialmessaging.SendWhatsAppMessage-async": CLAIM,
    "agent-long-text-after-dynamodb.UpdateItem#2-async": CLAIM,
    "agent-long-text-after-socialmessaging.SendWhatsAppMessage#2-async": CLAIM,
    "agent-long-text-after-dynamodb.UpdateItem#3-async": CLAIM,
    "agent-attachment-after-dynamodb.UpdateItem-async": CLAIM,
    "agent-attachment-after-connectparticipant.GetAttachment-async": CLAIM,
    "agent-attachment-after-transfer.GET-async": CLAIM,
    "agent-attachment-after-s3.PutObject-async": CLAIM,
    "agent-attachment-after-socialmessaging.PostWhatsAppMessageMedia-async": CLAIM,
    "chat-end-after-dynamodb.UpdateItem-async": STRANDED,
    "chat-gone-after-dynamodb.UpdateItem-same": STRANDED,
    "chat-gone-after-dynamodb.UpdateItem-newer": STRANDED,
    "chat-gone-after-connect.StartChatContact-same": RESTART_TOKEN,
    "chat-gone-after-connect.StartChatContact-newer": RESTART_TOKEN,
    "chat-gone-after-dynamodb.TransactWriteItems-same": RESTART_DELIVERED,
    "chat-gone-after-dynamodb.TransactWriteItems-newer": RESTART_DELIVERED,
}


@functools.cache
def all_cells() -> tuple[Cell, ...]:
    from tests.crash.standalone import standalone_account

    with standalone_account() as fresh_bridge:
        return tuple(cells_of(fresh_bridge))


def pytest_generate_tests(metafunc):
    if "cell" not in metafunc.fixturenames:
        return
    params = []
    for cell in all_cells():
        reason = KNOWN_FAILING.get(cell.id)
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        params.append(pytest.param(cell, id=cell.id, marks=marks))
    metafunc.parametrize("cell", params)


class MatrixReport:
    """Prints the outcomes of the cells that ran as a table in pytest's terminal summary."""

    def __init__(self) -> None:
        self.results: list[tuple[Cell, Outcome]] = []

    def pytest_terminal_summary(self, terminalreporter):
        if self.results:
            terminalreporter.write_sep("=", "crash matrix")
            terminalreporter.write_line(render(self.results))


@pytest.fixture(scope="module")
def matrix_report(request):
    report = MatrixReport()
    request.config.pluginmanager.register(report, "crash-matrix-report")
    yield report


def test_cell(bridge, cell: Cell, matrix_report: MatrixReport):
    with explorer_on(bridge) as explorer:
        outcome = explorer.run_cell(cell.flow, cell.kill_at, cell.kind)
    matrix_report.results.append((cell, outcome))

    assert outcome.passed, f"{outcome.label}: " + "; ".join(outcome.details)


@pytest.mark.parametrize("flow_name", list(FLOWS_BY_NAME))
def test_the_flow_meets_its_expectations_when_nothing_dies(bridge, flow_name):
    """So that a cell's failure is the crash's, not the flow's."""
    with explorer_on(bridge) as explorer:
        outcome = explorer.run_undisturbed(FLOWS_BY_NAME[flow_name])

    assert outcome.label == "ok", "; ".join(outcome.details)


def test_the_kill_ends_the_flush_even_from_its_worker_thread_and_no_call_follows(bridge):
    flow = FLOWS_BY_NAME["new-chat"]
    with explorer_on(bridge) as explorer:
        records = flow.prepare(bridge)
        explorer.meter.watch(KillPoint("connect", "StartChatContact"))
        with pytest.raises(Killed):
            bridge.flush(records)
        explorer.meter.stop()

    assert explorer.meter.calls[-1].label == "connect.StartChatContact"
    product_calls = [(c["service"], c["operation"]) for c in bridge.twin.calls
                     if c["service"] != "dynamodbstreams"]
    assert product_calls[-1] == ("connect", "StartChatContact")
