// The chat page: Rasa's socket.io channel, history kept in localStorage, quick replies,
// a typing indicator, a clear state while the assistant is unreachable (messages typed
// meanwhile wait and are sent when it is back) and the optional "why" panel.
"use strict";

const STORAGE_KEY = "brightcart-chat";
const SLOW_REPLY_MS = 20000;
const $ = (id) => document.getElementById(id);

let config = { rasa_port: 5005, why: false };
let state = load();
let socket = null;
let confirmed = false; // the Rasa server confirmed our session on the current connection
let everConnected = false;
let slowTimer = null;

function load() {
  try {
    const saved = JSON.parse(localStorage.getItem(STORAGE_KEY));
    if (saved && saved.sessionId && Array.isArray(saved.messages)
        && (!saved.customer || saved.customer.metadata)) return saved;
  } catch (_) { /* a damaged entry (or one of an older page) is a fresh start */ }
  return null;
}

function save() {
  if (state) localStorage.setItem(STORAGE_KEY, JSON.stringify(state));
  else localStorage.removeItem(STORAGE_KEY);
}

async function getJson(url, options) {
  const response = await fetch(url, options);
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    const problem = body.error ? `${body.error.field}: ${body.error.problem}` : response.statusText;
    throw new Error(problem);
  }
  return body;
}

// ---- sign-in -------------------------------------------------------------------------

function renderCustomers(customers) {
  const list = $("customer-list");
  for (const customer of customers) {
    const label = document.createElement("label");
    const input = document.createElement("input");
    input.type = "radio";
    input.name = "customer";
    input.value = customer.id;
    const why = document.createElement("span");
    why.className = "why";
    why.textContent = customer.why;
    label.append(input, ` ${customer.name} `, why);
    label.dataset.name = customer.name;
    label.dataset.why = customer.why;
    list.append(label);
  }
}

async function signIn(event) {
  event.preventDefault();
  const error = $("sign-in-error");
  error.hidden = true;
  const chosen = document.querySelector("input[name=customer]:checked");
  const customerId = chosen && chosen.value ? chosen.value : null;
  let session;
  try {
    // the website starts the chat session and signs who is signed in for it
    session = await getJson("/api/session", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ customer_id: customerId }),
    });
  } catch (problem) {
    error.textContent = `Signing in did not work (${problem.message}). Try again.`;
    error.hidden = false;
    return;
  }
  let customer = null;
  if (customerId) {
    const label = chosen.closest("label");
    customer = { id: customerId, metadata: session.metadata,
                 name: label.dataset.name, why: label.dataset.why };
  }
  state = { sessionId: session.session_id, customer, messages: [] };
  save();
  openChat();
}

function changeCustomer() {
  if (socket) socket.disconnect();
  if (state) { // signed out on the website too: this session is never signed again
    fetch("/api/session/end", { method: "POST", headers: { "Content-Type": "application/json" },
                                body: JSON.stringify({ session_id: state.sessionId }) })
      .catch(() => {});
  }
  socket = null;
  state = null;
  save();
  $("messages").replaceChildren();
  $("chat").hidden = true;
  $("sign-in").hidden = false;
  document.querySelector("input[name=customer]").focus();
}

// ---- the conversation ----------------------------------------------------------------

function openChat() {
  $("sign-in").hidden = true;
  $("chat").hidden = false;
  $("who").textContent = state.customer
    ? `Signed in as ${state.customer.name} (${state.customer.why})`
    : "Not signed in: an anonymous visitor";
  $("why").hidden = !config.why;
  const list = $("messages");
  list.replaceChildren(...state.messages.map(renderMessage));
  list.scrollTop = list.scrollHeight;
  connect();
  $("message").focus();
}

function renderMessage(message) {
  const item = document.createElement("li");
  item.className = message.from === "me" ? "me" : "bot";
  if (message.pending) item.classList.add("pending");
  const who = document.createElement("span");
  who.className = "visually-hidden";
  who.textContent = message.from === "me" ? "You said:" : "Assistant:";
  const bubble = document.createElement("span");
  bubble.className = "bubble";
  bubble.textContent = message.text;
  item.append(who, bubble);
  if (message.pending) {
    const note = document.createElement("span");
    note.className = "pending-note";
    note.textContent = "not sent yet: waiting for the assistant";
    item.append(note);
  }
  if (message.buttons && message.buttons.length) {
    const group = document.createElement("div");
    group.className = "quick-replies";
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", "Quick replies");
    for (const button of message.buttons) {
      const element = document.createElement("button");
      element.type = "button";
      element.textContent = button.title;
      element.disabled = Boolean(message.answered);
      element.addEventListener("click", () => send(button.title, button.payload));
      group.append(element);
    }
    item.append(group);
  }
  return item;
}

function rerender() {
  const list = $("messages");
  list.replaceChildren(...state.messages.map(renderMessage));
  list.scrollTop = list.scrollHeight;
}

function addMessage(message) {
  state.messages.push(message);
  save();
  const list = $("messages");
  list.append(renderMessage(message));
  list.scrollTop = list.scrollHeight;
}

const RENEW_BEFORE_S = 120; // a signature about to expire is renewed before a message

