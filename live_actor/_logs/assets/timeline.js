"use strict";
// The live_actor timeline page: swimlanes drawn from the JSON block #data.
// Lanes are drawn only while on screen (IntersectionObserver), so hundreds of sessions
// stay responsive; every lane exists in the DOM as a .lane row.
(function () {
  const DATA = JSON.parse(document.getElementById("data").textContent);
  const lanesEl = document.getElementById("lanes");
  const axis = document.getElementById("axis");
  const tip = document.getElementById("tip");
  const rangeEl = document.getElementById("range");
  const MID = 13;

  const STYLE = {
    "session.turn_complete": { shape: "tick", color: "#3a9a4a", label: "turn complete" },
    "session.tool_call": { shape: "diamond", color: "#8e44ad", label: "tool call" },
    "session.tool_result": { shape: "circle", color: "#8e44ad", label: "tool result" },
    "session.tool_call_cancellation": { shape: "cross", color: "#8e44ad", label: "tool calls cancelled" },
    "session.go_away": { shape: "down", color: "#e0a100", label: "goAway" },
    "supervisor.rotating": { shape: "down", color: "#2f6fb3", label: "rotation" },
    "supervisor.exit": { shape: "cross", color: "#d35400", label: "connection ended (drop: orange, fatal/crash: red)" },
    "supervisor.reconnecting": { shape: "circle", color: "#e67e22", label: "reconnecting" },
    "supervisor.resumed": { shape: "up", color: "#27ae60", label: "resumed (red: state lost)" },
    "session.connect_failed": { shape: "square", color: "#c0392b", label: "dial failed" },
    "supervisor.handle_rejected": { shape: "diamond", color: "#c0392b", label: "handle rejected" },
    "supervisor.gave_up": { shape: "bigcross", color: "#111111", label: "gave up" },
    "session.closed": { shape: "square", color: "#1d2330", label: "closed" },
  };
  const WARN = { shape: "bang", color: "#e0a100", label: "other warning / error" };
  const OTHER = { shape: "circle", color: "#98a2ad", label: "other or unknown event" };
  const STROKED = { cross: true, bigcross: true };

  function esc(value) {
    return String(value).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
  }
  function styleOf(name, level, fields) {
    let s = STYLE[name];
    if (!s) s = level === "warning" || level === "error" || level === "critical" ? WARN : OTHER;
    let color = s.color;
    if (name === "session.turn_complete") {
      if (fields.cut) color = "#c0392b";
      else if (fields.interrupted) color = "#e0a100";
    } else if (name === "session.tool_result" && fields.outcome && fields.outcome !== "ok") {
      color = "#c0392b";
    } else if (name === "supervisor.exit") {
      const k = fields.kind;
      color = k === "fatal" || k === "crash" ? "#c0392b" : k === "transient" ? "#d35400" : "#7a8594";
    } else if (name === "supervisor.resumed" && fields.state_restored === false) {
      color = "#c0392b";
    }
    return { shape: s.shape, color: color };
  }
  function shapePath(shape, x, y) {
    x = Math.round(x * 10) / 10;
    switch (shape) {
      case "tick": return `M${x - 1.5},${y - 9}h3v18h-3z`;
      case "diamond": return `M${x},${y - 6}l5,6l-5,6l-5,-6z`;
      case "circle": return `M${x - 4},${y}a4,4 0 1,0 8,0a4,4 0 1,0 -8,0z`;
      case "cross": return `M${x - 4},${y - 4}l8,8m0,-8l-8,8`;
      case "bigcross": return `M${x - 7},${y - 7}l14,14m0,-14l-14,14`;
      case "down": return `M${x - 6},${y - 12}h12l-6,8z`;
      case "up": return `M${x - 6},${y + 12}h12l-6,-8z`;
      case "square": return `M${x - 4},${y - 4}h8v8h-8z`;
      default: return `M${x - 2},${y - 10}h4v11h-4zM${x - 2},${y + 4}h4v4h-4z`; // bang
    }
  }
  function shapeSvg(shape, color, x, y, extra) {
    const d = shapePath(shape, x, y);
    if (STROKED[shape]) return `<path d="${d}" stroke="${color}" stroke-width="2.5" fill="none"${extra}/>`;
    return `<path d="${d}" fill="${color}"${extra}/>`;
  }
  function endColor(kind) {
    if (kind === "open") return "#2f6fb3";
    if (kind === "transient" || kind === "superseded") return "#d35400";
    if (kind === "fatal" || kind === "crash" || kind === "connect_failed") return "#c0392b";
    if (kind === "planned") return "#2f6fb3";
    return "#5d6673";
  }

  // ------------------------------------------------------------------ time
  function clock(t, precise) {
    const iso = new Date((DATA.t0 + t) * 1000).toISOString();
    return iso.slice(11, precise ? 23 : 19);
  }
  function duration(s) {
    if (s < 1) return (s * 1000).toFixed(0) + " ms";
    if (s < 120) return s.toFixed(s < 10 ? 2 : 1) + " s";
    if (s < 7200) return (s / 60).toFixed(1) + " min";
    return (s / 3600).toFixed(1) + " h";
  }
  const FULL = { a: -DATA.span * 0.01, b: DATA.span * 1.01 };
  let view = { a: FULL.a, b: FULL.b };

  // ------------------------------------------------------------------ lanes
  const lanes = DATA.lanes.map(function (lane, i) {
    const row = document.createElement("div");
    row.className = "lane";
    row.dataset.index = String(i);
    row.dataset.session = lane.id;
    const label = document.createElement("div");
    label.className = "lane-label";
    label.title = lane.id + (lane.model ? " · " + lane.model : "") + " · double-click to zoom";
    const badge = document.createElement("span");
    badge.className = "badge " + lane.status;
    badge.textContent = lane.status;
    label.append(badge, document.createTextNode(lane.id));
    const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    svg.setAttribute("class", "lane-svg");
    row.append(label, svg);
    lanesEl.append(row);
    return { lane: lane, row: row, svg: svg, visible: false, drawn: "" };
  });

  function width() {
    return Math.max(axis.clientWidth, 100);
  }
  function lowerBound(marks, t) {
    let lo = 0, hi = marks.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (marks[mid][0] < t) lo = mid + 1; else hi = mid;
    }
    return lo;
  }
  function draw(L) {
    const w = width();
    const key = view.a + ":" + view.b + ":" + w;
    if (L.drawn === key) return;
    L.drawn = key;
    const k = w / (view.b - view.a);
    const x = (t) => (t - view.a) * k;
    const parts = [];
    L.lane.bars.forEach(function (b, j) {
      const s = b[0], r = b[1], e = b[2];
      if (e < view.a || s > view.b) return;
      const xs = Math.max(x(s), -10), xe = Math.min(Math.max(x(e), xs + 1), w + 10);
      const xr = r === null ? xe : Math.min(Math.max(x(r), xs), xe);
      parts.push(`<rect data-b="${j}" x="${xs.toFixed(1)}" y="8" width="${Math.max(xr - xs, 0.5).toFixed(1)}" height="10" fill="#b9d3ee"/>`);
      if (r !== null) parts.push(`<rect data-b="${j}" x="${xr.toFixed(1)}" y="8" width="${Math.max(xe - xr, 1).toFixed(1)}" height="10" fill="#4f8fd6"/>`);
      parts.push(`<rect data-b="${j}" x="${(xe - 2).toFixed(1)}" y="5" width="3" height="16" fill="${endColor(b[3])}"/>`);
    });
    const marks = L.lane.marks;
    const slack = (view.b - view.a) * 0.01;
    for (let j = lowerBound(marks, view.a - slack); j < marks.length && marks[j][0] <= view.b + slack; j++) {
      const m = marks[j];
      const st = styleOf(DATA.types[m[1]], m[3], m[4]);
      parts.push(shapeSvg(st.shape, st.color, x(m[0]), MID, ` data-m="${j}"`));
    }
    L.svg.innerHTML = parts.join("");
  }
  function drawAxis() {
    const w = width();
    const span = view.b - view.a;
    const steps = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30,
      60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];
    let step = steps[steps.length - 1];
    for (const s of steps) { if (span / s <= w / 110) { step = s; break; } }
    const parts = [];
    const abs0 = DATA.t0 + view.a;
    let t = Math.ceil(abs0 / step) * step - DATA.t0;
    for (; t <= view.b; t += step) {
      const px = ((t - view.a) / span) * w;
      parts.push(`<g class="tick"><line x1="${px.toFixed(1)}" x2="${px.toFixed(1)}" y1="18" y2="26"/>` +
        `<text x="${(px + 3).toFixed(1)}" y="14">${clock(t, step < 1)}</text></g>`);
    }
    axis.innerHTML = parts.join("");
    rangeEl.textContent = `${clock(view.a, true)} – ${clock(view.b, true)} UTC (${duration(span)})`;
  }
  function redraw() {
    drawAxis();
    for (const L of lanes) if (L.visible) draw(L);
  }
  function setView(a, b) {
    const min = 0.005;
    if (b - a < min) { const m = (a + b) / 2; a = m - min / 2; b = m + min / 2; }
    view = { a: a, b: b };
    redraw();
  }
  function zoomAt(fraction, factor) {
    const t = view.a + fraction * (view.b - view.a);
    setView(t - (t - view.a) * factor, t + (view.b - t) * factor);
  }

  const observer = new IntersectionObserver(function (entries) {
    for (const entry of entries) {
      const L = lanes[Number(entry.target.dataset.index)];
      L.visible = entry.isIntersecting;
      if (L.visible) draw(L);
    }
  }, { rootMargin: "300px 0px" });
  for (const L of lanes) observer.observe(L.row);

  // ---------------------------------------------------------------- tooltip
  function fieldRows(fields) {
    return Object.keys(fields).map(function (k) {
      const v = fields[k];
      const text = v !== null && typeof v === "object" ? JSON.stringify(v)
        : typeof v === "number" && !Number.isInteger(v) ? String(Number(v.toFixed(4))) : String(v);
      return `<tr><td>${esc(k)}</td><td>${esc(text)}</td></tr>`;
    }).join("");
  }
  function markTip(lane, j) {
    const m = lane.marks[j];
    const name = DATA.types[m[1]];
    return `<b>${esc(name)}</b> ${esc(clock(m[0], true))} UTC` +
      (m[2] !== null && m[2] !== undefined ? ` · connection #${esc(m[2])}` : "") +
      ` · ${esc(m[3])}<table>${fieldRows(m[4])}</table>`;
  }
  function barTip(lane, j) {
    const b = lane.bars[j];
    const rows = {
      started: clock(b[0], true) + " UTC",
      ready: b[1] === null ? "never" : "after " + duration(b[1] - b[0]),
      ended: b[3] === "open" ? "still open at the end of the log" : `${b[3]} at ${clock(b[2], true)} UTC`,
      lasted: duration(b[2] - b[0]),
    };
    return `<b>connection #${esc(b[4])}</b> of ${esc(lane.id)}<table>${fieldRows(rows)}</table>`;
  }
  function showTip(ev, content) {
    tip.innerHTML = content;
    tip.hidden = false;
    const pad = 14;
    let left = ev.clientX + pad, top = ev.clientY + pad;
    const r = tip.getBoundingClientRect();
    if (left + r.width > window.innerWidth) left = Math.max(0, ev.clientX - r.width - pad);
    if (top + r.height > window.innerHeight) top = Math.max(0, ev.clientY - r.height - pad);
    tip.style.left = left + "px";
    tip.style.top = top + "px";
  }
  function hideTip() { tip.hidden = true; }
  lanesEl.addEventListener("mousemove", function (ev) {
    if (drag) return;
    const target = ev.target;
    const row = target.closest ? target.closest(".lane") : null;
    if (!row) { hideTip(); return; }
    const lane = lanes[Number(row.dataset.index)].lane;
    const m = target.getAttribute("data-m"), b = target.getAttribute("data-b");
    if (m !== null) showTip(ev, markTip(lane, Number(m)));
    else if (b !== null) showTip(ev, barTip(lane, Number(b)));
    else hideTip();
  });
  lanesEl.addEventListener("mouseleave", hideTip);

  // ------------------------------------------------------------ zoom & pan
  function fractionOf(ev) {
    const r = axis.getBoundingClientRect();
    return Math.min(Math.max((ev.clientX - r.left) / r.width, 0), 1);
  }
  function onWheel(ev, always) {
    if (!always && !ev.ctrlKey) return;
    ev.preventDefault();
    zoomAt(fractionOf(ev), ev.deltaY > 0 ? 1.25 : 0.8);
  }
  axis.addEventListener("wheel", (ev) => onWheel(ev, true), { passive: false });
  lanesEl.addEventListener("wheel", (ev) => onWheel(ev, false), { passive: false });
  let drag = null;
  function startDrag(ev) {
    if (ev.button !== 0) return;
    drag = { x: ev.clientX, a: view.a, b: view.b };
    hideTip();
    ev.preventDefault();
  }
  axis.addEventListener("mousedown", startDrag);
  lanesEl.addEventListener("mousedown", function (ev) {
    if (ev.target.closest && ev.target.closest(".lane-svg")) startDrag(ev);
  });
  window.addEventListener("mousemove", function (ev) {
    if (!drag) return;
    const shift = ((ev.clientX - drag.x) / width()) * (drag.b - drag.a);
    setView(drag.a - shift, drag.b - shift);
  });
  window.addEventListener("mouseup", function () { drag = null; });
  lanesEl.addEventListener("dblclick", function (ev) {
    const label = ev.target.closest ? ev.target.closest(".lane-label") : null;
    if (!label) return;
    const lane = lanes[Number(label.parentNode.dataset.index)].lane;
    const pad = Math.max((lane.end - lane.start) * 0.03, 0.05);
    setView(lane.start - pad, lane.end + pad);
  });
  document.getElementById("zoom-in").addEventListener("click", () => zoomAt(0.5, 0.5));
  document.getElementById("zoom-out").addEventListener("click", () => zoomAt(0.5, 2));
  document.getElementById("zoom-reset").addEventListener("click", () => setView(FULL.a, FULL.b));
  window.addEventListener("resize", redraw);
  document.getElementById("lane-filter").addEventListener("input", function (ev) {
    const q = ev.target.value.trim().toLowerCase();
    for (const L of lanes) L.row.hidden = q !== "" && !L.lane.id.toLowerCase().includes(q);
  });

  // ------------------------------------------------------- legend, notes, table
  const legend = document.getElementById("legend");
  const bar = (fill, label) => `<span><svg width="22" height="12"><rect x="1" y="2" width="20" height="8" fill="${fill}"/></svg>${esc(label)}</span>`;
  let legendHtml = bar("#b9d3ee", "dialling / setup") + bar("#4f8fd6", "connection ready");
  for (const s of Object.values(STYLE).concat([WARN, OTHER])) {
    legendHtml += `<span><svg width="16" height="26" viewBox="0 0 16 26">${shapeSvg(s.shape, s.color, 8, 13, "")}</svg>${esc(s.label)}</span>`;
  }
  legend.innerHTML = legendHtml;
  const notes = document.getElementById("notes");
  for (const note of DATA.notes) {
    const div = document.createElement("div");
    div.textContent = note;
    notes.append(div);
  }
  document.getElementById("footer").textContent = DATA.footer;

  const COLUMNS = [["session_id", "session"], ["model", "model"], ["final_status", "status"],
    ["connections", "conns"], ["restarts", "restarts"], ["restarts_by_cause", "by cause"],
    ["downtime", "downtime s"], ["replayed", "replayed"], ["dropped", "dropped"],
    ["turns", "turns"], ["tokens", "tokens"], ["go_aways", "goAways"], ["rotations", "rotations"],
    ["tool_calls", "tool calls"], ["time_to_first_response_mean", "mean 1st response s"]];
  const table = document.getElementById("summary");
  function cell(v) {
    if (v === null || v === undefined) return ["", false];
    if (typeof v === "number") return [Number.isInteger(v) ? String(v) : v.toFixed(3), true];
    if (typeof v === "object") return [Object.entries(v).filter((e) => e[1]).map((e) => e[0] + " " + e[1]).join(", "), false];
    return [String(v), false];
  }
  let rows = DATA.summary.slice();
  let sortKey = null, sortDir = 1;
  function renderTable() {
    table.tHead.innerHTML = "<tr>" + COLUMNS.map((c) => `<th data-key="${c[0]}">${esc(c[1])}${sortKey === c[0] ? (sortDir > 0 ? " ▲" : " ▼") : ""}</th>`).join("") + "</tr>";
    table.tBodies[0].innerHTML = rows.map(function (r) {
      return "<tr>" + COLUMNS.map(function (c) {
        const v = cell(r[c[0]]);
        return `<td${v[1] ? ' class="num"' : ""}>${esc(v[0])}</td>`;
      }).join("") + "</tr>";
    }).join("");
  }
  table.tHead.addEventListener("click", function (ev) {
    const th = ev.target.closest("th");
    if (!th) return;
    const key = th.dataset.key;
    sortDir = sortKey === key ? -sortDir : 1;
    sortKey = key;
    rows.sort(function (p, q) {
      const a = p[key], b = q[key];
      if (typeof a === "number" && typeof b === "number") return (a - b) * sortDir;
      return String(cell(a)[0]).localeCompare(String(cell(b)[0])) * sortDir;
    });
    renderTable();
  });
  renderTable();
  drawAxis();
  window.liveActorTimeline = { lanes: lanes.length, view: () => ({ a: view.a, b: view.b }), zoomAt: zoomAt };
})();
