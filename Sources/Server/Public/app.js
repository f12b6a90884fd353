// VividCrowd customer-service page: plain JS, no build step.
"use strict";

const $ = (id) => document.getElementById(id);
const bandLabels = {
  high_confidence: "high", mid_confidence: "mid", low_confidence: "low", no_match: "no match",
};

const cs = { socket: null, sessionId: null, streaming: null, queue: [] };
// The offline demo (GET /api/demo): a banner, and the recorded messages offered under each view's composer.
const demo = { on: false, questions: {} };

/// How an error frame reads: the demo's "not recorded" answer is guidance, not a failure.
function errorView(frame) {
  return frame.code === "not_recorded" && demo.on
    ? { text: frame.content, className: "demo-note" }
    : { text: `⚠ ${frame.content}`, className: "error" };
}

async function loadDemo() {
  let description;
  try { description = await fetch("/api/demo").then((r) => r.json()); } catch (error) { return; }
  if (!description.demo) return;
  demo.on = true;
  demo.questions = description.questions || {};
  $("demo-banner").textContent = description.banner;
  $("demo-banner").hidden = false;
  const views = { cs: "customer_service", gc: "group_chat", tw: "twins", tr: "training" };
  Object.entries(views).forEach(([prefix, mode]) => {
    const tries = demo.questions[mode] || [];
    const box = $(`${prefix}-tries`);
    if (!box || !tries.length) return;
    box.textContent = "Recorded: ";
    tries.forEach((question) => {
      const chip = document.createElement("button");
      chip.type = "button";
      chip.className = "try";
      chip.textContent = question;
      chip.addEventListener("click", () => { $(`${prefix}-input`).value = question; $(`${prefix}-input`).focus(); });
      box.appendChild(chip);
    });
    box.hidden = false;
  });
}

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
    case "error": {
      cs.streaming = null;
      const view = errorView(frame);
      addMessage("assistant", view.text, view.className);
      break;
    }
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
  showImportWarnings(response.ok ? body.warnings || [] : [], body.warning_count || 0);
  refreshStats();
});

// The knowledge-base check's findings, one line each, built as text nodes (topic names come from the upload).
function showImportWarnings(warnings, total) {
  const list = $("upload-warnings");
  list.replaceChildren();
  list.hidden = warnings.length === 0;
  for (const warning of warnings) {
    const item = document.createElement("li");
    item.dataset.kind = warning.kind;
    item.textContent = warning.message;
    list.append(item);
  }
  if (total > warnings.length) {
    const more = document.createElement("li");
    more.textContent = `… and ${total - warnings.length} more (vividcrowd-server check-kb lists them all)`;
    list.append(more);
  }
}

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
    case "error": { const view = errorView(frame); addLine("", view.text, `assistant ${view.className}`); break; }
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

// ---- Digital twins ----
const tw = { socket: null, twins: [], selected: [], drafts: {}, queue: [] };

function twinLine(sender, text, role) {
  const item = document.createElement("li");
  item.className = `msg ${role}`;
  if (role !== "user") {
    const name = document.createElement("span");
    name.className = "sender";
    name.textContent = sender;
    item.appendChild(name);
    item.dataset.sender = sender;
  }
  item.appendChild(document.createTextNode(text));
  $("tw-messages").appendChild(item);
  item.scrollIntoView({ block: "end" });
  return item;
}

function showCitation(citation, sender) {
  const box = $("tw-citation");
  box.hidden = false;
  box.textContent = "";
  const head = document.createElement("strong");
  head.textContent = `${sender} [${citation.marker}] — page ${citation.page}` + (citation.pages.length > 1 ? ` (passage on pages ${citation.pages[0]}–${citation.pages[citation.pages.length - 1]})` : "");
  const quote = document.createElement("blockquote");
  quote.textContent = citation.snippet;
  box.append(head, quote);
}

