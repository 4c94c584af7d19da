// The sandbox page: polls /sandbox/api/state and renders the phone, the agent console, the
// contact centre's capacity and waiting room, and the AWS calls per hop. No framework and no build step on purpose: it is read more than changed.
"use strict";

const $ = (id) => document.getElementById(id);
let selected = null;          // the contact id open in the agent console
let lastRendered = {};        // section -> JSON last drawn, so unchanged sections are not redrawn
const mediaUrls = new Map();  // "phone:<media id>" or "agent:<attachment id>" -> Promise<{mime, url}>
const reported = new Map();   // business message id -> the status the phone last reported for it
const STATUS_RANK = {"": 0, sent: 1, delivered: 2, read: 3};
const TYPING_EVERY_MS = 3000; // while the agent keeps typing, a typing event this often
let lastTypingSent = 0;

async function api(method, path, body) {
  const response = await fetch(path, {
    method, headers: {"Content-Type": "application/json"},
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const payload = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(payload.error || payload.errorMessage || payload.Message || response.statusText);
  return payload;
}

function readFile(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve({name: file.name, mime: file.type, data_base64: reader.result.split(",", 2)[1]});
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}

function mediaUrl(source, id) {
  const key = `${source}:${id}`;
  if (!mediaUrls.has(key)) {
    const path = source === "phone" ? `/sandbox/api/phone/media/${id}` : `/sandbox/api/agent/attachments/${id}`;
    mediaUrls.set(key, api("GET", path).then((m) => {
      const bytes = Uint8Array.from(atob(m.data_base64), (c) => c.charCodeAt(0));
      const mime = m.mime_type || m.content_type || "application/octet-stream";
      return {mime, url: URL.createObjectURL(new Blob([bytes], {type: mime}))};
    }));
  }
  return mediaUrls.get(key);
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (name === "class") node.className = value; else node.setAttribute(name, value);
  }
  for (const child of children) if (child != null) node.append(child);
  return node;
}

// A file in a bubble: images and audio play inline, anything else is a download link. A photo or
// voice note grows its bubble once loaded, after the thread was scrolled: the thread scrolls again.
function mediaNode(source, id, name) {
  const holder = el("span", {}, `📎 ${name || "file"}`);
  mediaUrl(source, id).then(({mime, url}) => {
    let node;
    if (mime.startsWith("image/")) node = el("img", {src: url, alt: name || "image"});
    else if (mime.startsWith("audio/")) node = el("audio", {src: url, controls: ""});
    else node = el("a", {href: url, download: name || "file"}, `📎 ${name || "file"}`);
    for (const loaded of ["load", "loadedmetadata"]) {
      node.addEventListener(loaded, () => scrollToNewest(node.closest(".thread")));
    }
    holder.replaceWith(node);
    scrollToNewest(node.closest(".thread"));
  }).catch(() => { holder.textContent = `📎 ${name || "file"} (unavailable)`; });
  return holder;
}

function scrollToNewest(thread) {
  if (thread) thread.scrollTop = thread.scrollHeight;
}

// WhatsApp's formatting, drawn as WhatsApp draws it: *bold*, _italic_, ~strike~, ```monospace```
// and `inline code`. A marker opens after a space or punctuation and before a non-space, and closes
// the other way round, on the same line. Text only ever becomes text nodes: nothing here is HTML.
const WHATSAPP_STYLES = {"*": "strong", "_": "em", "~": "s"};
const EDGE = "[\\s\\p{P}\\p{S}]";
const STYLED = new RegExp(`(^|${EDGE})([*_~])(?!\\s)(.+?)(?<!\\s)\\2(?=$|${EDGE})`, "u");
const CODE = /```([\s\S]+?)```|`([^`\n]+)`/;

function formatted(text) {
  const nodes = [];
  let rest = text || "";
  while (rest) {
    const code = CODE.exec(rest);
    if (!code) { nodes.push(...styled(rest)); break; }
    nodes.push(...styled(rest.slice(0, code.index)));
    // Nothing inside code is formatted.
    nodes.push(code[1] !== undefined ? el("code", {class: "mono"}, code[1]) : el("code", {}, code[2]));
    rest = rest.slice(code.index + code[0].length);
  }
  return nodes;
}

function styled(text) {
  const match = STYLED.exec(text);
  if (!match) return text ? [text] : [];
  const opens = match.index + match[1].length;
  return [text.slice(0, opens), el(WHATSAPP_STYLES[match[2]], {}, ...styled(match[3])),
          ...styled(text.slice(match.index + match[0].length))].filter((part) => part !== "");
}

// The agent workspace's rich messaging, for text/markdown messages: bold, italics, hyperlinks,
// bulleted and numbered lists (Amazon Connect's "rich messaging" formatting options, enabled on a
// chat by StartChatContact's SupportedMessagingContentTypes). Plain text stays as written. As for
// WhatsApp's formatting above, text only ever becomes text nodes.
const MARKDOWN_INLINE = new RegExp([
  "\\\\([!-/:-@\\[-`{-~])",                              // an escaped punctuation mark: itself
  "\\*\\*(?!\\s)(.+?)(?<!\\s)\\*\\*", "__(?!\\s)(.+?)(?<!\\s)__",     // bold
  "\\*(?!\\s)(.+?)(?<!\\s)\\*", "(?<![\\p{L}\\p{N}])_(?!\\s)(.+?)(?<!\\s)_(?![\\p{L}\\p{N}])",  // italics
  "\\[([^\\]]+)\\]\\(((?:https?:|mailto:)[^\\s)]+)\\)",     // a link
].join("|"), "u");
const MARKDOWN_ITEM = /^\s*(?:([-*+])|(\d+)[.)])\s+(.*)$/;

