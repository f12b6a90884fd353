// VividCrowd customer-service page: plain JS, no build step.
"use strict";

const $ = (id) => document.getElementById(id);
const bandLabels = {
  high_confidence: "high", mid_confidence: "mid", low_confidence: "low", no_match: "no match",
};

const cs = { socket: null, sessionId: null, streaming: null, queue: [] };

function addMessage(role, text, extraClass) {
  const item = document.createElement("li");
  item.className = `msg ${role}` + (extraClass ? ` ${extraClass}` : "");
  item.textContent = text;
  $("cs-messages").appendChild(item);
  item.scrollIntoView({ block: "end" });
  return item;
}

function describe(frame) {
  const meta = document.createElement("span");
  meta.className = "meta";
  const badge = document.createElement("span");
  badge.className = `badge ${frame.transfer_to_human ? "handoff" : frame.match_type}`;
  badge.textContent = frame.transfer_to_human ? "handoff" : bandLabels[frame.match_type] || frame.match_type;
  meta.appendChild(badge);
  const parts = [`confidence ${Number(frame.confidence).toFixed(2)}`];
  if (frame.matched) parts.push(`topic: ${frame.matched.topic}`);
  if (frame.llm_used) parts.push("rewritten by the LLM");
  if (frame.suggestions && frame.suggestions.length) parts.push(`did you mean: ${frame.suggestions.join(" / ")}`);
  parts.push(`${Number(frame.latency_ms).toFixed(0)} ms`);
  meta.appendChild(document.createTextNode(parts.join(" · ")));
  return meta;
}

function onFrame(frame) {
  switch (frame.type) {
    case "session_created":
      cs.sessionId = frame.session_id;
      $("cs-session").textContent = frame.session_id;
      break;
    case "stream_start":
      cs.streaming = addMessage("assistant", "", "streaming");
      break;
    case "stream_chunk":
      if (!cs.streaming) cs.streaming = addMessage("assistant", "", "streaming");
      cs.streaming.textContent += frame.content;
      cs.streaming.scrollIntoView({ block: "end" });
      break;
    case "stream_end":
      break;
    case "handoff":
      $("cs-handoff").hidden = false;
      $("cs-handoff").textContent = `Handed to a human (${frame.reason}, ${frame.state}): a person will continue this conversation.`;
      break;
    case "response": {
      const item = cs.streaming || addMessage("assistant", "");
      cs.streaming = null;
      item.classList.remove("streaming");
      item.textContent = frame.content;
      item.dataset.band = frame.match_type;
      item.dataset.confidence = frame.confidence;
      item.appendChild(describe(frame));
      refreshStats();
      break;
    }
    case "error":
      cs.streaming = null;
      addMessage("assistant", `⚠ ${frame.content}`, "error");
      break;
  }
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const query = cs.sessionId ? `?session_id=${encodeURIComponent(cs.sessionId)}` : "";
  const socket = new WebSocket(`${scheme}://${location.host}/api/customer-service/ws${query}`);
  cs.socket = socket;
  socket.onopen = () => {
    $("cs-status").textContent = "online";
    $("cs-status").classList.add("online");
    while (cs.queue.length) socket.send(cs.queue.shift());
  };
  socket.onmessage = (event) => onFrame(JSON.parse(event.data));
  socket.onclose = () => {
    $("cs-status").textContent = "offline — reconnecting";
    $("cs-status").classList.remove("online");
    setTimeout(connect, 1500);
  };
}

function send(text) {
  const payload = JSON.stringify({ message: text });
  if (cs.socket && cs.socket.readyState === WebSocket.OPEN) cs.socket.send(payload);
  else cs.queue.push(payload);
}

$("cs-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const text = $("cs-input").value.trim();
  if (!text) return;
  addMessage("user", text);
  $("cs-input").value = "";
  send(text);
});

document.querySelectorAll("#cs-rating button").forEach((button) => {
  button.addEventListener("click", async () => {
    if (!cs.sessionId) return;
    const rating = Number(button.dataset.rating);
    const response = await fetch(`/api/customer-service/session/${cs.sessionId}/rating`, {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ rating }),
    });
    const body = await response.json();
    document.querySelectorAll("#cs-rating button").forEach((b) => b.classList.toggle("chosen", b === button));
    $("cs-rating-result").textContent = response.ok ? `rated ${body.user_rating}/5` : body.detail;
    refreshStats();
  });
});

$("csv-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const file = $("csv-file").files[0];
  if (!file) { $("upload-result").textContent = "choose a CSV file first"; return; }
  const form = new FormData();
  form.append("file", file);
  const headers = {};
  const token = $("admin-token").value;
  if (token) headers.Authorization = `Bearer ${token}`;
  $("upload-result").textContent = "importing…";
  const response = await fetch("/api/customer-service/qa/import", { method: "POST", body: form, headers });
  const body = await response.json();
  $("upload-result").textContent = response.ok ? body.message : `rejected: ${body.detail}`;
  refreshStats();
});