function onTwinFrame(frame) {
  switch (frame.type) {
    case "typing": $("tw-typing").textContent = `${frame.sender} is typing…`; break;
    case "stream_start": tw.drafts[frame.sender] = twinLine(frame.sender, "", "assistant streaming"); break;
    case "stream_chunk": {
      const item = tw.drafts[frame.sender] || (tw.drafts[frame.sender] = twinLine(frame.sender, "", "assistant streaming"));
      item.appendChild(document.createTextNode(frame.content));
      item.scrollIntoView({ block: "end" });
      break;
    }
    case "stream_end": {
      $("tw-typing").textContent = "";
      const line = tw.drafts[frame.sender];
      if (line) {
        line.classList.remove("streaming");
        playButton(line, null, () => replyText(line));
        tw.lastReply = line;
      }
      break;
    }
    case "citations": {
      const item = tw.drafts[frame.sender];
      delete tw.drafts[frame.sender];
      if (!item) break;
      if (frame.refused) { item.classList.add("refused"); item.dataset.refused = "true"; break; }
      // The passages the reply cites; when it cites none, the passages it was given, labelled as sources.
      const cited = frame.citations.length > 0;
      const row = document.createElement("span");
      row.className = "citations";
      row.dataset.kind = cited ? "citations" : "sources";
      if (!cited && frame.sources.length) row.appendChild(document.createTextNode("sources: "));
      (cited ? frame.citations : frame.sources).forEach((citation) => {
        const chip = document.createElement("button");
        chip.type = "button";
        chip.className = "cite";
        chip.textContent = `[${citation.marker}] p.${citation.page}`;
        chip.addEventListener("click", () => showCitation(citation, frame.sender));
        row.appendChild(chip);
      });
      item.appendChild(row);
      break;
    }
    case "error": { const view = errorView(frame); twinLine("", view.text, `assistant ${view.className}`); break; }
  }
}

function connectTwins() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const socket = new WebSocket(`${scheme}://${location.host}/api/celebrity/ws`);
  tw.socket = socket;
  socket.onopen = () => {
    $("tw-status").textContent = "online";
    $("tw-status").classList.add("online");
    while (tw.queue.length) socket.send(tw.queue.shift());
  };
  socket.onmessage = (event) => onTwinFrame(JSON.parse(event.data));
  socket.onclose = () => {
    $("tw-status").textContent = "offline — reconnecting";
    $("tw-status").classList.remove("online");
    setTimeout(connectTwins, 1500);
  };
}

const profileLabels = {
  birth_year: "born", death_year: "died", nationality: "nationality", occupation: "occupation", personality: "personality",
  speech_style: "speech style", author: "author", core_ideas: "core ideas", writing_style: "writing style",
  instructor: "instructor", core_concepts: "core concepts", knowledge_points: "knowledge points", famous_quotes: "quotes",
};

function showProfile(twin) {
  const box = $("tw-profile");
  box.textContent = "";
  if (!twin) return;
  const title = document.createElement("h3");
  title.textContent = `${twin.name} · ${twin.pages} page${twin.pages === 1 ? "" : "s"}, ${twin.chunk_count} passages`;
  const list = document.createElement("dl");
  Object.entries(twin.profile).forEach(([key, value]) => {
    if (key === "name" || value == null || (Array.isArray(value) && !value.length)) return;
    const term = document.createElement("dt");
    term.textContent = profileLabels[key] || key;
    const detail = document.createElement("dd");
    detail.textContent = Array.isArray(value) ? value.join("; ") : String(value);
    list.append(term, detail);
  });
  box.append(title, list);
}

function updateSelection() {
  tw.selected = [...document.querySelectorAll("#tw-list input:checked")].map((box) => Number(box.value));
  const names = tw.twins.filter((twin) => tw.selected.includes(twin.id)).map((twin) => twin.name);
  $("tw-heading").textContent = names.length === 0 ? "Choose a twin on the right: one for a private chat, several for a group"
    : names.length === 1 ? `Private chat with ${names[0]}` : `Group chat with ${names.join(", ")}`;
  showProfile(tw.twins.find((twin) => twin.id === tw.selected[tw.selected.length - 1]));
}

