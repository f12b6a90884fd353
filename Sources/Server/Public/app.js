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