function markdown(text) {
  const nodes = [];
  let list = null;
  for (const [index, line] of (text || "").split("\n").entries()) {
    const item = MARKDOWN_ITEM.exec(line);
    if (item) {
      const tag = item[1] ? "ul" : "ol";
      if (!list || list.tagName.toLowerCase() !== tag) {
        list = el(tag, item[2] && item[2] !== "1" ? {start: item[2]} : {});
        nodes.push(list);
      }
      list.append(el("li", {}, ...markdownInline(item[3])));
      continue;
    }
    if (index > 0 && !list) nodes.push("\n");
    list = null;
    nodes.push(...markdownInline(line));
  }
  return nodes;
}

function markdownInline(text) {
  const match = MARKDOWN_INLINE.exec(text);
  if (!match) return text ? [text] : [];
  const [whole, escaped, bold, boldUnderscores, italic, italicUnderscores, label, href] = match;
  let node;
  if (escaped !== undefined) node = escaped;
  else if ((bold ?? boldUnderscores) !== undefined) node = el("strong", {}, ...markdownInline(bold ?? boldUnderscores));
  else if ((italic ?? italicUnderscores) !== undefined) node = el("em", {}, ...markdownInline(italic ?? italicUnderscores));
  else node = el("a", {href, target: "_blank", rel: "noopener noreferrer"}, ...markdownInline(label));
  return [text.slice(0, match.index), node, ...markdownInline(text.slice(match.index + whole.length))]
    .filter((part) => part !== "");
}

// Ticks as WhatsApp draws them: pending 🕓, sent ✓, delivered ✓✓, read ✓✓ in blue.
function ticks(status) {
  const marks = {"": "🕓", sent: "✓", delivered: "✓✓", read: "✓✓"}[status || ""] || "✓";
  return el("span", {class: `ticks ${status === "read" ? "read" : ""}`, "data-testid": "ticks",
                     title: status || "pending"}, marks);
}

// A business's interactive message: its body, then reply buttons, or the button that opens a list.
function interactiveNodes(item) {
  const message = item.interactive;
  const nodes = [];
  if (message.header && message.header.text) nodes.push(el("div", {class: "i-header"}, message.header.text));
  nodes.push(el("div", {}, ...formatted((message.body || {}).text)));
  if (message.footer && message.footer.text) nodes.push(el("div", {class: "i-footer"}, message.footer.text));
  const action = message.action || {};
  if (message.type === "list") {
    const open = el("button", {type: "button", class: "i-action", "data-testid": "phone-list-button"},
                    `☰ ${action.button || "Options"}`);
    open.onclick = () => openList(item);
    nodes.push(open);
  } else if (message.type === "button") {
    for (const button of action.buttons || []) {
      const tap = el("button", {type: "button", class: "i-action", "data-testid": "phone-reply-button"},
                     button.reply.title);
      tap.onclick = () => choose(item.id, button.reply.id);
      nodes.push(tap);
    }
  }
  return nodes;
}