async function loadTwins() {
  tw.twins = await fetch("/api/celebrity").then((r) => r.json());
  const kinds = { person: "person", book: "book", topic: "topic" };
  $("tw-list").textContent = "";
  tw.twins.forEach((twin) => {
    const item = document.createElement("li");
    item.dataset.twin = twin.id;
    const box = document.createElement("input");
    box.type = "checkbox";
    box.value = twin.id;
    box.id = `twin-${twin.id}`;
    box.checked = tw.selected.includes(twin.id);
    box.addEventListener("change", updateSelection);
    const label = document.createElement("label");
    label.htmlFor = box.id;
    label.textContent = `${twin.name} `;
    const kind = document.createElement("span");
    kind.className = "kind";
    kind.textContent = kinds[twin.source_type] || twin.source_type;
    label.appendChild(kind);
    item.append(box, label);
    $("tw-list").appendChild(item);
  });
  updateSelection();
}

$("tw-upload-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const file = $("tw-file").files[0];
  if (!file) { $("tw-upload-result").textContent = "choose a PDF, .txt or .md file first"; return; }
  const form = new FormData();
  form.append("file", file);
  form.append("source_type", $("tw-source-type").value);
  if ($("tw-name").value.trim()) form.append("name", $("tw-name").value.trim());
  // XMLHttpRequest, not fetch: it reports upload progress.
  const request = new XMLHttpRequest();
  request.open("POST", "/api/celebrity/upload");
  if ($("tw-token").value) request.setRequestHeader("Authorization", `Bearer ${$("tw-token").value}`);
  $("tw-progress").hidden = false;
  $("tw-progress").value = 0;
  $("tw-upload-result").textContent = "uploading…";
  request.upload.onprogress = (progress) => {
    if (progress.lengthComputable) $("tw-progress").value = Math.round(100 * progress.loaded / progress.total);
  };
  request.upload.onload = () => { $("tw-upload-result").textContent = "reading the document and writing its profile…"; };
  request.onload = async () => {
    $("tw-progress").hidden = true;
    let body = {};
    try { body = JSON.parse(request.responseText); } catch (error) { body = { detail: `HTTP ${request.status}` }; }
    if (request.status === 200) {
      $("tw-upload-result").textContent = body.created ? `made ${body.name} (${body.pages} pages)` : `${body.name} was made from this file before`;
      if (!tw.selected.includes(body.id)) tw.selected.push(body.id);
      await loadTwins();
    } else {
      $("tw-upload-result").textContent = `rejected: ${body.detail}`;
    }
  };
  request.onerror = () => { $("tw-progress").hidden = true; $("tw-upload-result").textContent = "the upload did not reach the server"; };
  request.send(form);
});

$("tw-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const text = $("tw-input").value.trim();
  if (!text) return;
  if (!tw.selected.length) { $("tw-heading").textContent = "Choose at least one twin first"; return; }
  twinLine("you", text, "user");
  $("tw-input").value = "";
  const payload = JSON.stringify({ message: text, celebrity_ids: tw.selected, mode: tw.selected.length === 1 ? "private" : "group" });
  if (tw.socket && tw.socket.readyState === WebSocket.OPEN) tw.socket.send(payload);
  else tw.queue.push(payload);
});

// ---- Sales training ----
const tr = { socket: null, session: null, customers: [], draft: null, lastUser: null, queue: [] };
const stageNames = ["", "trust and rapport", "needs diagnosis", "value presentation", "objection handling", "closing"];

function trainingLine(text, role, sender) {
  const item = document.createElement("li");
  item.className = `msg ${role}`;
  if (sender) {
    const name = document.createElement("span");
    name.className = "sender";
    name.textContent = sender;
    item.appendChild(name);
  }
  item.appendChild(document.createTextNode(text));
  $("tr-messages").appendChild(item);
  item.scrollIntoView({ block: "end" });
  return item;
}

function showStages(current, completed, skipped, finished) {
  document.querySelectorAll("#tr-stages li").forEach((item) => {
    const stage = Number(item.dataset.stage);
    item.className = completed.includes(stage) ? "done" : skipped.includes(stage) ? "skipped" : (!finished && stage === current ? "current" : "");
  });
}

