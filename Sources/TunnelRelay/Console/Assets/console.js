// Live presence: the rows on the page (data-device-id) follow the relay's server-sent
// events; nothing else runs in the browser.
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