async function signedMetadata() {
  const customer = state.customer;
  if (!customer) return {};
  if (customer.metadata.signature_expires - Date.now() / 1000 < RENEW_BEFORE_S) {
    try {
      const renewed = await getJson("/api/session/renew", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ session_id: state.sessionId }),
      });
      customer.metadata = renewed.metadata;
      save();
    } catch (problem) {
      setStatus(`Your sign-in could not be renewed (${problem.message}): the assistant sees ` +
                "an anonymous visitor until you sign in again.", "down");
      return {};
    }
  }
  return customer.metadata;
}

let sending = Promise.resolve(); // messages go out in the order they were typed

function emit(message) {
  sending = sending.then(async () => {
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    const metadata = { ...(zone ? { timezone: zone } : {}), ...(await signedMetadata()) };
    socket.emit("user_uttered", {
      message: message.payload || message.text,
      session_id: state.sessionId,
      metadata,
    });
    showTyping(true);
  });
}

function send(text, payload) {
  // quick replies answer the latest question only: earlier ones no longer apply
  const stale = state.messages.filter((m) => m.buttons && m.buttons.length && !m.answered);
  stale.forEach((m) => { m.answered = true; });
  const message = { from: "me", text, payload: payload || null, pending: !confirmed };
  if (stale.length) rerender();
  addMessage(message);
  if (confirmed) emit(message);
}

function flushPending() {
  const waiting = state.messages.filter((m) => m.pending);
  if (!waiting.length) return;
  for (const message of waiting) {
    message.pending = false;
    emit(message);
  }
  save();
  rerender();
}

function receive(reply) {
  showTyping(false);
  const buttons = (reply.quick_replies || reply.buttons || [])
    .filter((b) => b && b.title && b.payload)
    .map((b) => ({ title: b.title, payload: b.payload }));
  let text = reply.text || "";
  if (!text && reply.attachment) text = "[an attachment this page cannot show]";
  if (!text && !buttons.length) return;
  addMessage({ from: "bot", text, buttons });
  refreshWhy();
}

function showTyping(on) {
  $("typing").hidden = !on;
  clearTimeout(slowTimer);
  if (on) {
    slowTimer = setTimeout(() => {
      $("typing").hidden = true;
      setStatus("The assistant is taking longer than usual to answer. Please wait a moment.",
                "down");
    }, SLOW_REPLY_MS);
  }
}

function setStatus(text, kind) {
  const status = $("status");
  status.textContent = text;
  status.className = `status ${kind || ""}`;
}

function unreachable() {
  confirmed = false;
  showTyping(false);
  setStatus("The assistant can't be reached right now. Trying again… Messages you send " +
            "meanwhile are kept and sent when it is back.", "down");
  $("composer").dataset.state = "offline";
}

function connect() {
  if (socket) socket.disconnect();
  confirmed = false;
  const url = `${location.protocol}//${location.hostname}:${config.rasa_port}`;
  setStatus("Connecting to the assistant…");
  socket = io(url, { transports: ["websocket"], reconnectionDelayMax: 3000 });
  socket.on("connect", () => socket.emit("session_request", { session_id: state.sessionId }));
  socket.on("session_confirm", () => {
    confirmed = true;
    $("composer").dataset.state = "online";
    setStatus(everConnected ? "Connected again." : "Connected.", "up");
    everConnected = true;
    flushPending();
  });
  socket.on("bot_uttered", receive);
  socket.on("disconnect", unreachable);
  socket.on("connect_error", unreachable);
}

// ---- the "why" panel -----------------------------------------------------------------

let whyTimer = null;

function refreshWhy() {
  if (!config.why) return;
  clearTimeout(whyTimer);
  whyTimer = setTimeout(async () => {
    const body = $("why-body");
    try {
      const why = await getJson(`/api/why/${encodeURIComponent(state.sessionId)}`);
      body.replaceChildren(renderWhy(why));
    } catch (problem) {
      const p = document.createElement("p");
      p.className = "error";
      p.textContent = `The explanation is not available: ${problem.message}`;
      body.replaceChildren(p);
    }
  }, 400);
}

function renderWhy(why) {
  const fragment = document.createDocumentFragment();
  const facts = document.createElement("dl");
  const show = (value) => (value === null || value === undefined || value === "" ? "–" : String(value));
  const intent = why.intent && why.intent.name
    ? `${why.intent.name} (${Math.round((why.intent.confidence || 0) * 100)}%)` : "–";
  const rows = [["Intent", intent], ...Object.entries(why.slots).map(([k, v]) => [k.replace(/_/g, " "), show(v)])];
  for (const [name, value] of rows) {
    const dt = document.createElement("dt");
    dt.textContent = name;
    const dd = document.createElement("dd");
    dd.textContent = value;
    facts.append(dt, dd);
  }
  fragment.append(facts);
  const heading = document.createElement("p");
  heading.textContent = "Rules and models behind the decision:";
  const list = document.createElement("ul");
  list.className = "explanation";
  for (const line of why.explanation) {
    const item = document.createElement("li");
    item.textContent = line;
    list.append(item);
  }
  fragment.append(heading, list);
  return fragment;
}

// ---- start ---------------------------------------------------------------------------

async function start() {
  $("sign-in-form").addEventListener("submit", signIn);
  $("change-customer").addEventListener("click", changeCustomer);
  $("composer").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = $("message");
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    send(text);
    input.focus();
  });
  try {
    config = await getJson("/api/config");
    renderCustomers((await getJson("/api/customers")).customers);
  } catch (problem) {
    const error = $("sign-in-error");
    error.textContent = `The demo site could not load its customers (${problem.message}).`;
    error.hidden = false;
  }
  if (state) openChat();
}

start();