function showEvaluation(frame) {
  const target = tr.lastUser;
  if (!target) return;
  const meta = document.createElement("span");
  meta.className = "evaluation" + (frame.available ? "" : " unavailable");
  meta.dataset.quality = frame.available ? frame.quality : "unavailable";
  if (!frame.available) {
    meta.textContent = "evaluation unavailable for this message";
  } else {
    const parts = [`${frame.quality} · ${frame.score}/5`];
    if (frame.issues.length) parts.push(`issues: ${frame.issues.join("; ")}`);
    if (frame.suggestions.length) parts.push(`try: ${frame.suggestions.join("; ")}`);
    meta.textContent = parts.join(" · ");
  }
  target.appendChild(meta);
}

function showSuggestions(frame) {
  const box = $("tr-copilot");
  box.textContent = "";
  const head = document.createElement("p");
  head.textContent = `For ${stageNames[frame.stage] || "the next stage"}:`;
  box.appendChild(head);
  if (!frame.available) {
    const note = document.createElement("p");
    note.className = "unavailable";
    note.textContent = "suggestions are unavailable for this turn";
    box.appendChild(note);
    return;
  }
  if (!frame.grounded) {
    const note = document.createElement("p");
    note.textContent = "no sales materials uploaded: these are not grounded in your materials";
    box.appendChild(note);
  }
  frame.suggestions.forEach((suggestion) => {
    const item = document.createElement("div");
    item.className = "suggestion";
    const line = document.createElement("span");
    line.className = "line";
    line.textContent = suggestion.line;
    item.appendChild(line);
    if (suggestion.rationale) item.appendChild(document.createTextNode(`why: ${suggestion.rationale}`));
    if (suggestion.cautions) item.appendChild(document.createTextNode(` · watch: ${suggestion.cautions}`));
    suggestion.sources.forEach((source) => {
      const cite = document.createElement("span");
      cite.className = "source";
      cite.title = source.text;
      cite.textContent = `source: ${source.file_name}, ${source.location}`;
      item.appendChild(cite);
    });
    item.addEventListener("click", () => { $("tr-input").value = suggestion.line; $("tr-input").focus(); });
    box.appendChild(item);
  });
}

function showReport(report) {
  const box = $("tr-report");
  box.hidden = false;
  box.textContent = "";
  const svg = report.radar_svg;
  if (svg) {
    const image = document.createElement("img");
    image.alt = "radar chart of the five stages";
    // A data: URL: the page's Content-Security-Policy lets images come from the server or data: only.
    image.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
    box.appendChild(image);
  }
  const title = document.createElement("h3");
  title.textContent = `${report.final === false ? "Report so far" : "Report"}: ${report.total} / 25 · ${report.level}`;
  box.appendChild(title);
  const list = document.createElement("dl");
  const add = (term, value) => {
    if (value === "" || value == null) return;
    const dt = document.createElement("dt"); dt.textContent = term;
    const dd = document.createElement("dd"); dd.textContent = value;
    list.append(dt, dd);
  };
  add("stages", report.stage_points.map((points, index) => `${index + 1}: ${points}`).join(" · "));
  add("strengths", report.strengths.join("; ") || "–");
  add("improve", report.improvements.join("; ") || "–");
  add("unfinished", report.unfinished_stages.map((stage) => stageNames[stage]).join(", ") || "none");
  add("outcome", report.outcome.agreed ? `agreed to a next step${report.outcome.evidence ? ` (“${report.outcome.evidence}”)` : ""}` : "no next step agreed");
  box.appendChild(list);
  box.scrollIntoView({ block: "end" });
}