// A template message: marked as one, with the approved header, body and footer, parameters filled.
function templateNodes(template) {
  return [
    el("div", {class: "t-badge", "data-testid": "template-badge"},
       `Template · ${template.name} (${template.language})`),
    template.header ? el("div", {class: "i-header"}, ...formatted(template.header)) : null,
    el("div", {}, ...formatted(template.body)),
    template.footer ? el("div", {class: "i-footer"}, template.footer) : null,
  ].filter((node) => node !== null);
}

function openList(item) {
  const message = item.interactive;
  $("sheet-title").textContent = (message.action || {}).button || "Options";
  $("sheet-rows").replaceChildren(...((message.action || {}).sections || []).flatMap((section) => [
    ...(section.title ? [el("h4", {}, section.title)] : []),
    ...(section.rows || []).map((row) => {
      const choice = el("button", {type: "button", class: "row", "data-testid": "phone-list-row"},
                        el("span", {}, row.title), row.description ? el("small", {}, row.description) : null);
      choice.onclick = () => { $("phone-sheet").hidden = true; choose(item.id, row.id); };
      return choice;
    }),
  ]));
  $("phone-sheet").hidden = false;
}

function choose(messageId, optionId) {
  guarded(() => api("POST", "/sandbox/api/phone/send", {reply_to: messageId, option_id: optionId}));
}

function drawPhone(state) {
  $("phone-title").textContent = `Business +${state.customer.business}`;
  $("phone-customer").textContent = `you are ${state.customer.name} (+${state.customer.wa_id})`;
  $("phone-customer").hidden = state.typing;
  $("phone-typing").hidden = !state.typing;
  const thread = $("phone-thread");
  thread.replaceChildren(...state.phone.map((item) => {
    const mine = item.from === "customer";
    const bubble = el("li", {class: `bubble ${mine ? "mine" : "theirs"}`, "data-testid": "phone-message",
                             "data-from": item.from, "data-kind": item.kind, "data-status": item.status || ""});
    if (item.quote) bubble.append(el("div", {class: "quote"}, item.quote));
    if (item.media_id) {
      bubble.append(mediaNode("phone", item.media_id, item.filename || item.kind));
      if (item.text) bubble.append(el("div", {}, ...formatted(item.text)));
    } else if (item.interactive) {
      bubble.append(...interactiveNodes(item));
    } else if (item.template) {
      bubble.append(...templateNodes(item.template));
    } else {
      bubble.append(...formatted(item.text));
    }
    // The business's ticks are what the phone reported for its messages (the page plays the customer).
    bubble.append(ticks(item.status));
    if (item.reaction) bubble.append(el("span", {class: "reaction"}, item.reaction));
    return bubble;
  }));
  scrollToNewest(thread);
}

// The customer's phone reports each business message delivered once it is here, and read while
// the chat is on screen: WhatsApp's status webhooks, through on_whatsapp_event.
function reportStatuses(state) {
  const shown = document.visibilityState === "visible" ? "read" : "delivered";
  for (const item of state.phone) {
    if (item.from !== "business") continue;
    const known = Math.max(STATUS_RANK[item.status || ""], STATUS_RANK[reported.get(item.id) || ""]);
    if (known >= STATUS_RANK[shown]) continue;
    reported.set(item.id, shown);
    api("POST", "/sandbox/api/phone/status", {message_id: item.id, status: shown})
      .catch(() => reported.delete(item.id));
  }
}

