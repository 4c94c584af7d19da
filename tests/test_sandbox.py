"""The sandbox command end to end: `python -m sandbox` as a subprocess, a reference event through
its test-event route, a clean stop; and the golden path on its page in headless Chromium."""
from __future__ import annotations

import json
import os
import queue
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import urllib.request
import zlib
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest

from tests.repository import ROOT, load_event

READY_SECONDS = 180  # a busy machine starts the twin and chalice local slowly
# How long the browser tests wait for what the page should come to show (Playwright's own default
# is 5 s, which a busy machine exceeds): every wait is on a condition, never a fixed time.
BROWSER_WAIT_MS = 60_000
WINDOW_OPEN = re.compile(r"open, closes [1-3]?[0-9] [A-Z][a-z]{2} [0-2][0-9]:[0-5][0-9] UTC")
WINDOW_CLOSED = re.compile(r"closed [1-3]?[0-9] [A-Z][a-z]{2} [0-2][0-9]:[0-5][0-9] UTC: only templates")
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOT = Path(os.environ.get("SANDBOX_SCREENSHOT") or ROOT / "build" / "sandbox.png")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Sandbox:
    process: subprocess.Popen
    url: str
    env_file: Path
    output: list[str]
    ready_seconds: float

    def get(self, path: str) -> dict:
        with urllib.request.urlopen(self.url + path, timeout=10) as response:
            return json.load(response)

    def post(self, path: str, body: dict) -> dict:
        request = urllib.request.Request(self.url + path, data=json.dumps(body).encode(), method="POST",
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)

    def stop(self) -> int:
        self.process.send_signal(signal.SIGINT)  # Ctrl-C
        return self.process.wait(READY_SECONDS)

    def settings(self) -> dict[str, str]:
        """The .env the sandbox wrote (python-dotenv format)."""
        return dict(line.split("=", 1) for line in self.env_file.read_text().splitlines()
                    if line and not line.startswith("#"))

    def conversations(self) -> list[dict]:
        """The conversation items of the bridge's sessions table, in the twin's DynamoDB."""
        import boto3

        settings = self.settings()
        dynamodb = boto3.client(
            "dynamodb", endpoint_url=settings["AWS_ENDPOINT_URL_DYNAMODB"], region_name=settings["AWS_REGION"],
            aws_access_key_id=settings["AWS_ACCESS_KEY_ID"], aws_secret_access_key=settings["AWS_SECRET_ACCESS_KEY"])
        return [item for item in dynamodb.scan(TableName=settings["SESSIONS_TABLE"])["Items"]
                if item["contactId"]["S"].startswith("conversation#")]


@pytest.fixture
def sandbox(tmp_path):
    port = free_port()
    env_file = tmp_path / "sandbox.env"
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "BRIDGE_", "SANDBOX_"))}
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "sandbox", "--port", str(port), "--env-file", str(env_file)],
        cwd=ROOT, env=environment | {"PYTHONUNBUFFERED": "1"}, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True)
    lines: queue.Queue[str] = queue.Queue()
    output: list[str] = []

    def read() -> None:
        for line in process.stdout:
            output.append(line)
            lines.put(line)

    threading.Thread(target=read, daemon=True).start()
    deadline = started + READY_SECONDS
    while True:
        try:
            line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
        except queue.Empty:
            line = ""
        if line.startswith("Sandbox ready: "):
            break
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            pytest.fail("sandbox did not start:\n" + "".join(output))
    running = Sandbox(process, f"http://127.0.0.1:{port}", env_file, output, time.monotonic() - started)
    yield running
    if process.poll() is None:
        running.stop()  # as Ctrl-C would: the launcher stops chalice local and the twin


