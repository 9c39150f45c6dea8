// Filters the requirement table by area, level and verdict; runs once the page has loaded.
(function () {
  "use strict";
  var table = document.getElementById("requirements");
  var rows = Array.prototype.slice.call(table.querySelectorAll("tbody tr.requirement"));
  var selects = Array.prototype.slice.call(document.querySelectorAll("select[data-filter]"));
  var shown = document.getElementById("shown-count");
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
  selects.forEach(function (select) { select.addEventListener("change", apply); });
  apply();
  // Tells a reader (and the browser test) that the filters are live.
  table.setAttribute("data-filters-ready", "true");
})();
