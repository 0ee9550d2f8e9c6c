// The lag board's live facts and controls. Charts are kept live by charts.js; this
// follows group.points and topic.points for every pinned card (status, total lag, lag
// in time, messages/s), copies the share link, and asks before a pin is removed.
(function () {
  "use strict";
  const CLASSES = { OK: "ok", WARN: "wait", ERR: "bad", STOP: "bad", STALL: "bad", REWIND: "bad" };

  // The same wording as the server's seconds_human filter, so a pushed value reads like the first one.
  function secondsHuman(v) {
    if (v === null || v === undefined) return "unknown";
    let s = Math.round(v);
    if (s < 60) return s + " s";
    let m = Math.floor(s / 60);
    s = s % 60;
    if (m < 60) return m + " min " + s + " s";
    let h = Math.floor(m / 60);
    m = m % 60;
    if (h < 48) return h + " h " + m + " min";
    return Math.floor(h / 24) + " d " + (h % 24) + " h";
  }

  function cards(kind, cluster, name) {
    return Array.from(document.querySelectorAll(".boards-item[data-kind='" + kind + "']")).filter(
      (el) => parseInt(el.dataset.boardsCluster, 10) === cluster && el.dataset.boardsName === name,
    );
  }

  function setFact(card, fact, text) {
    const el = card.querySelector("[data-live-fact='" + fact + "']");
    if (el) el.textContent = text;
    return el;
  }

  function onGroup(data) {
    if (!data || data.group === undefined) return;
    cards("group", data.cluster, data.group).forEach((card) => {
      const pill = setFact(card, "status", data.status || "UNKNOWN");
      if (pill) pill.className = "pill " + (CLASSES[data.status] || "muted-pill");
      setFact(card, "status-reason", data.status_reason || "");
      setFact(card, "total-lag", data.total_lag === null || data.total_lag === undefined ? "–" : String(data.total_lag));
      setFact(card, "lag-seconds", secondsHuman(data.max_lag_seconds));
      card.dataset.updates = String(parseInt(card.dataset.updates || "0", 10) + 1);
    });
  }

  function onTopic(data) {
    if (!data || data.topic === undefined || !data.series) return;
    const rates = data.series["topic.messages_per_s"] || {};
    if (!(data.topic in rates)) return;
    const v = rates[data.topic];
    cards("topic", data.cluster, data.topic).forEach((card) => {
      setFact(card, "messages-per-s", v === null || v === undefined ? "–" : v.toFixed(1));
      card.dataset.updates = String(parseInt(card.dataset.updates || "0", 10) + 1);
    });
  }

  function copyLink(button) {
    const input = document.querySelector(button.dataset.copyLink);
    if (!input) return;
    const done = () => {
      button.textContent = "Link copied";
      setTimeout(() => (button.textContent = "Copy link"), 2000);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(done, () => {
        input.select();
        button.textContent = "Press Ctrl+C to copy";
      });
    } else {
      // Plain http (not localhost): the clipboard API is unavailable, so select the link for the user.
      input.select();
      const ok = document.execCommand && document.execCommand("copy");
      if (ok) done();
      else button.textContent = "Press Ctrl+C to copy";
    }
  }

  const live = window.SignalboxLive;
  if (live) {
    live.on("group.points", onGroup);
    live.on("topic.points", onTopic);
  }
  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("[data-copy-link]").forEach((b) => b.addEventListener("click", () => copyLink(b)));
    document.querySelectorAll("form[data-confirm]").forEach((form) =>
      form.addEventListener("submit", (ev) => {
        if (!window.confirm(form.dataset.confirm)) ev.preventDefault();
      }),
    );
  });
})();