function drawChats(state) {
  const chats = state.chats;
  const current = chats.find((c) => c.contactId === selected);
  // Follow the conversation: with nothing open, or the open chat ended and a new one started,
  // open the newest active chat (what an agent's next accepted contact would be).
  const newestActive = chats.find((c) => c.status === "ACTIVE");
  if (newestActive && (!current || (current.status === "ENDED" && newestActive.contactId !== selected))) {
    select(newestActive.contactId);
  }
  $("chats").replaceChildren(...chats.map((chat) => {
    const last = [...chat.items].reverse().find((i) => i.Type !== "EVENT");
    const item = el("li", {class: `${chat.status} ${chat.contactId === selected ? "selected" : ""}`,
                           "data-testid": "chat-item", "data-status": chat.status, "data-contact-id": chat.contactId},
                    chat.customer, el("small", {}, `${chat.status.toLowerCase()} · ${chat.contactId.slice(0, 8)}`),
                    el("small", {class: "preview", "data-testid": "chat-preview"}, last ? preview(last) : ""));
    item.onclick = () => select(chat.contactId);
    return item;
  }));
  const chat = chats.find((c) => c.contactId === selected);
  const active = !!chat && chat.status === "ACTIVE";
  for (const id of ["agent-text", "end-chat", "bot-list", "template-toggle"]) $(id).disabled = !active;
  document.querySelector("[data-testid=agent-send]").disabled = !active;
  if (!active) $("template-form").hidden = true;
  $("chat-title").textContent = chat ? `${chat.customer} · ${chat.status}` : "No chat selected";
  // WhatsApp's 24-hour window for the chat, from the bridge's session and the sandbox's clock.
  const windowState = $("window-state");
  windowState.hidden = !(chat && chat.window);
  if (chat && chat.window) {
    windowState.textContent = `WhatsApp window: ${chat.window.text}`;
    windowState.dataset.state = chat.window.state;
  }
  $("agent-thread").replaceChildren(...(chat ? agentItems(chat.items) : []));
  scrollToNewest($("agent-thread"));
}

// What the chat list shows of a chat's newest item: a line of text, never a message's raw JSON.
function preview(item) {
  if (item.NoteText !== null) return `ℹ️ ${item.NoteText}`;
  if (item.Type === "ATTACHMENT") return (item.Attachments || []).map((a) => `📎 ${a.AttachmentName}`).join(", ");
  let text = item.Content || "";
  if ((item.ContentType || "").endsWith(".interactive")) text = interactiveTitle(item.Content);
  else if (item.ContentType === "text/markdown") text = el("span", {}, ...markdown(text)).textContent;
  return text.replace(/\s+/g, " ").slice(0, 60);
}

// The chat's items: a rehydrated chat's earlier items (sent on the past chat's contact) greyed
// under a "history" divider; the customer's messages read up to the newest one the agent read.
function agentItems(items) {
  const customerMessages = items.filter((i) => i.ParticipantRole === "CUSTOMER" && i.NoteText === null && !i.History);
  const newestRead = customerMessages.findLastIndex((i) => i.Read);
  const readUpTo = new Set(customerMessages.slice(0, newestRead + 1).map((i) => i.Id));
  const nodes = [];
  items.forEach((item, index) => {
    if (item.History && !(items[index - 1] || {}).History) {
      nodes.push(el("li", {class: "history-divider", "data-testid": "history-divider"}, "history · an earlier chat"));
    } else if (!item.History && (items[index - 1] || {}).History) {
      nodes.push(el("li", {class: "history-divider", "data-testid": "history-end"}, "this chat"));
    }
    const node = agentItem(item, readUpTo.has(item.Id));
    if (item.History) node.classList.add("history");
    nodes.push(node);
  });
  return nodes;
}

function agentItem(item, read) {
  if (item.Type === "EVENT") {
    const what = (item.ContentType || "").split(".").slice(-2).join(" ");
    return el("li", {class: "event", "data-testid": "agent-event"}, `${item.DisplayName || ""} ${what}`.trim());
  }
  if (item.NoteText !== null) {
    // The bridge writes as the customer's participant; its prefix marks what it wrote itself.
    return el("li", {class: "bubble note", "data-testid": "agent-note", "data-id": item.Id},
              el("span", {class: "who"}, "ℹ️ WhatsApp bridge"), item.NoteText);
  }
  const bubble = el("li", {class: `bubble ${item.ParticipantRole}`, "data-testid": "agent-message",
                           "data-role": item.ParticipantRole, "data-id": item.Id},
                    el("span", {class: "who"}, item.DisplayName || item.ParticipantRole));
  if (item.Type === "ATTACHMENT") {
    for (const a of item.Attachments || []) bubble.append(mediaNode("agent", a.AttachmentId, a.AttachmentName));
  } else if ((item.ContentType || "").endsWith(".interactive")) {
    bubble.append(templateSummary(item.Content));
  } else if (item.ContentType === "text/markdown") {
    bubble.append(...markdown(item.Content));
  } else {
    bubble.append(item.Content || "");
  }
  if (item.History) return bubble;
  if (item.ParticipantRole === "CUSTOMER") {
    bubble.append(read ? el("span", {class: "receipt", "data-testid": "agent-read-done"}, "read by you")
                       : readButton(item.Id));
  } else if (item.ParticipantRole !== "SYSTEM") {
    // The receipts the customer's WhatsApp statuses became (SendEvent, through the bridge).
    const receipt = item.Read ? "Read" : item.Delivered ? "Delivered" : "";
    if (receipt) bubble.append(el("span", {class: `receipt ${receipt}`, "data-testid": "agent-receipt"}, receipt));
  }
  return bubble;
}

