// The sandbox page: polls /sandbox/api/state and renders the phone, the agent console and the
// AWS calls per hop. No framework and no build step on purpose: it is read more than changed.
"use strict";

const $ = (id) => document.getElementById(id);
let selected = null;          // the contact id open in the agent console
let lastRendered = {};        // section -> JSON last drawn, so unchanged sections are not redrawn
const mediaUrls = new Map();  // "phone:<media id>" or "agent:<attachment id>" -> Promise<{mime, url}>

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

// A file in a bubble: images and audio play inline, anything else is a download link.
function mediaNode(source, id, name) {
  const holder = el("span", {}, `📎 ${name || "file"}`);
  mediaUrl(source, id).then(({mime, url}) => {
    let node;
    if (mime.startsWith("image/")) node = el("img", {src: url, alt: name || "image"});
    else if (mime.startsWith("audio/")) node = el("audio", {src: url, controls: ""});
    else node = el("a", {href: url, download: name || "file"}, `📎 ${name || "file"}`);
    holder.replaceWith(node);
  }).catch(() => { holder.textContent = `📎 ${name || "file"} (unavailable)`; });
  return holder;
}

function drawPhone(state) {
  $("phone-title").textContent = `Business +${state.customer.business}`;
  $("phone-customer").textContent = `you are ${state.customer.name} (+${state.customer.wa_id})`;
  const thread = $("phone-thread");
  thread.replaceChildren(...state.phone.map((item) => {
    const mine = item.from === "customer";
    const bubble = el("li", {class: `bubble ${mine ? "mine" : "theirs"}`, "data-testid": "phone-message",
                             "data-from": item.from, "data-kind": item.kind});
    if (item.media_id) {
      bubble.append(mediaNode("phone", item.media_id, item.filename || item.kind));
      if (item.text) bubble.append(el("div", {}, item.text));
    } else {
      bubble.append(item.text || "");
    }
    if (mine) bubble.append(el("span", {class: `ticks ${item.read ? "read" : ""}`}, item.read ? "✓✓" : "✓"));
    if (item.reaction) bubble.append(el("span", {class: "reaction"}, item.reaction));
    return bubble;
  }));
  thread.scrollTop = thread.scrollHeight;
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
    const last = [...chat.items].reverse().find((i) => i.Type === "MESSAGE");
    const item = el("li", {class: `${chat.status} ${chat.contactId === selected ? "selected" : ""}`,
                           "data-testid": "chat-item", "data-status": chat.status, "data-contact-id": chat.contactId},
                    chat.customer, el("small", {}, `${chat.status.toLowerCase()} · ${chat.contactId.slice(0, 8)}`),
                    el("small", {}, last ? last.Content.slice(0, 40) : ""));
    item.onclick = () => select(chat.contactId);
    return item;
  }));
  const chat = chats.find((c) => c.contactId === selected);
  const active = !!chat && chat.status === "ACTIVE";
  for (const id of ["agent-text", "end-chat"]) $(id).disabled = !active;
  document.querySelector("[data-testid=agent-send]").disabled = !active;
  $("chat-title").textContent = chat ? `${chat.customer} · ${chat.status}` : "No chat selected";
  $("agent-thread").replaceChildren(...(chat ? chat.items.map(agentItem) : []));
  $("agent-thread").scrollTop = $("agent-thread").scrollHeight;
}

function agentItem(item) {
  if (item.Type === "EVENT") {
    const what = (item.ContentType || "").split(".").slice(-2).join(" ");
    return el("li", {class: "event", "data-testid": "agent-event"}, `${item.DisplayName || ""} ${what}`.trim());
  }
  const bubble = el("li", {class: `bubble ${item.ParticipantRole}`, "data-testid": "agent-message",
                           "data-role": item.ParticipantRole},
                    el("span", {class: "who"}, item.DisplayName || item.ParticipantRole));
  if (item.Type === "ATTACHMENT") {
    for (const a of item.Attachments || []) bubble.append(mediaNode("agent", a.AttachmentId, a.AttachmentName));
  } else {
    bubble.append(item.Content || "");
  }
  return bubble;
}

function drawCalls(state) {
  const order = ["on_whatsapp_event", "flush_buffer", "on_connect_event", "on_transcription_job"];
  const hops = Object.keys(state.calls).sort((a, b) => (order.indexOf(a) + 1 || 99) - (order.indexOf(b) + 1 || 99));
  $("calls").replaceChildren(...(hops.length ? hops : ["(none yet)"]).map((hop) => {
    const calls = state.calls[hop] || [];
    return el("div", {class: "hop", "data-testid": "hop", "data-hop": hop}, el("h3", {}, hop),
      el("ol", {}, ...calls.map((c) => el("li", {class: c.error ? "err" : "", title: c.summary},
        `${new Date(c.time * 1000).toLocaleTimeString()} ${c.service}.${c.operation} `,
        el("span", {}, c.error || String(c.status || "…"))))));
  }));
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
      + (state.poller.error ? ` · ${state.poller.error}` : "");
    drawOnce("phone", [state.phone, state.customer], drawPhone, state);
    drawOnce("chats", [state.chats, selected], drawChats, state);
    drawOnce("calls", state.calls, drawCalls, state);
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
  guarded(() => api("POST", `/sandbox/api/agent/${selected}/message`, {text}));
};
$("agent-file").onchange = async (event) => {
  const file = event.target.files[0];
  event.target.value = "";
  if (!file || !selected) return;
  const upload = await readFile(file);
  guarded(() => api("POST", `/sandbox/api/agent/${selected}/attachment`, {file: upload}));
};
$("end-chat").onclick = () => selected && guarded(() => api("POST", `/sandbox/api/agent/${selected}/end`));

refresh();
setInterval(refresh, 700);