async function refreshStats() {
  try {
    const [stats, count] = await Promise.all([
      fetch("/api/customer-service/stats").then((r) => r.json()),
      fetch("/api/customer-service/qa/count").then((r) => r.json()),
    ]);
    $("kb-count").textContent = count.count;
    $("stat-sessions").textContent = stats.total_sessions;
    $("stat-messages").textContent = stats.total_messages;
    $("stat-confidence").textContent = Number(stats.avg_confidence).toFixed(2);
    $("stat-transfer").textContent = `${Number(stats.transfer_rate).toFixed(1)}%`;
    $("stat-rating").textContent = stats.average_rating == null ? "–" : Number(stats.average_rating).toFixed(1);
    const rows = Object.entries(stats.match_type_distribution)
      .map(([band, n]) => `<tr><td>${bandLabels[band] || band}</td><td data-band="${band}">${n}</td></tr>`);
    $("stat-bands").innerHTML = rows.join("");
  } catch (error) {
    console.warn("stats unavailable", error);
  }
}

connect();
refreshStats();
setInterval(refreshStats, 10000);

// ---- Group chat ----
const gc = { socket: null, agents: [], drafts: {}, queue: [] };
const colors = ["#6b7bd6", "#d66b9a", "#3c9b78", "#d6913c", "#8a5bd6", "#3c86d6"];

function addLine(sender, text, role) {
  const item = document.createElement("li");
  item.className = `msg ${role}`;
  if (role === "assistant") {
    const name = document.createElement("span");
    name.className = "sender";
    name.textContent = sender;
    item.appendChild(name);
    item.dataset.sender = sender;
  }
  item.appendChild(document.createTextNode(text));
  $("gc-messages").appendChild(item);
  item.scrollIntoView({ block: "end" });
}

function onChatFrame(frame) {
  switch (frame.type) {
    case "typing": $("gc-typing").textContent = `${frame.sender} is typing…`; break;
    case "stream_start": gc.drafts[frame.sender] = ""; break;
    case "stream_chunk": gc.drafts[frame.sender] = (gc.drafts[frame.sender] || "") + frame.content; break;
    case "stream_end":
      // Messages appear whole, as a person's would.
      $("gc-typing").textContent = "";
      addLine(frame.sender, (gc.drafts[frame.sender] || "").trim(), "assistant");
      delete gc.drafts[frame.sender];
      break;
    case "round_end":
      $("gc-route").textContent = `last message routed by: ${frame.path}` + (frame.notes.length ? ` (${frame.notes.join("; ")})` : "");
      break;
    case "error": addLine("", `⚠ ${frame.content}`, "assistant error"); break;
  }
}

function connectChat() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const socket = new WebSocket(`${scheme}://${location.host}/api/chat/ws`);
  gc.socket = socket;
  socket.onopen = () => {
    $("gc-status").textContent = "online";
    $("gc-status").classList.add("online");
    while (gc.queue.length) socket.send(gc.queue.shift());
  };
  socket.onmessage = (event) => onChatFrame(JSON.parse(event.data));
  socket.onclose = () => {
    $("gc-status").textContent = "offline — reconnecting";
    $("gc-status").classList.remove("online");
    setTimeout(connectChat, 1500);
  };
}

async function loadAgents() {
  gc.agents = await fetch("/api/chat/agents").then((r) => r.json());
  $("gc-agents").innerHTML = "";
  gc.agents.forEach((agent, index) => {
    const item = document.createElement("li");
    item.dataset.agent = agent.id;
    item.title = `@mention ${agent.name}`;
    item.innerHTML = `<span class="avatar"></span><span></span>`;
    // Set through the DOM, not a style attribute: the content security policy allows no inline styles.
    item.querySelector(".avatar").style.background = colors[index % colors.length];
    item.querySelector(".avatar").textContent = agent.name.slice(0, 1);
    item.lastChild.textContent = `${agent.name}${agent.occupation ? " · " + agent.occupation : ""}`;
    item.addEventListener("click", () => {
      $("gc-input").value = `@${agent.name} ` + $("gc-input").value.replace(/^@\S+\s*/, "");
      $("gc-input").focus();
    });
    $("gc-agents").appendChild(item);
  });
}

$("gc-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const text = $("gc-input").value.trim();
  if (!text) return;
  addLine("you", text, "user");
  $("gc-input").value = "";
  if (gc.socket && gc.socket.readyState === WebSocket.OPEN) gc.socket.send(text);
  else gc.queue.push(text);
});

function showView() {
  const view = location.hash === "#group-chat" ? "group-chat" : "customer-service";
  document.querySelectorAll(".view").forEach((element) => { element.hidden = element.id !== view; });
  document.querySelectorAll("nav a").forEach((link) => link.classList.toggle("active", link.id === `tab-${view}`));
  if (view === "group-chat" && !gc.socket) { loadAgents(); connectChat(); }
}
window.addEventListener("hashchange", showView);
showView();