// The agent reads the customer's message: Connect's read receipt, which the bridge turns into
// blue ticks on the phone. It reads every earlier message too, as WhatsApp's read does.
function readButton(messageId) {
  const read = el("button", {type: "button", class: "receipt mark-read", "data-testid": "agent-read"}, "mark read");
  read.onclick = () => guarded(async () => {
    read.disabled = true;
    await api("POST", `/sandbox/api/agent/${selected}/read`, {message_id: messageId});
  });
  return read;
}

// An interactive message's question and options, as the agent's transcript lists them.
function templateSummary(content) {
  const template = interactive(content);
  if (!template) return content || "";
  const body = (template.data || {}).content || {};
  return el("span", {}, `${template.templateType}: ${body.title || ""}`,
            el("ul", {}, ...(body.elements || []).map((option) => el("li", {}, option.title || ""))));
}

function interactiveTitle(content) {
  const template = interactive(content);
  return template ? ((template.data || {}).content || {}).title || template.templateType || "" : content || "";
}

function interactive(content) {
  try {
    return JSON.parse(content);
  } catch (error) {
    return null;
  }
}

// The template picker: the approved templates, one input per body placeholder ({{1}}, {{name}}).
let templates = [];

function drawTemplates(state) {
  const chosen = $("template-select").value;
  templates = state.templates;
  $("template-select").replaceChildren(...templates.map((t, index) =>
    el("option", {value: String(index)}, `${t.name} (${t.language}, ${t.category})`)));
  if (chosen !== "" && Number(chosen) < templates.length) $("template-select").value = chosen;  // keep the choice
  drawTemplateParameters();
}

function drawTemplateParameters() {
  const template = templates[Number($("template-select").value)];
  $("template-parameters").replaceChildren(...(template ? template.parameters : []).map((name) =>
    el("input", {"data-testid": "template-parameter", placeholder: `{{${name}}}`, autocomplete: "off"})));
}

function drawCalls(state) {
  const order = ["on_whatsapp_event", "flush_buffer", "on_connect_event", "retry_waiting", "on_transcription_job"];
  const hops = Object.keys(state.calls).sort((a, b) => (order.indexOf(a) + 1 || 99) - (order.indexOf(b) + 1 || 99));
  $("calls").replaceChildren(...(hops.length ? hops : ["(none yet)"]).map((hop) => {
    const calls = state.calls[hop] || [];
    // Each call's time is the sandbox's, in UTC, as the header's clock.
    return el("div", {class: "hop", "data-testid": "hop", "data-hop": hop}, el("h3", {}, hop),
      el("ol", {}, ...calls.map((c) => el("li", {class: c.error ? "err" : "", title: c.summary},
        el("time", {"data-testid": "call-time"}, c.timeText),
        el("span", {class: "op"}, `${c.service}.`, el("wbr"), c.operation),
        el("span", {class: "result"}, c.error || String(c.status || "…"))))));
  }));
}

// The bridge's metrics as its EMF lines add up: each direction's messages and latest latencies,
// then the other counts.
const METRIC_TILES = [
  ["InboundMessages", "Customer → agent", "InboundLatency"],
  ["OutboundMessages", "Agent → customer", "OutboundLatency"],
  ["ChatsStarted", "Chats started"],
  ["WaitingConversations", "Waiting conversations"],
  ["DeliveryFailures", "Delivery failures"],
  ["WindowClosedRefusals", "Closed-window refusals"],
  ["TemplatesSent", "Templates sent"],
];

