(function () {
  "use strict";
  var form = document.getElementById("filter");
  if (!form || !document.querySelectorAll) {
    return;
  }
  var boxes = Array.prototype.slice.call(form.querySelectorAll("input[data-filter]"));
  var status = document.getElementById("filter-status");
  var each = function (sel, fn) { Array.prototype.forEach.call(document.querySelectorAll(sel), fn); };
  function apply() {
    var show = {};
    boxes.forEach(function (b) { show[b.value] = b.checked; });
    var shown = 0, total = 0;
    each("[data-result]", function (el) {
      var on = show[el.getAttribute("data-status")] === true;
      el.hidden = !on;
      if (el.tagName === "TR") {
        total++;
        if (on) { shown++; }
      }
    });
    each("[data-control]", function (c) { c.hidden = !c.querySelector("tr[data-result]:not([hidden])"); });
    each("section.group[data-group]", function (g) { g.hidden = !g.querySelector("[data-control]:not([hidden])"); });
    each("section.framework[data-group]", function (g) { g.hidden = !g.querySelector("section.group:not([hidden])"); });
    status.textContent = "Showing " + shown + " of " + total + " results.";
  }
  function set(fn) {
    boxes.forEach(function (b) { b.checked = fn(b.value); });
    apply();
  }
  boxes.forEach(function (b) { b.addEventListener("change", apply); });
  document.getElementById("filter-all").addEventListener("click", function () { set(function () { return true; }); });
  document.getElementById("filter-problems").addEventListener("click", function () {
    set(function (v) { return v !== "satisfied"; });
  });
  // Everything is open without scripts; with them, start collapsed.
  each("details.how", function (d) { d.open = false; });
  form.hidden = false;
  apply();
  // Print every detail, whatever is collapsed on screen.
  var opened = [];
  window.addEventListener("beforeprint", function () {
    each("details:not([open])", function (d) { d.open = true; opened.push(d); });
  });
  window.addEventListener("afterprint", function () {
    opened.forEach(function (d) { d.open = false; });
    opened = [];
  });
}());
