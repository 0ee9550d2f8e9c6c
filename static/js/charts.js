// Live charts: each element with data-chart (JSON: cluster, traces [{kind, key, name}],
// unit, empty) loads its history from the metrics API, then extends its traces with the
// points the websocket pushes (cluster.points, topic.points, group.points). Switching the
// time range or reconnecting after a drop re-fetches the history, so nothing is missed.
(function () {
  "use strict";
  const RANGES = { "15m": 900, "1h": 3600, "6h": 21600, "24h": 86400, "7d": 604800 };
  const charts = [];
  let range = "1h";

  function pickRange() {
    const fromUrl = new URLSearchParams(location.search).get("range");
    const stored = window.localStorage ? localStorage.getItem("signalbox.range") : null;
    return RANGES[fromUrl] ? fromUrl : RANGES[stored] ? stored : "1h";
  }

  function formatUnit(unit) {
    return unit === "s" ? "seconds" : unit;
  }

  function layoutFor(chart) {
    const now = Date.now();
    return {
      margin: { l: 60, r: 10, t: 10, b: 40 },
      height: chart.config.height || 260,
      showlegend: chart.config.traces.length > 1,
      legend: { orientation: "h", y: -0.25 },
      xaxis: { type: "date", range: [now - RANGES[range] * 1000, now] },
      yaxis: { title: { text: formatUnit(chart.config.unit) }, rangemode: "tozero", tickformat: "~s", fixedrange: true },
      hovermode: "x unified",
      paper_bgcolor: "rgba(0,0,0,0)",
      plot_bgcolor: "rgba(0,0,0,0)",
    };
  }

  function traceFor(chart, t, points) {
    const trace = {
      type: "scatter",
      mode: "lines",
      name: t.name || t.key || t.kind,
      x: points.map((p) => new Date(p[0] * 1000)),
      y: points.map((p) => p[1]),
      connectgaps: false,
      line: { width: 1.5, shape: chart.config.step ? "hv" : "linear" },
      hovertemplate: "%{y:,.4~g} " + chart.config.unit,
    };
    if (t.color) trace.line.color = t.color;
    if (chart.config.stack) {
      trace.stackgroup = "one";
    }
    return trace;
  }

  function showEmpty(chart) {
    const hasData = chart.el.data && chart.el.data.some((tr) => tr.y.some((v) => v !== null && v !== undefined));
    chart.emptyEl.hidden = hasData;
  }

  async function load(chart) {
    // Points pushed while the history loads are kept and applied after it (the
    // re-fetch may or may not hold them; extend() skips what is already there).
    chart.loaded = false;
    chart.pending = chart.pending || [];
    const byKind = {};
    chart.config.traces.forEach((t) => (byKind[t.kind] = byKind[t.kind] || []).push(t.key));
    const series = {};
    chart.errorEl.hidden = true;
    try {
      for (const kind of Object.keys(byKind)) {
        const params = new URLSearchParams({ kind: kind, range: range });
        byKind[kind].forEach((k) => params.append("key", k));
        const resp = await fetch("/api/v1/clusters/" + chart.config.cluster + "/metrics/history/?" + params, {
          headers: { Accept: "application/json" },
          credentials: "same-origin",
        });
        const body = await resp.json();
        if (!resp.ok) throw new Error(body.detail || resp.statusText);
        series[kind] = body.series;
      }
    } catch (err) {
      chart.errorEl.textContent = "History could not be loaded: " + err.message + ". Live points still arrive.";
      chart.errorEl.hidden = false;
    }
    const traces = chart.config.traces.map((t) => traceFor(chart, t, (series[t.kind] || {})[t.key] || []));
    await Plotly.react(chart.el, traces, layoutFor(chart), { displaylogo: false, responsive: true });
    chart.loaded = true;
    const pending = chart.pending.splice(0);
    pending.forEach((data) => extendChart(chart, data));
    chart.el.dataset.loads = String(parseInt(chart.el.dataset.loads || "0", 10) + 1);
    showEmpty(chart);
  }

  function lastX(trace) {
    const n = trace.x.length;
    return n ? new Date(trace.x[n - 1]).getTime() : -Infinity;
  }

  // Apply one pushed event to every chart of its cluster that shows one of its series.
  function extend(data) {
    if (!data || !data.series) return;
    charts.forEach((chart) => {
      if (chart.config.cluster !== data.cluster) return;
      if (!chart.loaded) {
        if (chart.pending && chart.pending.length < 100) chart.pending.push(data);
        return;
      }
      extendChart(chart, data);
    });
  }

  function extendChart(chart, data) {
    const at = data.at * 1000;
    const xs = [];
    const ys = [];
    const idx = [];
    chart.config.traces.forEach((t, i) => {
      const values = data.series[t.kind];
      if (!values || !(t.key in values)) return;
      if (lastX(chart.el.data[i]) >= at) return; // already there from a re-fetch
      xs.push([new Date(at)]);
      ys.push([values[t.key]]);
      idx.push(i);
    });
    if (!idx.length) return;
    Plotly.extendTraces(chart.el, { x: xs, y: ys }, idx, 20000);
    const now = Date.now();
    Plotly.relayout(chart.el, { "xaxis.range": [now - RANGES[range] * 1000, now] });
    showEmpty(chart);
  }

  function markStale(status) {
    charts.forEach((chart) => {
      if (chart.config.cluster !== status.cluster) return;
      chart.box.classList.toggle("stale", !status.reachable);
      chart.staleEl.hidden = !!status.reachable;
      if (!status.reachable) {
        const since = status.last_ok_at ? new Date(status.last_ok_at).toLocaleTimeString() : "the start";
        chart.staleEl.textContent = "Cluster unreachable: no new points; last good poll " + since + ".";
      }
    });
  }

  function setRange(next) {
    if (!RANGES[next]) return;
    range = next;
    if (window.localStorage) localStorage.setItem("signalbox.range", next);
    document.querySelectorAll("[data-range-picker] button").forEach((b) => {
      b.classList.toggle("active", b.dataset.range === next);
      b.setAttribute("aria-pressed", b.dataset.range === next ? "true" : "false");
    });
    charts.forEach(load);
  }

  function init() {
    if (typeof Plotly === "undefined") return;
    range = pickRange();
    document.querySelectorAll("[data-chart]").forEach((box) => {
      const chart = {
        box: box,
        config: JSON.parse(box.dataset.chart),
        el: box.querySelector(".chart-plot"),
        emptyEl: box.querySelector(".chart-empty"),
        errorEl: box.querySelector(".chart-error"),
        staleEl: box.querySelector(".chart-stale"),
        loaded: false,
      };
      charts.push(chart);
    });
    document.querySelectorAll("[data-range-picker] button").forEach((b) => {
      b.addEventListener("click", () => setRange(b.dataset.range));
    });
    setRange(range);
  }

  const live = window.SignalboxLive;
  if (live) {
    ["cluster.points", "topic.points", "group.points"].forEach((ev) => live.on(ev, extend));
    live.on("cluster.status", markStale);
    live.on("reconnected", () => charts.forEach(load));
  }
  window.SignalboxCharts = { charts: charts, reload: () => charts.forEach(load), setRange: setRange };
  document.addEventListener("DOMContentLoaded", init);
})();
