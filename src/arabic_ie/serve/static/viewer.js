// arabic-ie viewer: POST /v1/tag, then the text with its spans highlighted inline (right to left),
// one colour per type with a legend, and events (when the model gives them) as a table.
"use strict";

const PALETTE = ["#ffd54f", "#81d4fa", "#a5d6a7", "#f48fb1", "#ce93d8", "#ffab91", "#80cbc4", "#e6ee9c",
                 "#b0bec5", "#ffe0b2", "#9fa8da", "#c5e1a5", "#f8bbd0", "#b39ddb", "#90caf9", "#bcaaa4"];
const colours = new Map();
const $ = (id) => document.getElementById(id);

function colourOf(type) {
  if (!colours.has(type)) colours.set(type, PALETTE[colours.size % PALETTE.length]);
  return colours.get(type);
}

function headers() {
  const h = { "Content-Type": "application/json" };
  const key = $("key").value.trim();
  if (key) h["X-API-Key"] = key;
  return h;
}

async function describeModel() {
  try {
    const response = await fetch("/v1/model", { headers: headers() });
    const info = await response.json();
    if (!response.ok) { $("model").textContent = info.error || response.statusText; return; }
    $("model").textContent = `${info.name} ${info.version || ""} · licence: ${info.license || "unknown"}`;
    for (const types of Object.values(info.types || {})) for (const type of types) colourOf(type);
    renderLegend(info.types || {});
  } catch (err) { $("model").textContent = String(err); }
}

function renderLegend(typesByKey) {
  const legend = $("legend");
  legend.replaceChildren();
  for (const [key, types] of Object.entries(typesByKey)) {
    for (const type of types) {
      const item = document.createElement("span");
      item.className = "swatch" + (key === "triggers" ? " trigger" : "");
      item.dataset.type = type;
      item.style.background = colourOf(type);
      item.textContent = `${type} (${key})`;
      legend.appendChild(item);
    }
  }
}

// every list of {start, end, label} in a result is a span layer (entities, triggers, ...); events are a table
function spanLayers(result) {
  const spans = [];
  for (const [key, value] of Object.entries(result)) {
    if (key === "events" || !Array.isArray(value)) continue;
    for (const s of value) {
      if (s && Number.isInteger(s.start) && Number.isInteger(s.end) && s.label) spans.push({ ...s, key });
    }
  }
  return spans.sort((a, b) => a.start - b.start || b.end - a.end);
}

// Offsets are in Python characters (code points); JavaScript strings index UTF-16 units.
function unitIndex(text) {
  const index = [0];
  let units = 0;
  for (const ch of text) { units += ch.length; index.push(units); }
  return index;
}

function renderText(text, result) {
  const output = $("output");
  output.replaceChildren();
  const at = unitIndex(text);
  let position = 0, overlapping = 0;
  const seen = {};
  for (const span of spanLayers(result)) {
    seen[span.key] = (seen[span.key] || 0) + 1;
    if (span.start < position) { overlapping += 1; continue; }
    output.appendChild(document.createTextNode(text.slice(at[position], at[span.start])));
    const mark = document.createElement("mark");
    mark.className = span.key === "triggers" ? "trigger" : "entity";
    mark.dataset.type = span.label;
    mark.dataset.key = span.key;
    mark.style.background = colourOf(span.label);
    mark.title = `${span.label} (${span.key})` + (span.score !== undefined ? ` score ${span.score}` : "");
    mark.textContent = text.slice(at[span.start], at[span.end]);
    output.appendChild(mark);
    position = span.end;
  }
  output.appendChild(document.createTextNode(text.slice(at[position])));
  const counts = Object.entries(seen).map(([k, n]) => `${n} ${k}`).join(", ") || "no spans";
  $("notes").textContent = counts + (overlapping ? `; ${overlapping} overlapping span(s) not shown inline` : "");
}

function describe(value) {
  if (value === null || value === undefined) return "";
  if (typeof value !== "object") return String(value);
  if (Array.isArray(value)) return value.map(describe).join("; ");
  if (value.text !== undefined) return (value.role ? value.role + ": " : "") + value.text + (value.label ? ` (${value.label})` : "");
  return JSON.stringify(value);
}

function renderEvents(events) {
  const section = $("events-section");
  if (!Array.isArray(events)) { section.hidden = true; return; }
  const columns = [];
  for (const event of events) for (const key of Object.keys(event)) if (!columns.includes(key)) columns.push(key);
  const head = document.createElement("tr");
  for (const key of columns) { const th = document.createElement("th"); th.textContent = key; head.appendChild(th); }
  $("events").tHead.replaceChildren(head);
  const body = $("events").tBodies[0];
  body.replaceChildren();
  for (const event of events) {
    const row = document.createElement("tr");
    for (const key of columns) {
      const td = document.createElement("td");
      td.textContent = describe(event[key]);
      if (/[\u0600-\u06FF]/.test(td.textContent)) td.className = "arabic";
      row.appendChild(td);
    }
    body.appendChild(row);
  }
  section.hidden = false;
}

async function tag() {
  const text = $("text").value;
  $("status").textContent = "tagging…";
  try {
    const response = await fetch("/v1/tag", { method: "POST", headers: headers(), body: JSON.stringify({ text }) });
    const data = await response.json();
    if (!response.ok) { $("status").textContent = data.error || response.statusText; return; }
    renderText(text, data.result);
    renderEvents(data.result.events);
    $("status").textContent = "";
    document.body.dataset.tagged = "true";
  } catch (err) { $("status").textContent = String(err); }
}

$("tag").addEventListener("click", tag);
$("file").addEventListener("change", async (event) => {
  const file = event.target.files[0];
  if (!file) return;
  $("text").value = await file.text();
  tag();
});
$("key").addEventListener("change", describeModel);
describeModel();
