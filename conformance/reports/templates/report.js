// Filters the requirement table by area, level and verdict. The filter also lives in the
// URL fragment (report.html#verdict=fail&level=MUST), so a link can open a filtered view.
(function () {
  "use strict";
  var table = document.getElementById("requirements");
  var rows = Array.prototype.slice.call(table.querySelectorAll("tbody tr.requirement"));
  var selects = Array.prototype.slice.call(document.querySelectorAll("select[data-filter]"));
  var shown = document.getElementById("shown-count");
  function fromHash() {
    var wanted = {};
    location.hash.replace(/^#/, "").split("&").forEach(function (pair) {
      var parts = pair.split("=");
      if (parts.length === 2) { wanted[decodeURIComponent(parts[0])] = decodeURIComponent(parts[1]); }
    });
    selects.forEach(function (select) {
      var value = wanted[select.getAttribute("data-filter")] || "";
      var known = Array.prototype.some.call(select.options, function (o) { return o.value === value; });
      select.value = known ? value : "";
    });
  }
  function toHash() {
    var parts = selects.filter(function (s) { return s.value; }).map(function (s) {
      return encodeURIComponent(s.getAttribute("data-filter")) + "=" + encodeURIComponent(s.value);
    });
    history.replaceState(null, "", parts.length ? "#" + parts.join("&") : location.pathname + location.search);
  }
  function apply() {
    var visible = 0;
    rows.forEach(function (row) {
      var match = selects.every(function (select) {
        return !select.value || row.getAttribute("data-" + select.getAttribute("data-filter")) === select.value;
      });
      row.hidden = !match;
      if (match) { visible += 1; }
    });
    shown.textContent = "Showing " + visible + " of " + rows.length + " requirements";
    shown.setAttribute("data-visible", String(visible));
  }
  selects.forEach(function (select) {
    select.addEventListener("change", function () { toHash(); apply(); });
  });
  window.addEventListener("hashchange", function () { fromHash(); apply(); });
  fromHash();
  apply();
  // Tells a reader (and the browser test) that the filters are live.
  table.setAttribute("data-filters-ready", "true");
})();
