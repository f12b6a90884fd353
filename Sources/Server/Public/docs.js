"use strict";
const esc = (s) => String(s ?? "").replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
fetch("/openapi.json").then((r) => r.json()).then((spec) => {
  document.getElementById("intro").textContent = spec.info.description;
  const container = document.getElementById("operations");
  for (const [path, item] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const isSocket = Boolean(op["x-websocket"]);
      const params = (op.parameters || []);
      const jsonBody = op.requestBody && op.requestBody.content["application/json"];
      const fileBody = op.requestBody && op.requestBody.content["multipart/form-data"];
      const block = document.createElement("details");
      block.innerHTML = `<summary><span class="method ${method}">${isSocket ? "WS" : method.toUpperCase()}</span>
        <code>${esc(path)}</code> — ${esc(op.summary)}</summary>
        <p>${esc(op.description || "")}</p>
        <form>${params.map((p) => `<label>${esc(p.name)} (${p.in})<input name="${esc(p.name)}" data-in="${p.in}"></label>`).join("")}
        ${jsonBody ? `<label>JSON body<textarea name="body">{}</textarea></label>` : ""}
        ${fileBody ? `<label>file<input type="file" name="file"></label>` : ""}
        ${isSocket ? `<label>message<input name="message" value="你好"></label>` : ""}
        <label>admin token (optional)<input name="token" type="password"></label>
        <button type="submit">Try it</button></form><pre hidden></pre>`;
      const form = block.querySelector("form");
      const output = block.querySelector("pre");
      form.addEventListener("submit", async (event) => {
        event.preventDefault();
        output.hidden = false;
        let url = path;
        const query = new URLSearchParams();
        for (const input of form.querySelectorAll("input[data-in]")) {
          if (input.dataset.in === "path") url = url.replace(`{${input.name}}`, encodeURIComponent(input.value));
          else if (input.value) query.set(input.name, input.value);
        }
        if ([...query].length) url += `?${query}`;
        if (isSocket) {
          const socket = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}${url}`);
          output.textContent = "";
          socket.onopen = () => socket.send(JSON.stringify({ message: form.message.value }));
          socket.onmessage = (e) => {
            output.textContent += e.data + "\n";
            if (JSON.parse(e.data).type === "response") socket.close();
          };
          return;
        }
        const headers = {};
        if (form.token.value) headers.Authorization = `Bearer ${form.token.value}`;
        let body;
        if (jsonBody) { body = form.body.value; headers["Content-Type"] = "application/json"; }
        if (fileBody) { body = new FormData(); if (form.file.files[0]) body.append("file", form.file.files[0]); }
        const response = await fetch(url, { method: method.toUpperCase(), headers, body });
        const text = await response.text();
        try { output.textContent = `${response.status}\n${JSON.stringify(JSON.parse(text), null, 2)}`; }
        catch { output.textContent = `${response.status}\n${text.slice(0, 2000)}`; }
      });
      container.appendChild(block);
    }
  }
});
