/* Referral pages: live acceptance / arrival clocks, the facility search on the referral form.
   No inline script (CSP). The server renders every clock correctly; this only keeps it ticking. */
(function () {
  "use strict";

  var TICK_MS = 15000;
  var NEAR = 0.75; // amber at three quarters of the target (as referrals/views.py)

  function fill(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_, key) {
      return values[key] === undefined ? "" : String(values[key]);
    });
  }

  function duration(minutes, fmt) {
    minutes = Math.max(0, Math.floor(minutes));
    if (minutes < 60) { return fill(fmt.m, { m: minutes }); }
    if (minutes < 24 * 60 && minutes % 60 === 0) { return fill(fmt.h, { h: minutes / 60 }); }
    if (minutes < 24 * 60) { return fill(fmt.hm, { h: Math.floor(minutes / 60), m: minutes % 60 }); }
    return fill(fmt.dh, { d: Math.floor(minutes / 1440), h: Math.floor((minutes % 1440) / 60) });
  }

  function initClocks() {
    var source = document.getElementById("clock-formats");
    var clocks = document.querySelectorAll("[data-clock][data-start][data-target]");
    if (!source || !clocks.length) { return; }
    var fmt = {
      m: source.getAttribute("data-fmt-m"),
      h: source.getAttribute("data-fmt-h"),
      hm: source.getAttribute("data-fmt-hm"),
      dh: source.getAttribute("data-fmt-dh"),
      within: source.getAttribute("data-fmt-within"),
      over: source.getAttribute("data-fmt-over")
    };
    // Follow the server's clock, not the tablet's: offset measured when the page loaded.
    var serverNow = Date.parse(source.getAttribute("data-now"));
    var offset = isNaN(serverNow) ? 0 : serverNow - Date.now();

    function update() {
      var now = Date.now() + offset;
      clocks.forEach(function (clock) {
        var start = Date.parse(clock.getAttribute("data-start"));
        var target = Number(clock.getAttribute("data-target"));
        if (isNaN(start) || !target) { return; }
        var elapsed = (now - start) / 1000;
        var state, text;
        if (elapsed > target) {
          state = "over";
          text = fill(fmt.over, { over: duration(Math.max(1, Math.floor(elapsed / 60 - target / 60)), fmt) });
        } else {
          state = elapsed >= NEAR * target ? "near" : "ok";
          text = fill(fmt.within, { elapsed: duration(elapsed / 60, fmt), target: duration(target / 60, fmt) });
        }
        clock.classList.remove("clock--ok", "clock--near", "clock--over");
        clock.classList.add("clock--" + state);
        var out = clock.querySelector("[data-clock-text]");
        if (out && out.textContent !== text) { out.textContent = text; }
        var row = clock.closest("tr");
        if (row) { row.classList.toggle("row-overdue", state === "over"); }
      });
    }

    update();
    window.setInterval(update, TICK_MS);
  }

  // Referral form: filter the "another facility" list as you type; choosing one selects "another facility".
  function initFacilityPicker() {
    var search = document.querySelector("[data-filter-select]");
    if (!search) { return; }
    var select = document.getElementById(search.getAttribute("data-filter-select"));
    var other = document.getElementById("to-other");
    if (!select) { return; }
    search.hidden = false;
    search.addEventListener("input", function () {
      var words = search.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
      var first = null;
      Array.prototype.forEach.call(select.options, function (option) {
        if (!option.value) { return; }
        var text = option.textContent.toLowerCase();
        var match = words.every(function (w) { return text.indexOf(w) !== -1; });
        option.hidden = !match;
        option.disabled = !match;
        if (match && !first) { first = option; }
      });
      if (words.length && first && (select.selectedIndex < 1 || select.options[select.selectedIndex].hidden)) {
        select.value = first.value;
        if (other) { other.checked = true; }
      }
    });
    search.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); }
    });
    select.addEventListener("change", function () {
      if (select.value && other) { other.checked = true; }
    });
  }

  // A referral only for five-colour grading does not move her management (as the service decides),
  // unless the clinician has set the box herself.
  function initManagementDefault() {
    var purpose = document.getElementById("id_purpose");
    var box = document.getElementById("id_transfers_management");
    if (!purpose || !box) { return; }
    var touched = false;
    box.addEventListener("change", function () { touched = true; });
    purpose.addEventListener("change", function () {
      if (!touched) { box.checked = purpose.value !== "grading"; }
    });
  }

  function init() {
    initClocks();
    initFacilityPicker();
    initManagementDefault();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
