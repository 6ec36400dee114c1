(function () {
  "use strict";
  // Filters work on rows and on one class of the table, never on cells:
  // each row carries its statuses as one letter per control (data-o), and
  // the style sheet hides the columns a scope leaves out.
  var form = document.getElementById("filter");
  var table = document.getElementById("fleet");
  if (!form || !table || !table.tBodies.length) {
    return;
  }
  var outcome = document.getElementById("f-outcome");
  var scope = document.getElementById("f-scope");
  var search = document.getElementById("f-search");
  var status = document.getElementById("filter-status");
  var rows = Array.prototype.slice.call(table.tBodies[0].rows);
  var codes = rows.map(function (r) { return r.getAttribute("data-o") || ""; });
  var texts = null; // built on the first search
  var groups = Array.prototype.slice.call(table.querySelectorAll("tr.f>th.g"));
  function text(r) {
    var c = r.cells, s = "";
    for (var i = 1; i < 5 && i < c.length; i++) { s += "\n" + c[i].textContent.toLowerCase(); }
    return s;
  }
  function apply() {
    var o = outcome.value, opt = scope.options[scope.selectedIndex];
    var a = 0, z = Infinity, g = -1;
    if (opt && opt.value) {
      a = Number(opt.getAttribute("data-a"));
      z = Number(opt.getAttribute("data-z"));
      g = Number(opt.getAttribute("data-g"));
    }
    table.className = opt ? opt.value : "";
    groups.forEach(function (th, i) {
      th.colSpan = (g === i) ? Math.min(z - a, Number(th.getAttribute("data-span"))) : Number(th.getAttribute("data-span"));
    });
    var q = search.value.trim().toLowerCase();
    if (q && !texts) { texts = rows.map(text); }
    var shown = 0;
    for (var i = 0; i < rows.length; i++) {
      var show = true;
      if (o) {
        var s = codes[i].slice(a, z);
        show = o === "problem" ? /[^s]/.test(s) : s.indexOf(o) >= 0;
      }
      if (show && q) { show = texts[i].indexOf(q) >= 0; }
      if (rows[i].hidden === show) { rows[i].hidden = !show; }
      if (show) { shown++; }
    }
    status.textContent = "Showing " + shown + " of " + rows.length + " devices.";
  }
  var timer = 0;
  outcome.addEventListener("change", apply);
  scope.addEventListener("change", apply);
  search.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(apply, 120);
  });
  form.addEventListener("submit", function (e) { e.preventDefault(); apply(); });
  document.getElementById("f-reset").addEventListener("click", function () {
    outcome.value = "";
    scope.value = "";
    search.value = "";
    apply();
  });
  form.hidden = false;
  apply();
}());