function drawMetrics(state) {
  const live = state.metrics;
  $("metrics").replaceChildren(...METRIC_TILES.map(([name, label, latencyName]) => {
    const tile = el("div", {class: "metric", "data-testid": "metric", "data-metric": name},
                    el("span", {class: "metric-label"}, label),
                    el("strong", {"data-testid": "metric-value"}, String(live.totals[name] ?? 0)));
    if (latencyName) {
      const latency = live.latencies[latencyName];
      tile.append(el("small", {"data-testid": "metric-latency", "data-metric": latencyName},
        latency.last.length
          ? `latest ${milliseconds(latency.last.at(-1))} · median ${milliseconds(latency.median)} of the last ${latency.last.length}`
          : "no latency yet"));
    }
    return tile;
  }));
}

function milliseconds(value) {
  return value >= 1000 ? `${(value / 1000).toFixed(1)} s` : `${Math.round(value)} ms`;
}

// The emulated Connect's capacity: chats in use against the twin's concurrent chats limit.
function drawCapacity(state) {
  const capacity = state.capacity;
  for (const id of ["capacity-limit", "capacity-off", "capacity-fill"]) $(id).disabled = !capacity;
  $("capacity-form").querySelector("button").disabled = !capacity;
  $("capacity-unavailable").hidden = Boolean(capacity);
  $("capacity-text").textContent = capacity ? capacity.text : "no twin";
  $("capacity-text").dataset.full = capacity ? String(capacity.full) : "false";
  // What is set shows as the input's placeholder; what the user is typing stays.
  $("capacity-limit").placeholder = capacity && capacity.limit !== null ? String(capacity.limit) : "no limit";
}

// The conversations waiting for a chat, oldest first (the bridge's WaitingIndex).
function drawWaiting(state) {
  const rows = state.waiting;
  $("waiting-count").textContent = rows.length ? `${rows.length} waiting` : "";
  $("waiting-empty").hidden = rows.length > 0;
  const schedule = state.schedule;
  $("waiting-schedule").textContent = schedule.running
    ? `retry_waiting runs each minute; next ${schedule.nextText || "within a minute"}`
      + (schedule.error ? ` (last run failed: ${schedule.error})` : "")
    : "no schedule here: retry_waiting runs only from Retry now";
  $("waiting-rows").replaceChildren(...rows.map((row) => el("tr",
    {"data-testid": "waiting-row", "data-reason": row.reason, "data-busy": String(row.busyToldAt !== null)},
    el("td", {}, row.customer, el("small", {}, row.number)),
    el("td", {}, row.reasonText),
    el("td", {}, row.sinceText, el("small", {}, `for ${row.waitedText}`)),
    el("td", {"data-testid": "waiting-attempts"}, String(row.attempts)),
    el("td", {class: row.due ? "due" : ""}, row.nextAttemptText, el("small", {}, row.dueText)),
    el("td", {}, row.busyText))));
}

function drawOnce(section, value, draw, state) {
  const json = JSON.stringify(value);
  if (lastRendered[section] === json) return;
  lastRendered[section] = json;
  draw(state);
}

async function refresh() {
  try {
    const state = await api("GET", "/sandbox/api/state");
    $("status").textContent = (state.twin ? "against the local twin" : "against a real AWS account")
      + (state.poller.running ? " · stream poller on" : " · no stream poller")
      + (state.poller.error ? ` · ${state.poller.error}` : "")
      + (state.schedule.running ? " · retry_waiting each minute" : "");
    drawOnce("phone", [state.phone, state.customer, state.typing], drawPhone, state);
    reportStatuses(state);
    $("sandbox-clock").textContent = state.clock.text;
    drawOnce("chats", [state.chats, selected], drawChats, state);
    drawOnce("templates", state.templates, drawTemplates, state);
    drawOnce("capacity", state.capacity, drawCapacity, state);
    drawOnce("waiting", [state.waiting, state.schedule], drawWaiting, state);
    drawOnce("calls", state.calls, drawCalls, state);
    drawOnce("metrics", state.metrics, drawMetrics, state);
  } catch (error) {
    $("status").textContent = `not answering: ${error.message}`;
  }
}