def wait_for(condition, timeout: float = READY_SECONDS, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(interval)


def test_sandbox_command_runs_a_reference_event_into_the_emulated_chat_and_stops_cleanly(sandbox):
    event = load_event("eum-text")

    answer = sandbox.post("/sandbox/events", event)
    chats = wait_for(lambda: [c for c in sandbox.get("/sandbox/api/state")["chats"] if c["items"]])

    # The message went the Lambda way: on_whatsapp_event, the buffer table's stream, flush_buffer.
    assert answer == {"function": "on_whatsapp_event", "result": None}
    (chat,) = chats
    assert chat["status"] == "ACTIVE"
    assert [(i["ParticipantRole"], i["Content"]) for i in chat["items"]] == [
        ("CUSTOMER", "Hi, I need help with my order")]
    hops = sandbox.get("/sandbox/api/state")["calls"]
    assert hops["on_whatsapp_event"][0]["operation"] == "PutItem"
    assert "StartChatContact" in [c["operation"] for c in hops["flush_buffer"]]
    # The sandbox wrote its .env (python-dotenv format) for the local stage.
    settings = sandbox.settings()
    assert settings["AWS_ENDPOINT_URL_CONNECT"] == settings["SANDBOX_EMULATOR_URL"]
    assert settings["AWS_ENDPOINT_URL_DYNAMODB"].startswith("http://127.0.0.1:")

    # A Connect streaming event goes to on_connect_event (this one names no known chat).
    connect_event = load_event("connect-agent-text")
    assert sandbox.post("/sandbox/events", connect_event)["function"] == "on_connect_event"

    port = sandbox.url.rsplit(":", 1)[1]
    chalice = _processes_serving(port)
    assert chalice, "chalice local is not running"
    assert sandbox.stop() == 0
    # Ctrl-C stopped chalice local (its whole process group) and the twin: nothing is left.
    for pid in chalice:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(("127.0.0.1", int(port)))  # nobody listens on the page's port any more


@pytest.fixture
def taken_port():
    """A port another program already listens on."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder.getsockname()[1]


def test_a_taken_port_is_one_line_that_names_it_and_how_to_choose_another(taken_port, tmp_path):
    env_file = tmp_path / "sandbox.env"

    result = subprocess.run(
        [sys.executable, "-m", "sandbox", "--port", str(taken_port), "--env-file", str(env_file)],
        cwd=ROOT, capture_output=True, text=True, timeout=READY_SECONDS)

    assert result.returncode == 1
    assert result.stdout == ""
    line = re.fullmatch(
        rf"Sandbox not started: port {taken_port} on 127\.0\.0\.1: address already in use; choose another "
        r"with make sandbox PORT=(\d+) \(or python -m sandbox --port \1\)\n", result.stderr)
    assert line, result.stderr
    assert int(line[1]) != taken_port
    assert not env_file.exists()  # it stopped before starting anything


def test_make_sandbox_hands_PORT_to_the_launcher(taken_port):
    # Not the flags of a `make test` this may run under (-s would hide the command line).
    environment = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    # -o: the existing .venv counts as up to date, so nothing is installed.
    result = subprocess.run(
        ["make", "--no-print-directory", "-o", ".venv/.installed", "sandbox", f"PORT={taken_port}",
         f"PYTHON={sys.executable}"],
        cwd=ROOT, env=environment, capture_output=True, text=True, timeout=READY_SECONDS)

    assert result.stdout == f"{sys.executable} -m sandbox --port {taken_port}\n"
    assert result.stderr.startswith(f"Sandbox not started: port {taken_port} on 127.0.0.1: address already in use")
    assert result.returncode != 0


def _processes_serving(port: str) -> list[int]:
    """Pids of `chalice local ... --port <port>` processes."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"local" in command and port.encode() in command and b"--port" in command:
                found.append(int(entry.name))
    return found


def _browser_available() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed"
    if not Path(CHROMIUM).exists():
        return f"no Chromium at {CHROMIUM}"
    return None


@contextmanager
def sandbox_page(sandbox, tmp_path) -> Iterator:
    """Debian's chromium on the sandbox's page (CI must have it; elsewhere the test skips)."""
    missing = _browser_available()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"the browser test must run in CI: {missing}")
        pytest.skip(missing)
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=BROWSER_WAIT_MS)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=CHROMIUM, headless=True,
            viewport={"width": 1360, "height": 1000},
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        try:
            page = browser.new_page()
            page.set_default_timeout(BROWSER_WAIT_MS)
            page.goto(sandbox.url + "/")
            yield page
        finally:
            browser.close()


