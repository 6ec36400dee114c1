(function () {
  "use strict";
  // Filters work on rows and on one class of the table, never on cells:
  // each row carries its statuses as one letter per control (data-o), and
  // the style sheet hides the columns a scope leaves out.
  var form = document.getElementById("filter");
  var table = document.getElementById("fleet");
  if (!form || !table) {
    return;
  }
  var outcome = document.getElementById("f-outcome");
  var scope = document.getElementById("f-scope");
  var search = document.getElementById("f-search");
  var status = document.getElementById("filter-status");
  var rows = Array.prototype.slice.call(table.querySelectorAll("tbody>tr"));
  var bodies = Array.prototype.slice.call(table.tBodies);
  var codes = rows.map(function (r) { return r.getAttribute("data-o") || ""; });
  var texts = null; // built on the first search
  function text(r) {
    var c = r.cells, s = "";
    for (var i = 1; i < 5 && i < c.length; i++) { s += "\n" + c[i].textContent.toLowerCase() + "\n" + c[i].title.toLowerCase(); }
    return s;
  }
  function apply() {
    var o = outcome.value, opt = scope.options[scope.selectedIndex];
    var a = 0, z = Infinity;
    if (opt && opt.value) {
      a = Number(opt.getAttribute("data-a"));
      z = Number(opt.getAttribute("data-z"));
    }
    table.className = opt ? opt.value : "";
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
    // A group of rows with none shown goes too, so that it keeps no
    // room while off screen.
    bodies.forEach(function (b) {
      var any = false;
      for (var r = b.firstElementChild; r && !any; r = r.nextElementSibling) { any = !r.hidden; }
      if (b.hidden === any) { b.hidden = !any; }
    });
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