async function select(contactId) {
  selected = contactId;
  lastRendered.chats = null;
  await api("POST", `/sandbox/api/agent/${contactId}/join`).catch(() => {});
}

async function guarded(action) {
  try { await action(); } catch (error) { alert(error.message); }
  refresh();
}

$("phone-form").onsubmit = (event) => {
  event.preventDefault();
  const text = $("phone-text").value;
  if (!text.trim()) return;
  $("phone-text").value = "";
  guarded(() => api("POST", "/sandbox/api/phone/send", {text}));
};
$("phone-file").onchange = async (event) => {
  const file = event.target.files[0];
  event.target.value = "";
  if (!file) return;
  const upload = await readFile(file);
  const caption = $("phone-text").value;
  $("phone-text").value = "";
  guarded(() => api("POST", "/sandbox/api/phone/send",
                    {file: upload, text: caption, transcript: $("phone-transcript").value}));
};
$("agent-form").onsubmit = (event) => {
  event.preventDefault();
  const text = $("agent-text").value;
  if (!text.trim() || !selected) return;
  $("agent-text").value = "";
  lastTypingSent = 0;
  guarded(() => api("POST", `/sandbox/api/agent/${selected}/message`, {text}));
};
$("agent-file").onchange = async (event) => {
  const file = event.target.files[0];
  event.target.value = "";
  if (!file || !selected) return;
  const upload = await readFile(file);
  guarded(() => api("POST", `/sandbox/api/agent/${selected}/attachment`, {file: upload}));
};
$("agent-text").onkeydown = (event) => {
  // Enter sends; Shift+Enter (or Enter while an input method composes) stays in the text.
  if (event.key !== "Enter" || event.shiftKey || event.isComposing) return;
  event.preventDefault();
  $("agent-form").requestSubmit();
};
$("agent-text").oninput = () => {
  // Connect streams the agent's typing; how often WhatsApp hears of it is the bridge's decision.
  if (!selected || !$("agent-text").value.trim() || Date.now() - lastTypingSent < TYPING_EVERY_MS) return;
  lastTypingSent = Date.now();
  api("POST", `/sandbox/api/agent/${selected}/typing`).catch(() => {});
};
$("template-toggle").onclick = () => { $("template-form").hidden = !$("template-form").hidden; };
$("template-select").onchange = drawTemplateParameters;
$("template-form").onsubmit = (event) => {
  event.preventDefault();
  const template = templates[Number($("template-select").value)];
  if (!template || !selected) return;
  const parameters = [...$("template-parameters").querySelectorAll("input")].map((input) => input.value);
  $("template-form").hidden = true;
  guarded(() => api("POST", `/sandbox/api/agent/${selected}/template`,
                    {name: template.name, language: template.language, parameters}));
};
$("clock-advance").onclick = () => guarded(() => api("POST", "/sandbox/api/clock", {seconds: 24 * 3600}));
$("bot-list").onclick = () => selected && guarded(() => api("POST", `/sandbox/api/agent/${selected}/bot-listpicker`));
$("end-chat").onclick = () => selected && guarded(() => api("POST", `/sandbox/api/agent/${selected}/end`));
$("sheet-close").onclick = () => { $("phone-sheet").hidden = true; };
$("capacity-form").onsubmit = (event) => {
  event.preventDefault();
  const typed = $("capacity-limit").value.trim();
  $("capacity-limit").value = "";
  guarded(() => api("POST", "/sandbox/api/capacity", {limit: typed === "" ? null : Number(typed)}));
};
$("capacity-off").onclick = () => guarded(() => api("POST", "/sandbox/api/capacity", {limit: null}));
$("capacity-fill").onclick = () => guarded(() => api("POST", "/sandbox/api/capacity/fill"));
$("retry-now").onclick = () => guarded(async () => {
  $("retry-result").textContent = "retrying…";
  const answer = await api("POST", "/sandbox/api/waiting/retry").catch((error) => {
    $("retry-result").textContent = "";
    throw error;
  });
  $("retry-result").textContent = `Retry now: ${answer.result.retried} of ${answer.result.waiting} retried`
    + (answer.movedSeconds ? `; the sandbox's time moved ${answer.movedSeconds} s, to the first next attempt` : "");
});
document.addEventListener("visibilitychange", refresh);

refresh();
setInterval(refresh, 700);