def test_golden_path_in_the_browser(sandbox, tmp_path):
    with sandbox_page(sandbox, tmp_path) as page:
        from playwright.sync_api import expect  # present once the page is: see sandbox_page

        expect(page.get_by_test_id("status")).to_contain_text("against the local twin")

        # The customer writes; the agent sees a new chat with the message.
        page.get_by_test_id("phone-input").fill("Hi, I need help with my order")
        page.get_by_test_id("phone-send").click()
        chats = page.get_by_test_id("chat-item")
        expect(chats).to_have_count(1)
        expect(chats.first).to_have_attribute("data-status", "ACTIVE")
        first_chat = chats.first.get_attribute("data-contact-id")
        agent_thread = page.get_by_test_id("agent-thread")
        expect(agent_thread).to_contain_text("Hi, I need help with my order")

        # The agent replies; the reply travels Connect streaming -> SNS -> on_connect_event.
        page.get_by_test_id("agent-input").fill("Hello Ana, I am looking into it now.")
        page.get_by_test_id("agent-send").click()
        business = page.locator("[data-testid=phone-message][data-from=business]")
        expect(business.last).to_contain_text("Hello Ana, I am looking into it now.")

        # The metrics panel counts from the bridge's own metric lines: a message each way.
        expect(metric(page, "InboundMessages").get_by_test_id("metric-value")).to_have_text("1")
        expect(metric(page, "OutboundMessages").get_by_test_id("metric-value")).to_have_text("1")
        expect(metric(page, "ChatsStarted").get_by_test_id("metric-value")).to_have_text("1")
        expect(metric(page, "OutboundMessages").get_by_test_id("metric-latency")).to_contain_text(
            re.compile(r"latest [0-9.]+ m?s · median"))

        # The agent ends the chat; a day later the customer writes again: a new chat, which starts
        # with the ended one's history (persistent chat), greyed under a divider. (The bridge
        # learns of the end from Connect's streaming, and keeps when it ended: "a day later" is
        # from then.)
        page.get_by_test_id("agent-end").click()
        expect(page.locator(f"[data-contact-id='{first_chat}']")).to_have_attribute("data-status", "ENDED")
        wait_for(lambda: [c for c in sandbox.conversations() if c.get("lastContactId", {}).get("S") == first_chat])
        page.get_by_test_id("clock-advance").click()
        page.get_by_test_id("phone-input").fill("Thanks! One more question about delivery.")
        page.get_by_test_id("phone-send").click()
        expect(chats).to_have_count(2)
        newest = page.locator("[data-testid=chat-item][data-status=ACTIVE]")
        expect(newest).to_have_count(1)
        assert newest.get_attribute("data-contact-id") != first_chat
        expect(agent_thread).to_contain_text("Thanks! One more question about delivery.")
        expect(agent_thread.get_by_test_id("history-divider")).to_have_count(1)
        history = agent_thread.locator(".history")
        expect(history.filter(has_text="Hi, I need help with my order")).to_have_count(1)
        expect(history.filter(has_text="Hello Ana, I am looking into it now.")).to_have_count(1)
        expect(agent_thread.locator("[data-testid=agent-message]:not(.history)",
                                    has_text="Thanks! One more question")).to_have_count(1)
        expect(metric(page, "InboundMessages").get_by_test_id("metric-value")).to_have_text("2")
        expect(metric(page, "ChatsStarted").get_by_test_id("metric-value")).to_have_text("2")
        expect(page.locator("[data-testid=hop][data-hop=on_connect_event]")).to_contain_text(
            "SendWhatsAppMessage")

        # A photo taller than the thread: once it has loaded, the phone shows the newest message.
        for line in ("Here is the label", "and the parcel", "and the receipt"):
            page.get_by_test_id("phone-input").fill(line)
            page.get_by_test_id("phone-send").click()
        page.get_by_test_id("phone-file").set_input_files(
            {"name": "parcel.png", "mimeType": "image/png", "buffer": tall_png()})
        page.wait_for_function("""() => {
            const thread = document.querySelector("[data-testid=phone-thread]");
            const photo = thread.querySelector("img");
            return photo && photo.complete && photo.naturalHeight > 0 && thread.scrollHeight > thread.clientHeight
                && thread.scrollHeight - thread.clientHeight - thread.scrollTop < 2;
        }""", timeout=BROWSER_WAIT_MS)
        expect(agent_thread.locator("img")).to_have_count(1)

        # Browsers ask for /favicon.ico whatever the page links: not a refusal.
        assert page.request.get(sandbox.url + "/favicon.ico").status == 204