function onTrainingFrame(frame) {
  switch (frame.type) {
    case "session":
      showStages(frame.stage, frame.completed_stages, [], frame.status === "completed");
      break;
    case "evaluation": showEvaluation(frame); break;
    case "stream_start": tr.draft = trainingLine("", "assistant customer streaming", frame.sender); break;
    case "stream_chunk":
      if (!tr.draft) tr.draft = trainingLine("", "assistant customer streaming", frame.sender);
      tr.draft.appendChild(document.createTextNode(frame.content));
      tr.draft.scrollIntoView({ block: "end" });
      break;
    case "stream_end": if (tr.draft) tr.draft.classList.remove("streaming"); break;
    case "customer_response": {
      const line = tr.draft || trainingLine(frame.content, "assistant customer", frame.sender);
      tr.draft = null;
      if (frame.audio_url) {
        const button = playButton(line, frame.audio_url);
        if (tr.speakNext) button.click();
      } else {
        playButton(line, null, frame.content);
        if (frame.audio_error) $("tr-voice-status").textContent = `no spoken reply: ${frame.audio_error}`;
      }
      tr.speakNext = false;
      break;
    }
    case "stage_completed": {
      const item = document.querySelector(`#tr-stages li[data-stage="${frame.stage}"]`);
      if (item) item.className = frame.completed ? "done" : "skipped";
      const next = frame.next_stage ? document.querySelector(`#tr-stages li[data-stage="${frame.next_stage}"]`) : null;
      if (next) next.className = "current";
      trainingLine(`stage ${frame.stage} ${frame.completed ? "completed" : "left unfinished"}` + (frame.next_stage ? ` — now ${stageNames[frame.next_stage]}` : ""), "assistant notice-line");
      break;
    }
    case "copilot_suggestions": showSuggestions(frame); break;
    case "turn_end": break;
    case "training_complete":
      showStages(0, [], [], true);
      document.querySelectorAll("#tr-stages li").forEach((item) => {
        item.className = frame.unfinished_stages.includes(Number(item.dataset.stage)) ? "skipped" : "done";
      });
      showReport(frame);
      break;
    case "error": { const view = errorView(frame); trainingLine(view.text, `assistant ${view.className}`); break; }
  }
}

function connectTraining(path) {
  if (tr.socket) { tr.socket.onclose = null; tr.socket.close(); }
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const socket = new WebSocket(`${scheme}://${location.host}${path}`);
  tr.socket = socket;
  socket.onopen = () => {
    $("tr-status").textContent = "online";
    $("tr-status").classList.add("online");
    while (tr.queue.length) socket.send(tr.queue.shift());
  };
  socket.onmessage = (event) => onTrainingFrame(JSON.parse(event.data));
  socket.onclose = () => {
    $("tr-status").textContent = "offline — reconnecting";
    $("tr-status").classList.remove("online");
    setTimeout(() => { if (tr.socket === socket) connectTraining(path); }, 1500);
  };
}

function showCustomer() {
  const customer = tr.customers.find((c) => String(c.id) === $("tr-customer").value);
  const box = $("tr-profile");
  box.textContent = "";
  if (!customer) return;
  const profile = customer.profile;
  box.textContent = [profile.role, profile.industry, profile.personality, `difficulty ${customer.difficulty}`].filter(Boolean).join(" · ");
}

async function loadTrainingCustomers() {
  tr.customers = await fetch("/api/digital-customer").then((r) => r.json());
  const select = $("tr-customer");
  const chosen = select.value;
  select.textContent = "";
  tr.customers.forEach((customer) => {
    const option = document.createElement("option");
    option.value = customer.id;
    option.textContent = customer.name;
    select.appendChild(option);
  });
  if (chosen) select.value = chosen;
  showCustomer();
}

async function loadMaterials() {
  const materials = await fetch("/api/digital-customer/knowledge/files").then((r) => r.json());
  const list = $("tr-materials");
  list.textContent = "";
  materials.forEach((material) => {
    const item = document.createElement("li");
    item.textContent = `${material.file_name} · ${material.units} units`;
    list.appendChild(item);
  });
}

