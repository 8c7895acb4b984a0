// Live presence: the rows on the page (data-device-id) follow the relay's server-sent
// events.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var rows = document.querySelectorAll("[data-device-id]");
  if (rows.length === 0 || !window.EventSource) { return; }
  var ids = [];
  rows.forEach(function (row) { ids.push(row.getAttribute("data-device-id")); });
  var source = new EventSource("/console/events/presence?ids=" + encodeURIComponent(ids.join(",")));
  source.addEventListener("presence", function (event) {
    var change = JSON.parse(event.data);
    rows.forEach(function (row) {
      if (row.getAttribute("data-device-id") !== change.id) { return; }
      var cell = row.querySelector("[data-presence]");
      if (cell) {
        var state = change.online ? "online" : "offline";
        cell.textContent = state;
        cell.className = "presence " + state;
      }
      var seen = row.querySelector("[data-last-seen]");
      if (seen && change.lastSeen) { seen.textContent = change.lastSeen; }
    });
  });
});

// Live telemetry on a device's page (section[data-telemetry]): the latest values, grouped as an
// engineer reads a pack, every value in a table, and a small chart per chosen key over the last
// 15 minutes, from the relay's server-sent events. Keys and values come from the device: they
// are only ever set as text.
document.addEventListener("DOMContentLoaded", function () {
  var section = document.querySelector("section[data-telemetry]");
  if (!section || !window.EventSource) { return; }
  var WINDOW_MS = 15 * 60 * 1000, MAX_POINTS = 2000, MAX_KEYS = 512;
  var READINGS = [
    ["Pack voltage", "packVoltage", " V"], ["Current", "current", " A"], ["State of charge", "soc", " %"],
    ["State of health", "soh", " %"], ["Cell voltage min", "minCellVoltage", " V"], ["Cell voltage max", "maxCellVoltage", " V"],
    ["Cell spread", "cellSpread", " V"], ["Cell temperature min", "minCellTemperature", " °C"],
    ["Cell temperature max", "maxCellTemperature", " °C"], ["Module temperature max", "maxModuleTemperature", " °C"]];
  // No prototype: a key named "__proto__" is a key like any other.
  var values = Object.create(null), series = Object.create(null), chosen = Object.create(null);
  chosen.packVoltage = chosen.current = chosen.soc = true;
  var keyCount = 0, latestTs = 0, pending = false;
  var state = section.querySelector("[data-telemetry-state]");
  var readings = section.querySelector("[data-readings]");
  var keysBox = section.querySelector("[data-chart-keys]");
  var charts = section.querySelector("[data-charts]");
  var rows = section.querySelector("[data-telemetry-rows]");
  var firmware = document.querySelector("[data-firmware]");

  function element(name, text, className) {
    var made = document.createElement(name);
    if (text !== undefined) { made.textContent = text; }
    if (className) { made.setAttribute("class", className); }
    return made;
  }
  function svg(name) { return document.createElementNS("http://www.w3.org/2000/svg", name); }
  function shown(value) { return typeof value === "string" ? value : JSON.stringify(value); }
  function number(value) { return typeof value === "number" && isFinite(value) ? value : null; }

  function renderReadings() {
    var cards = [];
    var low = number((values.minCellVoltage || {}).value), high = number((values.maxCellVoltage || {}).value);
    READINGS.forEach(function (reading) {
      var text = null;
      if (reading[1] === "cellSpread") {
        if (low !== null && high !== null) { text = (high - low).toFixed(3) + reading[2]; }
      } else if (values[reading[1]]) {
        text = shown(values[reading[1]].value) + reading[2];
      }
      if (text !== null) { cards.push([reading[0], text, ""]); }
    });
    var faults = Object.keys(values).filter(function (key) {
      return key.indexOf("protection") === 0 && (values[key].value === true || values[key].value === 1);
    });
    if (Object.keys(values).some(function (key) { return key.indexOf("protection") === 0; })) {
      cards.push(["Faults", faults.length ? faults.join(", ") : "none", faults.length ? "fault" : ""]);
    }
    readings.replaceChildren.apply(readings, cards.map(function (card) {
      var box = element("div", undefined, card[2]);
      box.appendChild(element("dt", card[0]));
      box.appendChild(element("dd", card[1]));
      return box;
    }));
  }

  function renderKeys() {
    var numeric = Object.keys(series).sort();
    if (numeric.length === keysBox.childElementCount) { return; }
    keysBox.replaceChildren.apply(keysBox, numeric.map(function (key, index) {
      var label = element("label");
      var box = element("input");
      box.type = "checkbox";
      box.id = "chart-key-" + index;
      box.checked = !!chosen[key];
      box.addEventListener("change", function () { chosen[key] = box.checked; render(); });
      label.appendChild(box);
      label.appendChild(document.createTextNode(" " + key));
      return label;
    }));
  }

  function renderCharts() {
    // The time axis spans what arrived, up to the window: a new page's chart fills its width.
    var start = latestTs;
    Object.keys(series).forEach(function (key) { start = Math.min(start, series[key][0][0]); });
    start = Math.max(start, latestTs - WINDOW_MS);
    var width = Math.max(latestTs - start, 1000);
    charts.replaceChildren.apply(charts, Object.keys(series).sort().filter(function (key) { return chosen[key]; }).map(function (key) {
      var points = series[key];
      var low = Infinity, high = -Infinity;
      points.forEach(function (point) { low = Math.min(low, point[1]); high = Math.max(high, point[1]); });
      var span = high - low;
      var figure = element("figure");
      figure.setAttribute("data-chart", key);
      figure.appendChild(element("figcaption", key + ": " + points[points.length - 1][1] + " (" + low + " to " + high + ", " + points.length + " points)"));
      var picture = svg("svg");
      picture.setAttribute("viewBox", "0 0 1000 100");
      picture.setAttribute("preserveAspectRatio", "none");
      picture.setAttribute("role", "img");
      picture.setAttribute("aria-label", key + " over the last 15 minutes");
      var line = svg("polyline");
      line.setAttribute("points", points.map(function (point) {
        var y = span > 0 ? 95 - (point[1] - low) / span * 90 : 50;
        return ((point[0] - start) / width * 1000).toFixed(1) + "," + y.toFixed(1);
      }).join(" "));
      picture.appendChild(line);
      figure.appendChild(picture);
      return figure;
    }));
  }

  function renderRows() {
    rows.replaceChildren.apply(rows, Object.keys(values).sort().map(function (key) {
      var row = element("tr");
      row.appendChild(element("td", key));
      row.appendChild(element("td", shown(values[key].value)));
      row.appendChild(element("td", new Date(values[key].ts).toISOString()));
      return row;
    }));
  }

  function render() {
    pending = false;
    state.textContent = "Last values read at " + new Date(latestTs).toISOString() + " (" + keyCount + " keys).";
    if (firmware && values.firmwareVersion) { firmware.textContent = shown(values.firmwareVersion.value); }
    renderReadings();
    renderKeys();
    renderCharts();
    renderRows();
  }

  var source = new EventSource(section.getAttribute("data-telemetry"));
  source.addEventListener("record", function (event) {
    var record;
    try { record = JSON.parse(event.data); } catch (error) { return; }
    if (!record || typeof record.ts !== "number" || typeof record.values !== "object" || record.values === null) { return; }
    latestTs = Math.max(latestTs, record.ts);
    Object.keys(record.values).forEach(function (key) {
      if (!(key in values)) {
        if (keyCount >= MAX_KEYS) { return; }
        keyCount += 1;
      }
      var value = record.values[key];
      values[key] = { value: value, ts: record.ts };
      if (number(value) === null) { return; }
      var points = series[key] || (series[key] = []);
      points.push([record.ts, value]);
      while (points.length && (points.length > MAX_POINTS || points[0][0] < latestTs - WINDOW_MS)) { points.shift(); }
      if (points.length === 0) { delete series[key]; }
    });
    if (!pending) { pending = true; setTimeout(render, 250); }
  });
});