def metric(page, name: str):
    """A tile of the live metrics panel."""
    return page.locator(f"[data-testid=metric][data-metric={name}]")


def minutes_apart(hh_mm: str, hh_mm_ss: str) -> int:
    """Between two times of day, across midnight too."""
    first = int(hh_mm[:2]) * 60 + int(hh_mm[3:5])
    second = int(hh_mm_ss[:2]) * 60 + int(hh_mm_ss[3:5])
    return min((first - second) % 1440, (second - first) % 1440)


def tall_png(width: int = 120, height: int = 900) -> bytes:
    """A photo taller than the phone's thread, however it is scaled: a plain PNG, one colour."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = (b"\x00" + bytes((37, 211, 102)) * width) * height
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


# What WhatsApp shows for a text (https://faq.whatsapp.com/539178204879377), as HTML.
WHATSAPP_FORMATTING = {
    "*Sorry* about that": "<strong>Sorry</strong> about that",
    "_so_ ~not~ *_both_*": "<em>so</em> <s>not</s> <strong><em>both</em></strong>",
    "```a *b* c``` and `x_y_z`": '<code class="mono">a *b* c</code> and <code>x_y_z</code>',
    "2*3*4 and snake_case_name and * not bold *": "2*3*4 and snake_case_name and * not bold *",
    "*one\nline*": "*one\nline*",
    "<img src=x onerror=alert(1)> *&*": "&lt;img src=x onerror=alert(1)&gt; <strong>&amp;</strong>",
}

# What the agent workspace shows for a text/markdown message (Connect's rich messaging: bold,
# italics, hyperlinks, bulleted and numbered lists), as HTML.
CONNECT_MARKDOWN = {
    "**Sorry** about that": "<strong>Sorry</strong> about that",
    "*so* _very_ __sorry__": "<em>so</em> <em>very</em> <strong>sorry</strong>",
    "Two options:\n- a refund\n- a new parcel\nThanks": (
        "Two options:<ul><li>a refund</li><li>a new parcel</li></ul>Thanks"),
    "3. third\n4. fourth": '<ol start="3"><li>third</li><li>fourth</li></ol>',
    "[track it](https://example.com/t?id=1)":
        '<a href="https://example.com/t?id=1" target="_blank" rel="noopener noreferrer">track it</a>',
    "order\\_update and snake_case_name": "order_update and snake_case_name",
    "[x](javascript:alert(1)) <b>": "[x](javascript:alert(1)) &lt;b&gt;",
}


def test_receipts_typing_formatting_and_a_bot_list_in_the_browser(sandbox, tmp_path):
    with sandbox_page(sandbox, tmp_path) as page:
        from playwright.sync_api import expect  # present once the page is: see sandbox_page

        mine = page.locator("[data-testid=phone-message][data-from=customer]")
        business = page.locator("[data-testid=phone-message][data-from=business]")
        agent_thread = page.get_by_test_id("agent-thread")

        # The customer's message reaches the agent: two grey ticks, not blue until the agent reads.
        page.get_by_test_id("phone-input").fill("Hi, my parcel is late")
        page.get_by_test_id("phone-send").click()
        expect(agent_thread).to_contain_text("Hi, my parcel is late")
        expect(mine.first).to_have_attribute("data-status", "delivered")
        # The flush has stored the chat (its window is known) before the agent reads: no agent
        # reads in the milliseconds between the chat opening and the flush recording it.
        expect(page.get_by_test_id("window-state")).to_contain_text(WINDOW_OPEN)
        page.get_by_test_id("agent-read").click()
        expect(mine.first).to_have_attribute("data-status", "read")
        expect(page.get_by_test_id("agent-read-done")).to_have_count(1)

        # The agent types: WhatsApp's typing indicator; the markdown reply (Shift+Enter breaks its
        # lines, Enter sends) arrives in bold with its list's lines and ends it. The phone reports
        # it delivered and read; the agent sees Read. The console draws the markdown as the
        # agent workspace does.
        reply_box = page.get_by_test_id("agent-input")
        reply_box.fill("**Sorry** about that. Two options:")
        expect(page.get_by_test_id("phone-typing")).to_be_visible()
        for line in ("- a refund", "- a new parcel"):
            reply_box.press("Shift+Enter")
            reply_box.press_sequentially(line)
        reply_box.press("Enter")
        expect(reply_box).to_have_value("")
        expect(business.last.locator("strong")).to_have_text("Sorry")
        expect(business.last).to_contain_text("Sorry about that. Two options:")
        expect(business.last).not_to_contain_text("**")
        agent_reply = page.locator("[data-testid=agent-message][data-role=AGENT]")
        expect(agent_reply.locator("strong")).to_have_text("Sorry")
        expect(agent_reply.locator("ul > li")).to_have_text(["a refund", "a new parcel"])
        expect(page.get_by_test_id("phone-typing")).to_be_hidden()
        expect(business.last).to_have_attribute("data-status", "read")
        expect(business.last.get_by_test_id("ticks")).to_have_class(re.compile(r"\bread\b"))
        expect(page.locator("[data-testid=agent-message][data-role=AGENT] [data-testid=agent-receipt]")
               ).to_have_text("Read")

        # The bot's ListPicker is a WhatsApp list (in the chat list, its title); the customer taps
        # a row, and the chat gets the option's title as the customer's message.
        page.get_by_test_id("bot-listpicker").click()
        expect(business.last).to_have_attribute("data-kind", "interactive")
        expect(business.last).to_contain_text("How can we help you today?")
        expect(page.get_by_test_id("chat-preview")).to_have_text("How can we help you today?")
        business.last.get_by_test_id("phone-list-button").click()
        rows = page.get_by_test_id("phone-list-row")
        expect(rows).to_have_count(3)
        rows.filter(has_text="Talk to an agent").click()
        expect(mine.last).to_contain_text("Talk to an agent")
        customer = page.locator("[data-testid=agent-message][data-role=CUSTOMER]")
        expect(customer.last).to_contain_text("Talk to an agent")
        expect(business.last).to_have_attribute("data-status", "read")
        # The agent reads the newest: "mark read" goes from every message up to it.
        expect(page.get_by_test_id("agent-read")).to_have_count(1)
        page.get_by_test_id("agent-read").click()
        expect(page.get_by_test_id("agent-read")).to_have_count(0)
        expect(page.get_by_test_id("agent-read-done")).to_have_count(2)

        # The phone's WhatsApp formatting rules, as its page draws them (text stays text).
        drawn = page.evaluate("""texts => texts.map(text => {
            const holder = document.createElement("p"); holder.append(...formatted(text));
            return holder.innerHTML; })""", list(WHATSAPP_FORMATTING))
        assert dict(zip(WHATSAPP_FORMATTING, drawn)) == WHATSAPP_FORMATTING
        # The agent workspace's markdown, as the console draws it (text stays text here too).
        drawn = page.evaluate("""texts => texts.map(text => {
            const holder = document.createElement("p"); holder.append(...markdown(text));
            return holder.innerHTML; })""", list(CONNECT_MARKDOWN))
        assert dict(zip(CONNECT_MARKDOWN, drawn)) == CONNECT_MARKDOWN

    # What the twin's Connect and WhatsApp saw: the tap's title as the customer's message, the
    # list's rows, and the receipts the phone's statuses became on the agent's message.
    (chat,) = sandbox.get("/sandbox/api/state")["chats"]
    said = [(i["ParticipantRole"], i["ContentType"], i["Content"]) for i in chat["items"] if i["Type"] == "MESSAGE"]
    assert said[1] == ("AGENT", "text/markdown", "**Sorry** about that. Two options:\n- a refund\n- a new parcel")
    assert said[-1] == ("CUSTOMER", "text/plain", "Talk to an agent")
    (reply,) = [i for i in chat["items"] if i["ParticipantRole"] == "AGENT" and i["Type"] == "MESSAGE"]
    assert reply["Delivered"] and reply["Read"]


def test_a_closed_window_and_a_template_in_the_browser(sandbox, tmp_path):
    with sandbox_page(sandbox, tmp_path) as page:
        from playwright.sync_api import expect  # present once the page is: see sandbox_page

        business = page.locator("[data-testid=phone-message][data-from=business]")
        agent_thread = page.get_by_test_id("agent-thread")
        window = page.get_by_test_id("window-state")

        # Inside the window the agent's reply reaches the phone.
        page.get_by_test_id("phone-input").fill("Hi, where is my order?")
        page.get_by_test_id("phone-send").click()
        expect(agent_thread).to_contain_text("Hi, where is my order?")
        expect(window).to_have_attribute("data-state", "open")
        expect(window).to_contain_text(WINDOW_OPEN)
        page.get_by_test_id("agent-input").fill("Let me check.")
        page.get_by_test_id("agent-send").click()
        expect(business).to_have_count(1)
        expect(business.last).to_contain_text("Let me check.")

        # A day later the window is closed: the agent's message is not sent, the bridge says why
        # and which templates can reach the customer.
        clock = page.get_by_test_id("sandbox-clock").inner_text()
        page.get_by_test_id("clock-advance").click()
        expect(page.get_by_test_id("sandbox-clock")).not_to_have_text(clock)
        expect(window).to_have_attribute("data-state", "closed")
        expect(window).to_contain_text(WINDOW_CLOSED)
        page.get_by_test_id("agent-input").fill("Are you still there?")
        page.get_by_test_id("agent-send").click()
        # The bridge's note is a system note, not the customer's message (in Connect it is the
        # customer participant's, under the bridge's prefix, which the console recognises).
        note = page.get_by_test_id("agent-note")
        expect(note).to_have_count(1)
        expect(note).to_contain_text("WhatsApp bridge")
        expect(note).to_contain_text("⛔ Not sent: WhatsApp's 24-hour window")
        expect(note).to_contain_text("order_update")
        expect(note).not_to_contain_text("[WhatsApp bridge]")
        expect(page.locator("[data-testid=agent-message]", has_text="24-hour")).to_have_count(0)
        expect(page.get_by_test_id("chat-preview")).to_contain_text("⛔ Not sent")
        expect(business).to_have_count(1)
        # The calls per hop are at the sandbox's time, in UTC, as its clock in the header.
        header = page.get_by_test_id("sandbox-clock").inner_text()
        refusal_call = page.locator("[data-testid=hop][data-hop=on_connect_event] li",
                                    has_text="ListWhatsAppMessageTemplates").first
        assert minutes_apart(header.split(", ")[1][:5], refusal_call.get_by_test_id("call-time").inner_text()) <= 1

        # The agent picks a template: the phone shows it as a template, the chat echoes its text.
        page.get_by_test_id("template-toggle").click()
        page.get_by_test_id("template-select").select_option(label="order_update (en_US, UTILITY)")
        parameters = page.get_by_test_id("template-parameter")
        expect(parameters).to_have_count(3)
        for field, value in zip(parameters.all(), ["Ana", "A-1001", "tomorrow"]):
            field.fill(value)
        page.get_by_test_id("template-send").click()
        expect(business).to_have_count(2)
        expect(business.last).to_have_attribute("data-kind", "template")
        expect(business.last.get_by_test_id("template-badge")).to_have_text("Template · order_update (en_US)")
        expect(business.last).to_contain_text("Order update")
        expect(business.last).to_contain_text("Hi Ana, your order A-1001 has shipped and arrives tomorrow.")
        expect(business.last).to_contain_text("Reply to this message to talk to us.")
        # The bridge's echo of the template is a note of its own too.
        expect(agent_thread.get_by_test_id("agent-note").filter(
            has_text="📋 Template order_update (en_US) sent to the customer")).to_contain_text(
            "Hi Ana, your order A-1001 has shipped")

        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT), full_page=True)
    assert SCREENSHOT.stat().st_size > 10_000

    # What the twin's WhatsApp was asked (read receipts and typing aside): the reply, then the
    # template; "Are you still there?" cost no WhatsApp call.
    settings = sandbox.settings()
    with urllib.request.urlopen(settings["SANDBOX_EMULATOR_URL"] + "/_emulator/whatsapp/sent") as answer:
        messages = [record["message"] for record in json.load(answer)]
    assert [(m["type"], m["text"]["body"] if m["type"] == "text" else m["template"]["name"])
            for m in messages if "type" in m] == [("text", "Let me check."), ("template", "order_update")]
    (template,) = [m["template"] for m in messages if m.get("type") == "template"]
    assert template["components"] == [{"type": "body", "parameters": [
        {"type": "text", "text": "Ana"}, {"type": "text", "text": "A-1001"}, {"type": "text", "text": "tomorrow"}]}]


def test_a_full_contact_centre_the_waiting_room_and_retry_now_in_the_browser(sandbox, tmp_path):
    from chalicelib.config import DEFAULT_BUSY_MESSAGE

    with sandbox_page(sandbox, tmp_path) as page:
        from playwright.sync_api import expect  # present once the page is: see sandbox_page

        business = page.locator("[data-testid=phone-message][data-from=business]")
        chats = page.get_by_test_id("chat-item")
        agent_thread = page.get_by_test_id("agent-thread")
        capacity = page.get_by_test_id("capacity")
        rows = page.get_by_test_id("waiting-row")
        expect(capacity).to_have_text("0 chats in use (no limit)")
        expect(page.get_by_test_id("waiting-empty")).to_be_visible()

        # The phone plays one customer: their chat opens and the agent ends it, so no chat is open.
        page.get_by_test_id("phone-input").fill("Hi, I need help with my order")
        page.get_by_test_id("phone-send").click()
        expect(chats).to_have_count(1)
        expect(agent_thread).to_contain_text("Hi, I need help with my order")
        expect(capacity).to_have_text("1 chat in use (no limit)")
        first_chat = chats.first.get_attribute("data-contact-id")
        page.get_by_test_id("agent-end").click()
        expect(page.locator(f"[data-contact-id='{first_chat}']")).to_have_attribute("data-status", "ENDED")
        expect(capacity).to_have_text("0 chats in use (no limit)")

        # Filled: the limit is the chats open now (none), so the customer's next message waits.
        page.get_by_test_id("capacity-fill").click()
        expect(capacity).to_have_text("0 of 0 chats in use")
        expect(capacity).to_have_attribute("data-full", "true")
        page.get_by_test_id("phone-input").fill("Is anyone there?")
        page.get_by_test_id("phone-send").click()

        # The phone gets the busy message once; the waiting room lists the conversation.
        expect(business.last).to_contain_text(DEFAULT_BUSY_MESSAGE)
        expect(rows).to_have_count(1)
        expect(rows.first).to_have_attribute("data-reason", "capacity")
        expect(rows.first).to_have_attribute("data-busy", "true")
        expect(rows.first).to_contain_text("Ana Souza")
        # Waiting since: the sandbox's time, with its date, as the page's clock shows it.
        expect(rows.first).to_contain_text(re.compile(r"\w{3} \d{2} \w{3} \d{4}, \d{2}:\d{2}:\d{2} UTC"))
        expect(rows.first.get_by_test_id("waiting-attempts")).to_have_text("1")
        expect(chats).to_have_count(1)

        # Capacity is freed (a chat more) and Retry now runs retry_waiting: the customer gets a
        # chat and their message reaches the agent.
        page.get_by_test_id("capacity-limit").fill("1")
        page.get_by_test_id("capacity-set").click()
        expect(capacity).to_have_text("0 of 1 chat in use")
        page.get_by_test_id("retry-now").click()
        expect(page.get_by_test_id("retry-result")).to_contain_text("Retry now:")
        expect(chats).to_have_count(2)
        newest = page.locator("[data-testid=chat-item][data-status=ACTIVE]")
        expect(newest).to_have_count(1)
        assert newest.get_attribute("data-contact-id") != first_chat
        expect(agent_thread).to_contain_text("Is anyone there?")
        expect(rows).to_have_count(0)
        expect(page.get_by_test_id("waiting-empty")).to_be_visible()
        expect(capacity).to_have_text("1 of 1 chat in use")
        expect(page.locator("[data-testid=hop][data-hop=retry_waiting]")).to_contain_text("dynamodb.Query")
        expect(business.filter(has_text=DEFAULT_BUSY_MESSAGE)).to_have_count(1)

    # The schedule (retry_waiting each minute of the sandbox's time) runs in the local stage, and
    # "+24 h" does not stop it: it runs once at the new time, then each minute from there.
    assert sandbox.get("/sandbox/health")["schedule"] is True
    moved_to = sandbox.post("/sandbox/api/clock", {"seconds": 24 * 3600})["now"]
    schedule = wait_for(lambda: (lambda s: s["nextAt"] > moved_to and s)(
        sandbox.get("/sandbox/api/waiting")["schedule"]))
    assert schedule["running"] is True and schedule["error"] == ""
    assert schedule["nextAt"] <= moved_to + 60 + 5