function uploadWithProgress(url, file, result, done) {
  const form = new FormData();
  form.append("file", file);
  const request = new XMLHttpRequest();
  request.open("POST", url);
  if ($("tr-token").value) request.setRequestHeader("Authorization", `Bearer ${$("tr-token").value}`);
  result.textContent = "uploading…";
  request.onload = () => {
    let body = {};
    try { body = JSON.parse(request.responseText); } catch (error) { body = { detail: `HTTP ${request.status}` }; }
    if (request.status === 200) done(body); else result.textContent = `rejected: ${body.detail}`;
  };
  request.onerror = () => { result.textContent = "the upload did not reach the server"; };
  request.send(form);
}

$("tr-customer").addEventListener("change", showCustomer);

$("tr-material-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const file = $("tr-material-file").files[0];
  if (!file) { $("tr-material-result").textContent = "choose a PDF or XLSX file first"; return; }
  uploadWithProgress("/api/digital-customer/knowledge/upload", file, $("tr-material-result"), async (body) => {
    $("tr-material-result").textContent = body.created ? `added ${body.file_name} (${body.units} units)` : `${body.file_name} was uploaded before`;
    await loadMaterials();
  });
});

$("tr-customer-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const file = $("tr-customer-file").files[0];
  if (!file) { $("tr-customer-result").textContent = "choose a .md, .txt or PDF profile first"; return; }
  $("tr-customer-result").textContent = "reading the profile…";
  uploadWithProgress("/api/digital-customer/upload", file, $("tr-customer-result"), async (body) => {
    $("tr-customer-result").textContent = body.created ? `made customer ${body.name}` : `${body.name} was made from this file before`;
    await loadTrainingCustomers();
    $("tr-customer").value = body.id;
    showCustomer();
  });
});

$("tr-start").addEventListener("click", async () => {
  const customerID = Number($("tr-customer").value);
  if (!customerID) { $("tr-session").textContent = "upload or choose a customer first"; return; }
  const body = { customer_id: customerID };
  if ($("tr-user").value.trim()) body.user_id = $("tr-user").value.trim();
  if ($("tr-difficulty").value) body.difficulty = $("tr-difficulty").value;
  const response = await fetch("/api/digital-customer/training/sessions/start", {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
  });
  const session = await response.json();
  if (response.status !== 201) { $("tr-session").textContent = `could not start: ${session.detail}`; return; }
  tr.session = session;
  $("tr-messages").textContent = "";
  $("tr-report").hidden = true;
  $("tr-copilot").textContent = "";
  const name = $("tr-customer").selectedOptions[0].textContent;
  $("tr-heading").textContent = `Selling to ${name}`;
  $("tr-session").textContent = `session ${session.session_id}`;
  showStages(1, [], [], false);
  connectTraining(session.ws_url);
});

$("tr-show-report").addEventListener("click", async () => {
  if (!tr.session) return;
  const report = await fetch(`/api/digital-customer/training/sessions/${tr.session.session_id}/evaluation`).then((r) => r.json());
  showReport(report);
});

$("tr-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const text = $("tr-input").value.trim();
  if (!text) return;
  if (!tr.session) { $("tr-session").textContent = "start a training session first"; return; }
  tr.lastUser = trainingLine(text, "user");
  $("tr-input").value = "";
  const spoken = $("tr-voice").checked || tr.fromMic;
  tr.fromMic = false;
  tr.speakNext = spoken;
  const payload = JSON.stringify(spoken ? { message: text, voice: true } : { message: text });
  if (tr.socket && tr.socket.readyState === WebSocket.OPEN) tr.socket.send(payload);
  else tr.queue.push(payload);
});

function showView() {
  const view = ["#group-chat", "#twins", "#training"].includes(location.hash) ? location.hash.slice(1) : "customer-service";
  document.querySelectorAll(".view").forEach((element) => { element.hidden = element.id !== view; });
  document.querySelectorAll("nav a").forEach((link) => link.classList.toggle("active", link.id === `tab-${view}`));
  if (view === "group-chat" && !gc.socket) { loadAgents(); connectChat(); }
  if (view === "twins" && !tw.socket) { loadTwins(); connectTwins(); }
  if (view === "training" && !tr.loaded) { tr.loaded = true; loadTrainingCustomers(); loadMaterials(); }
}
window.addEventListener("hashchange", showView);
// ---- Voice: the microphone (recorded in the page as 16 kHz WAV), spoken replies ----

