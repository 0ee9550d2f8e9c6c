// Live updates over the Channels websocket: subscribe to the clusters shown on the
// page (data-live-clusters) and to the topics and groups it shows (data-live-subscribe,
// JSON {cluster, topic} or {cluster, group}), apply each pushed status to the elements
// marked data-cluster/data-field, and reconnect with backoff when the connection drops;
// after a reconnect, "reconnected" handlers re-fetch what was missed.
(function () {
  "use strict";
  const handlers = {};
  const Live = { on(event, fn) { (handlers[event] = handlers[event] || []).push(fn); } };
  window.SignalboxLive = Live;

  function subscriptions() {
    const seen = new Set();
    const subs = [];
    const add = (sub) => {
      const key = JSON.stringify(sub);
      if (!seen.has(key)) { seen.add(key); subs.push(sub); }
    };
    document.querySelectorAll("[data-live-clusters]").forEach((el) => {
      el.dataset.liveClusters.split(",").filter(Boolean).forEach((id) => add({ cluster: parseInt(id, 10) }));
    });
    document.querySelectorAll("[data-live-subscribe]").forEach((el) => {
      const value = JSON.parse(el.dataset.liveSubscribe);
      (Array.isArray(value) ? value : [value]).forEach(add);
    });
    return subs;
  }

  function setState(text) {
    const el = document.getElementById("live-state");
    if (el) el.textContent = "Live updates: " + text;
  }

  function ago(iso) {
    if (!iso) return "–";
    const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
    if (s < 60) return s + " s ago";
    if (s < 3600) return Math.floor(s / 60) + " min ago";
    return Math.floor(s / 3600) + " h ago";
  }

  function pill(cls, text, title) {
    const span = document.createElement("span");
    span.className = "pill " + cls;
    span.textContent = text;
    if (title) span.title = title;
    return span;
  }

  Live.on("cluster.status", (data) => {
    document.querySelectorAll('[data-cluster="' + data.cluster + '"]').forEach((row) => {
      row.querySelectorAll("[data-field]").forEach((cell) => {
        const field = cell.dataset.field;
        if (field === "health") {
          cell.replaceChildren(data.reachable ? pill("ok", "reachable") : pill("bad", "unreachable", data.error));
          if (!data.reachable && data.last_ok_at) {
            const note = document.createElement("div");
            note.className = "muted small";
            note.textContent = "stale since " + new Date(data.last_ok_at).toLocaleTimeString();
            cell.appendChild(note);
          }
          row.classList.toggle("stale", !data.reachable);
        } else if (field === "checked_at") {
          cell.dataset.time = data.checked_at || "";
          cell.textContent = ago(data.checked_at);
        } else if (field in data && data[field] !== null && data[field] !== "") {
          const code = cell.querySelector("code");
          (code || cell).textContent = data[field];
        }
      });
    });
  });

  // A page-wide notice while a cluster on this page cannot be reached: what is shown
  // is the last known state; it goes away by itself after the next good poll.
  Live.on("cluster.status", (data) => {
    const id = "stale-banner-" + data.cluster;
    let banner = document.getElementById(id);
    if (data.reachable) { if (banner) banner.remove(); return; }
    if (!banner) {
      banner = document.createElement("div");
      banner.id = id;
      banner.className = "flash error stale-banner";
      banner.setAttribute("role", "status");
      const main = document.querySelector("main");
      if (main) main.prepend(banner);
    }
    const since = data.last_ok_at ? new Date(data.last_ok_at).toLocaleString() : "the first poll";
    banner.textContent = "The cluster cannot be reached: " + (data.error || "no answer") +
      " Values on this page are stale since " + since + "; they update again by themselves once it answers.";
  });

  setInterval(() => {
    document.querySelectorAll("[data-time]").forEach((el) => { if (el.dataset.time) el.textContent = ago(el.dataset.time); });
  }, 1000);

  function emit(event, data, payload) {
    (handlers[event] || []).forEach((fn) => {
      try { fn(data, payload); } catch (err) { console.error("live handler for " + event + " failed", err); }
    });
  }

  let delay = 1000;
  let opened = false;
  function connect() {
    const subs = subscriptions();
    if (!subs.length) return;
    const proto = location.protocol === "https:" ? "wss://" : "ws://";
    const ws = new WebSocket(proto + location.host + "/ws/live/");
    ws.onopen = () => {
      delay = 1000;
      setState("connected");
      document.documentElement.dataset.live = "connected";
      subs.forEach((sub) => ws.send(JSON.stringify({ action: "subscribe", ...sub })));
      if (opened) emit("reconnected", {}, {});
      opened = true;
    };
    ws.onmessage = (msg) => {
      const payload = JSON.parse(msg.data);
      if (payload.error) { setState(payload.error); return; }
      if (payload.subscribed) { emit("subscribed", payload, payload); return; }
      emit(payload.event, payload.data, payload);
    };
    ws.onclose = () => {
      document.documentElement.dataset.live = "disconnected";
      setState("disconnected, retrying in " + Math.round(delay / 1000) + " s");
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    };
  }
  document.addEventListener("DOMContentLoaded", connect);
})();
