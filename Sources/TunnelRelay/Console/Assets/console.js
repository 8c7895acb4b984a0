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

// A session's sentences as the watch and replay pages show them: a table row each, the
// transcript as text, the filter, and the download. Lines come from the session: they are
// only ever set as text.
var Sentences = {
  arrow: function (direction) { return direction === "to_device" ? "→ BMS" : "← BMS"; },
  clock: function (at) { return new Date(at).toISOString().slice(11, 23); },
  text: function (sentence) {
    return Sentences.clock(sentence.at) + " " + Sentences.arrow(sentence.direction) + " " + sentence.line + "  " + sentence.meaning;
  },
  // A sentence from the relay's JSON, or null when it is not one.
  checked: function (sentence) {
    if (!sentence || typeof sentence.line !== "string" || typeof sentence.at !== "number") { return null; }
    sentence.name = String(sentence.name || "");
    sentence.meaning = String(sentence.meaning || "");
    return sentence;
  },
  // A row of cells; a cell given as an element is put in as it is.
  row: function (sentence, cells) {
    var row = document.createElement("tr");
    row.setAttribute("class", sentence.direction === "to_device" ? "to-device" : "from-device");
    cells.forEach(function (value) {
      var cell = document.createElement("td");
      if (typeof value === "string") { cell.textContent = value; } else { cell.appendChild(value); }
      row.appendChild(cell);
    });
    return row;
  },
  matches: function (row, filter) {
    var wanted = filter.value.trim().toLowerCase();
    return wanted === "" || row.textContent.toLowerCase().indexOf(wanted) !== -1;
  },
  download: function (sentences) {
    var link = document.createElement("a");
    link.href = URL.createObjectURL(new Blob([sentences.map(Sentences.text).join("\n") + "\n"], { type: "text/plain" }));
    link.download = "session-transcript.txt";
    document.body.appendChild(link);
    link.click();
    link.remove();
  }
};

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

  function describe() {
    var words = kept.length + " sentences";
    if (paused) { words += ", paused with " + held.length + " held back"; }
    if (ended) { words += ". The session ended."; }
    state.textContent = words;
  }
  function show(sentence) {
    var row = Sentences.row(sentence, [
      Sentences.clock(sentence.at), Sentences.arrow(sentence.direction), sentence.name, sentence.line, sentence.meaning
    ]);
    row.hidden = !Sentences.matches(row, filter);
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
    Array.prototype.forEach.call(body.children, function (row) { row.hidden = !Sentences.matches(row, filter); });
  });
  section.querySelector("[data-watch-download]").addEventListener("click", function () { Sentences.download(kept); });

  var source = new EventSource(section.getAttribute("data-watch"));
  source.addEventListener("sentence", function (event) {
    var sentence;
    try { sentence = Sentences.checked(JSON.parse(event.data)); } catch (error) { return; }
    if (!sentence) { return; }
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

// Replaying a recorded session (section[data-replay]): the capture's sentences appear as they
// did, at the chosen speed, with idle pauses cut short if asked. The position is a link
// (#t=<seconds from the start>); opening one, or a row's "At" link, goes to that moment.
document.addEventListener("DOMContentLoaded", function () {
  var section = document.querySelector("section[data-replay]");
  if (!section || !window.fetch) { return; }
  var IDLE_MS = 1000, TICK_MS = 50;
  var sentences = [], rows = [], shown = 0, cursor = 0, duration = 0, start = 0;
  var playing = false, timer = null, lastTick = 0;
  var state = section.querySelector("[data-replay-state]");
  var body = section.querySelector("[data-sentences]");
  var play = section.querySelector("[data-replay-play]");
  var speed = section.querySelector("[data-replay-speed]");
  var skip = section.querySelector("[data-replay-skip]");
  var seekBar = section.querySelector("[data-replay-seek]");
  var position = section.querySelector("[data-replay-position]");
  var link = section.querySelector("[data-replay-link]");
  var filter = section.querySelector("[data-replay-filter]");

  function offset(index) { return sentences[index].at - start; }
  function moment(ms) { return "#t=" + (ms / 1000).toFixed(3); }
  function clockOf(ms) {
    var minutes = Math.floor(ms / 60000), rest = ms - minutes * 60000;
    var seconds = (rest / 1000).toFixed(3);
    return minutes + ":" + (rest < 10000 ? "0" : "") + seconds;
  }
  // How many sentences happened at or before `ms` from the start.
  function countAt(ms) {
    var low = 0, high = sentences.length;
    while (low < high) {
      var middle = (low + high) >> 1;
      if (offset(middle) <= ms) { low = middle + 1; } else { high = middle; }
    }
    return low;
  }
  function showUpTo(count) {
    var index;
    if (shown > 0) { rows[shown - 1].classList.remove("current"); }
    for (index = shown; index < count; index++) { rows[index].hidden = !Sentences.matches(rows[index], filter); }
    for (index = count; index < shown; index++) { rows[index].hidden = true; }
    shown = count;
    if (shown > 0) {
      rows[shown - 1].classList.add("current");
      if (playing) { rows[shown - 1].scrollIntoView({ block: "nearest" }); }
    }
  }
  function seek(ms) {
    cursor = Math.max(0, Math.min(duration, ms));
    showUpTo(countAt(cursor));
    seekBar.value = String(Math.round(cursor));
    position.textContent = clockOf(cursor) + " / " + clockOf(duration) + " (" + shown + " of " + sentences.length + " sentences)";
    link.setAttribute("href", moment(cursor));
  }
  function stop() {
    playing = false;
    if (timer) { clearInterval(timer); timer = null; }
    play.textContent = "Play";
  }
  function tick() {
    var now = performance.now();
    var next = cursor + (now - lastTick) * Number(speed.value);
    lastTick = now;
    if (skip.checked && shown < sentences.length) {
      var before = shown > 0 ? offset(shown - 1) : 0, after = offset(shown);
      if (after - before > IDLE_MS && next > before + IDLE_MS && next < after) { next = after; }
    }
    seek(next);
    if (cursor >= duration) { stop(); }
  }
  function goTo(hash) {
    var match = /^#t=(\d+(?:\.\d+)?)$/.exec(hash);
    if (!match || sentences.length === 0) { return false; }
    stop();
    seek(Number(match[1]) * 1000);
    if (shown > 0) { rows[shown - 1].scrollIntoView({ block: "center" }); }
    return true;
  }

  play.addEventListener("click", function () {
    if (playing) { stop(); return; }
    if (cursor >= duration) { seek(0); }
    playing = true;
    play.textContent = "Pause";
    lastTick = performance.now();
    timer = setInterval(tick, TICK_MS);
  });
  seekBar.addEventListener("input", function () { seek(Number(seekBar.value)); });
  filter.addEventListener("input", function () {
    rows.forEach(function (row, index) { row.hidden = index >= shown || !Sentences.matches(row, filter); });
  });
  section.querySelector("[data-replay-download]").addEventListener("click", function () { Sentences.download(sentences); });
  window.addEventListener("hashchange", function () { goTo(location.hash); });

  fetch(section.getAttribute("data-replay"), { credentials: "same-origin" }).then(function (response) {
    if (!response.ok) { throw new Error("the relay answered " + response.status); }
    return response.json();
  }).then(function (replay) {
    sentences = (Array.isArray(replay.sentences) ? replay.sentences : []).map(Sentences.checked).filter(Boolean);
    if (sentences.length === 0) { state.textContent = "The capture holds no sentence."; return; }
    start = sentences[0].at;
    duration = offset(sentences.length - 1);
    rows = sentences.map(function (sentence, index) {
      var at = document.createElement("a");
      at.setAttribute("href", moment(offset(index)));
      at.textContent = "+" + (offset(index) / 1000).toFixed(3) + " s";
      var row = Sentences.row(sentence, [
        Sentences.clock(sentence.at), at, Sentences.arrow(sentence.direction), sentence.name, sentence.line, sentence.meaning
      ]);
      row.hidden = true;
      return row;
    });
    var fragment = document.createDocumentFragment();
    rows.forEach(function (row) { fragment.appendChild(row); });
    body.appendChild(fragment);
    var words = sentences.length + " sentences over " + clockOf(duration) + "; " + replay.bytesToDevice + " bytes to the BMS, " +
      replay.bytesFromDevice + " from it.";
    if (replay.truncated) { words += " The capture is longer: these are its first " + sentences.length + " sentences; download it for the rest."; }
    if (replay.unreadable > 0) { words += " " + replay.unreadable + " lines of the file were not capture records and were skipped."; }
    state.textContent = words;
    seekBar.max = String(duration);
    seekBar.disabled = false;
    play.disabled = false;
    if (!goTo(location.hash)) { seek(0); }
  }).catch(function (error) {
    state.textContent = "The capture could not be loaded: " + error.message + ". Reload to try again.";
  });
});