/// The reply being played, paused when the user starts speaking (and so never heard by the microphone).
const playback = { audio: null };

/// Records from the microphone until stopped; resolves to a 16 kHz mono 16-bit WAV blob.
async function startRecording() {
  if (playback.audio) playback.audio.pause();
  const stream = await navigator.mediaDevices.getUserMedia({ audio: { channelCount: 1, echoCancellation: true } });
  const context = new AudioContext();
  const source = context.createMediaStreamSource(stream);
  // ScriptProcessor is deprecated but needs no separate worklet file, and its 4096-sample blocks are plenty here.
  const processor = context.createScriptProcessor(4096, 1, 1);
  const blocks = [];
  processor.onaudioprocess = (event) => blocks.push(new Float32Array(event.inputBuffer.getChannelData(0)));
  source.connect(processor);
  processor.connect(context.destination);
  return async () => {
    processor.disconnect();
    source.disconnect();
    stream.getTracks().forEach((track) => track.stop());
    const rate = context.sampleRate;
    await context.close();
    return wavBlob(blocks, rate, 16000);
  };
}

function wavBlob(blocks, rate, targetRate) {
  const total = blocks.reduce((sum, block) => sum + block.length, 0);
  const input = new Float32Array(total);
  let offset = 0;
  for (const block of blocks) { input.set(block, offset); offset += block.length; }
  const ratio = rate / targetRate;
  const count = Math.floor(total / ratio);
  const view = new DataView(new ArrayBuffer(44 + count * 2));
  const text = (at, value) => { for (let i = 0; i < value.length; i++) view.setUint8(at + i, value.charCodeAt(i)); };
  text(0, "RIFF"); view.setUint32(4, 36 + count * 2, true); text(8, "WAVEfmt ");
  view.setUint32(16, 16, true); view.setUint16(20, 1, true); view.setUint16(22, 1, true);
  view.setUint32(24, targetRate, true); view.setUint32(28, targetRate * 2, true); view.setUint16(32, 2, true); view.setUint16(34, 16, true);
  text(36, "data"); view.setUint32(40, count * 2, true);
  for (let i = 0; i < count; i++) {
    // The mean of the input samples this output sample covers: a crude low-pass before decimating.
    const start = Math.floor(i * ratio), end = Math.max(start + 1, Math.floor((i + 1) * ratio));
    let sum = 0;
    for (let j = start; j < end && j < total; j++) sum += input[j];
    const value = Math.max(-1, Math.min(1, sum / (end - start)));
    view.setInt16(44 + i * 2, value < 0 ? value * 32768 : value * 32767, true);
  }
  return new Blob([view], { type: "audio/wav" });
}

/// Wires a microphone button: click to record, click again to stop; the transcript goes to `input` and `onText`.
function wireMicrophone(button, status, path, input, onText) {
  let stop = null;
  button.addEventListener("click", async () => {
    if (!stop) {
      try {
        stop = await startRecording();
      } catch (error) {
        status.textContent = `the microphone is not available: ${error.message}`;
        return;
      }
      button.classList.add("recording");
      button.textContent = "■ Stop";
      status.textContent = "listening… click Stop when you are done";
      return;
    }
    const finish = stop;
    stop = null;
    button.classList.remove("recording");
    button.textContent = "🎤 Speak";
    status.textContent = "transcribing…";
    const form = new FormData();
    form.append("file", await finish(), "speech.wav");
    try {
      const response = await fetch(path, { method: "POST", body: form });
      const body = await response.json();
      if (!response.ok) { status.textContent = `not transcribed: ${body.detail}`; return; }
      if (!body.text) { status.textContent = "nothing was heard; try again closer to the microphone"; return; }
      status.textContent = `heard (${body.provider}): “${body.text}”`;
      input.value = body.text;
      onText(body.text);
    } catch (error) {
      status.textContent = "the recording did not reach the server";
    }
  });
}

