// The cluster dashboard's live tables: top topics, groups by status and broker health
// follow each cluster.points event (the charts are kept live by charts.js).
(function () {
  "use strict";
  const live = window.SignalboxLive;
  if (!live) return;

  function number(v, digits) {
    if (v === null || v === undefined) return "–";
    return Number(v).toLocaleString(undefined, { maximumFractionDigits: digits });
  }

  function bytes(v) {
    if (v === null || v === undefined) return "–";
    const units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let size = Number(v);
    let i = 0;
    while (size >= 1024 && i < units.length - 1) { size /= 1024; i++; }
    return (i === 0 ? size.toFixed(0) : size.toFixed(1)) + " " + units[i];
  }

  function cell(text, cls) {
    const td = document.createElement("td");
    if (cls) td.className = cls;
    td.textContent = text;
    return td;
  }

  function topTopics(box, data) {
    const body = box.querySelector("#top-topics tbody");
    if (!body) return;
    const base = location.pathname.replace(/\/$/, "") + "/topics/";
    const rows = (data.top_topics || []).map((t) => {
      const tr = document.createElement("tr");
      const name = document.createElement("td");
      const a = document.createElement("a");
      a.href = base + encodeURIComponent(t.topic) + "/";
      a.textContent = t.topic;
      name.appendChild(a);
      tr.append(name, cell(number(t.messages_per_s, 1), "num"), cell(bytes(t.bytes_per_s) + "/s", "num"));
      return tr;
    });
    if (data.reachable) {
      body.replaceChildren(...rows);
      const empty = box.querySelector("#top-topics-empty");
      if (empty) empty.hidden = rows.length > 0;
    }
  }

  function groupsByStatus(box, data) {
    const counts = (data.series || {})["cluster.groups_by_status"];
    if (!counts) return;
    box.querySelectorAll("#groups-by-status [data-status]").forEach((pill) => {
      const n = counts[pill.dataset.status];
      if (n !== undefined && n !== null) pill.querySelector("b").textContent = number(n, 0);
    });
  }

  function brokers(box, data) {
    box.querySelectorAll("#broker-health [data-broker-url]").forEach((row) => {
      const url = row.dataset.brokerUrl;
      row.querySelectorAll("[data-metric]").forEach((td) => {
        const values = (data.series || {})[td.dataset.metric];
        if (!values || !(url in values)) return;
        const v = values[url];
        const fmt = td.dataset.format;
        if (fmt === "percent") {
          td.textContent = v === null ? "–" : Math.round(v * 100) + "%";
          if (v !== null && v < 0.3) { const s = document.createElement("span"); s.className = "pill bad"; s.textContent = "busy"; td.append(" ", s); }
        } else if (fmt === "bytes") td.textContent = bytes(v);
        else if (fmt === "controller") td.textContent = v === null ? "–" : v >= 1 ? "active" : "no";
        else td.textContent = number(v, 0);
      });
    });
  }

  live.on("cluster.points", (data) => {
    document.querySelectorAll("[data-cluster-dashboard]").forEach((box) => {
      if (parseInt(box.dataset.clusterDashboard, 10) !== data.cluster) return;
      topTopics(box, data);
      groupsByStatus(box, data);
      brokers(box, data);
    });
  });
})();
