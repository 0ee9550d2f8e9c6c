// Message pages: the live tail over a websocket (rows appended as they arrive, "skipped"
// notes when the server caps the rate) and extra header rows on the produce form.
(function () {
  "use strict";

  function cell(text, cls) {
    const td = document.createElement("td");
    if (cls) td.className = cls;
    td.textContent = text;
    return td;
  }

  function preview(payload) {
    if (!payload || payload.text === null) return "null";
    return payload.text.length > 160 ? payload.text.slice(0, 160) + "…" : payload.text;
  }

  function startTail(section) {
    const state = document.getElementById("tail-state");
    const body = section.querySelector("#tail-table tbody");
    const start = document.getElementById("tail-start");
    const stop = document.getElementById("tail-stop");
    const form = document.getElementById("messages-form");
    const params = new URLSearchParams(new FormData(form));
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const socket = new WebSocket(scheme + location.host + section.dataset.tailPath + "?" + params.toString());
    state.textContent = "Connecting…";
    start.disabled = true;
    stop.disabled = false;
    socket.onmessage = (event) => {
      const data = JSON.parse(event.data);
      if (data.type === "ready") {
        state.textContent = "Following " + data.partitions.length + " partition(s) of " + data.topic + ".";
      } else if (data.type === "message") {
        const m = data.message;
        const row = document.createElement("tr");
        row.append(cell(m.partition, "num"), cell(m.offset, "num"), cell(m.timestamp || "–", "small"),
          cell(preview(m.key)), cell(preview(m.value)));
        body.prepend(row);
        while (body.rows.length > 500) body.deleteRow(body.rows.length - 1);
      } else if (data.type === "skipped") {
        const row = document.createElement("tr");
        const td = cell("skipped " + data.count + " message(s): more than " + data.max_per_second + " a second", "muted small");
        td.colSpan = 5;
        row.append(td);
        body.prepend(row);
      } else if (data.type === "error") {
        state.textContent = data.detail;
      }
    };
    socket.onclose = (event) => {
      const reasons = { 4401: "Log in again.", 4403: "You may not read messages of this cluster.", 4404: "Unknown cluster.", 4400: "Fix the filters above." };
      state.textContent = "Stopped." + (reasons[event.code] ? " " + reasons[event.code] : "");
      start.disabled = false;
      stop.disabled = true;
    };
    stop.onclick = () => socket.close();
  }

  document.addEventListener("DOMContentLoaded", () => {
    const section = document.getElementById("tail");
    const start = document.getElementById("tail-start");
    if (section && start) start.addEventListener("click", () => startTail(section));
    const add = document.getElementById("add-header");
    if (add) {
      add.addEventListener("click", () => {
        const row = document.querySelector(".messages-header-row").cloneNode(true);
        row.querySelectorAll("input").forEach((input) => { input.value = ""; });
        document.getElementById("header-rows").appendChild(row);
      });
    }
  });
})();