// Watching a session (section[data-watch]): each G1 sentence that crosses the relay, with its
// direction, time, name and meaning, as the relay's server-sent events bring them. Pause holds
// them back, the filter hides rows that do not contain its text, and the transcript is every
// sentence kept, as text. Lines come from the session: they are only ever set as text.
document.addEventListener("DOMContentLoaded", function () {
  var section = document.querySelector("section[data-watch]");
  if (!section || !window.EventSource) { return; }
  var MAX_ROWS = 2000, MAX_KEPT = 20000;
  var kept = [], held = [], paused = false, ended = false;
  var body = section.querySelector("[data-sentences]");
  var state = section.querySelector("[data-watch-state]");
  var watchers = section.querySelector("[data-watchers]");
  var pause = section.querySelector("[data-watch-pause]");
  var filter = section.querySelector("[data-watch-filter]");

  function arrow(direction) { return direction === "to_device" ? "→ BMS" : "← BMS"; }
  function clock(at) { return new Date(at).toISOString().slice(11, 23); }
  function text(sentence) {
    return clock(sentence.at) + " " + arrow(sentence.direction) + " " + sentence.line + "  " + sentence.meaning;
  }
  function matches(row) {
    var wanted = filter.value.trim().toLowerCase();
    return wanted === "" || row.textContent.toLowerCase().indexOf(wanted) !== -1;
  }
  function describe() {
    var words = kept.length + " sentences";
    if (paused) { words += ", paused with " + held.length + " held back"; }
    if (ended) { words += ". The session ended."; }
    state.textContent = words;
  }
  function show(sentence) {
    var row = document.createElement("tr");
    row.setAttribute("class", sentence.direction === "to_device" ? "to-device" : "from-device");
    [clock(sentence.at), arrow(sentence.direction), sentence.name, sentence.line, sentence.meaning].forEach(function (value) {
      var cell = document.createElement("td");
      cell.textContent = value;
      row.appendChild(cell);
    });
    row.hidden = !matches(row);
    body.appendChild(row);
    while (body.childElementCount > MAX_ROWS) { body.removeChild(body.firstElementChild); }
  }

  pause.addEventListener("click", function () {
    paused = !paused;
    pause.textContent = paused ? "Resume" : "Pause";
    if (!paused) { held.forEach(show); held = []; }
    describe();
  });
  filter.addEventListener("input", function () {
    Array.prototype.forEach.call(body.children, function (row) { row.hidden = !matches(row); });
  });
  section.querySelector("[data-watch-download]").addEventListener("click", function () {
    var link = document.createElement("a");
    link.href = URL.createObjectURL(new Blob([kept.map(text).join("\n") + "\n"], { type: "text/plain" }));
    link.download = "session-transcript.txt";
    document.body.appendChild(link);
    link.click();
    link.remove();
  });

  var source = new EventSource(section.getAttribute("data-watch"));
  source.addEventListener("sentence", function (event) {
    var sentence;
    try { sentence = JSON.parse(event.data); } catch (error) { return; }
    if (!sentence || typeof sentence.line !== "string" || typeof sentence.at !== "number") { return; }
    sentence.name = String(sentence.name || "");
    sentence.meaning = String(sentence.meaning || "");
    kept.push(sentence);
    if (kept.length > MAX_KEPT) { kept.shift(); }
    if (paused) {
      held.push(sentence);
      if (held.length > MAX_ROWS) { held.shift(); }
    } else {
      show(sentence);
    }
    describe();
  });
  source.addEventListener("watchers", function (event) {
    var names;
    try { names = JSON.parse(event.data); } catch (error) { return; }
    if (Array.isArray(names)) { watchers.textContent = names.length ? names.map(String).join(", ") : "nobody"; }
    if (!ended && kept.length === 0) { state.textContent = "Watching: no sentence yet."; }
  });
  source.addEventListener("ended", function () {
    ended = true;
    source.close();
    describe();
  });
  source.addEventListener("error", function () {
    // Refused (the session is not running here, or the sign-in ended): the browser gives up.
    if (source.readyState === EventSource.CLOSED && !ended) {
      state.textContent = "Not watching: the session is not running on this relay node, or you were signed out. Reload to try again.";
    }
  });
});