/// Adds a play button to a reply: plays `url`, or first has `text` spoken by the server.
function playButton(line, url, text) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "play";
  button.textContent = "▶";
  button.title = "play the reply";
  const audio = new Audio();
  if (url) { audio.src = url; line.dataset.audioUrl = url; }
  button.addEventListener("click", async () => {
    if (!audio.src) {
      const response = await fetch("/api/digital-customer/audio/synthesize", {
        method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ text: typeof text === "function" ? text() : text }),
      });
      const body = await response.json();
      if (!response.ok) { button.title = body.detail; button.textContent = "✕"; return; }
      audio.src = body.audio_url;
      line.dataset.audioUrl = body.audio_url;
    }
    if (playback.audio && playback.audio !== audio) playback.audio.pause();
    playback.audio = audio;
    audio.currentTime = 0;
    audio.play().catch(() => { button.title = "the browser would not play it"; });
  });
  line.appendChild(button);
  return button;
}

/// A twin's reply text without its sender label and buttons.
function replyText(line) {
  return Array.from(line.childNodes).filter((node) => node.nodeType === Node.TEXT_NODE).map((node) => node.textContent).join("");
}

wireMicrophone($("tr-mic"), $("tr-voice-status"), "/api/digital-customer/audio/transcribe", $("tr-input"), () => {
  tr.fromMic = true;
  $("tr-form").requestSubmit();
});
wireMicrophone($("tw-mic"), $("tw-voice-status"), "/api/celebrity/digital-human/transcribe-audio", $("tw-input"), () => {
  $("tw-form").requestSubmit();
});

// A talking head, shown only when the server's video provider can work: a portrait uploaded here (or, for a
// provider that fetches, a link) speaking a text, by default the twin's last reply without its citation markers.
async function loadVideoPanel() {
  let state;
  try { state = await fetch("/api/celebrity/digital-human/video").then((r) => r.json()); } catch (error) { return; }
  if (!state.ready) return;
  $("tw-video-provider").textContent = state.provider === "offline"
    ? "Made on this server by ffmpeg: the portrait over the voice's waveform (no lip movement)."
    : `Made by ${state.provider}; it fetches the portrait and the speech itself.`;
  $("tw-video-image").hidden = !state.fetches_inputs;
  $("tw-video-panel").hidden = false;
}

$("tw-video-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const status = $("tw-video-status");
  const button = $("tw-video-make");
  const post = async (path, init) => {
    const response = await fetch(path, { method: "POST", ...init });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(body.detail || `failed (HTTP ${response.status})`);
    return body;
  };
  const text = $("tw-video-text").value.trim() || (tw.lastReply ? replyText(tw.lastReply).replace(/\[\d+\]/g, "").trim() : "");
  if (!text) { status.textContent = "write what the twin says, or ask it something first"; return; }
  button.disabled = true;
  try {
    let image = $("tw-video-image").value.trim();
    const file = $("tw-video-file").files[0];
    if (file) {
      status.textContent = "uploading the portrait…";
      const headers = { "Content-Type": file.type || "application/octet-stream" };
      if ($("tw-token").value) headers.Authorization = `Bearer ${$("tw-token").value}`;
      image = (await post("/api/celebrity/digital-human/upload-image", { headers, body: file })).image_url;
    }
    if (!image) { status.textContent = "choose a portrait"; return; }
    status.textContent = "making the video…";
    const made = await post("/api/celebrity/digital-human/generate-video", {
      headers: { "Content-Type": "application/json" }, body: JSON.stringify({ image_url: image, text }),
    });
    const video = $("tw-video");
    video.src = made.video_url;
    video.hidden = false;
    status.textContent = `made by ${made.provider} (task ${made.task_id})`;
  } catch (error) {
    status.textContent = error instanceof TypeError ? "the server could not be reached" : error.message;
  } finally {
    button.disabled = false;
  }
});

loadVideoPanel();
loadDemo();
showView();
