// The group page's live facts: status, total lag and lag in time follow each
// group.points event for this group (the charts are kept live by charts.js).
(function () {
  "use strict";
  const live = window.SignalboxLive;
  if (!live) return;
  const CLASSES = { OK: "ok", WARN: "wait", ERR: "bad" };

  function seconds(v) {
    if (v === null || v === undefined) return "unknown";
    if (v < 1) return "< 1 s";
    if (v < 120) return Math.round(v) + " s";
    if (v < 7200) return Math.round(v / 60) + " min";
    return (v / 3600).toFixed(1) + " h";
  }

  live.on("group.points", (data) => {
    const box = document.querySelector("[data-live-subscribe][data-group-live]");
    if (!box) return;
    const sub = JSON.parse(box.dataset.liveSubscribe);
    if (sub.cluster !== data.cluster || sub.group !== data.group) return;
    const pill = document.getElementById("group-status");
    if (pill && data.status) {
      pill.textContent = data.status;
      pill.className = "pill " + (CLASSES[data.status] || "muted-pill");
    }
    const reason = document.getElementById("group-status-reason");
    if (reason) reason.textContent = data.status_reason || "";
    const lag = document.getElementById("group-total-lag");
    if (lag) lag.textContent = data.total_lag === null ? "–" : String(data.total_lag);
    const secs = document.getElementById("group-lag-seconds");
    if (secs) secs.textContent = seconds(data.max_lag_seconds);
  });
})();
