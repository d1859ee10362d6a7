/* The grading form: search the criteria, show the reason field when a criterion that fired last time is
   un-ticked, and "all categories reviewed". No inline script (CSP); the live preview itself is htmx. */
(function () {
  "use strict";

  function init() {
    var form = document.getElementById("grading-form");
    if (!form) { return; }

    // Search: hide criteria (and whole categories) that do not match; never triggers the preview.
    var search = document.getElementById("criteria-search");
    var empty = form.querySelector("[data-search-empty]");
    if (search) {
      var filter = function () {
        var words = search.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
        var shown = 0;
        form.querySelectorAll("[data-group]").forEach(function (group) {
          var visible = 0;
          group.querySelectorAll("li[data-search]").forEach(function (item) {
            var text = item.getAttribute("data-search");
            var match = words.every(function (w) { return text.indexOf(w) !== -1; });
            item.hidden = !match;
            if (match) { visible += 1; }
          });
          group.hidden = visible === 0;
          shown += visible;
        });
        if (empty) { empty.hidden = shown !== 0; }
      };
      search.addEventListener("input", filter);
      ["change", "keyup"].forEach(function (type) {
        search.addEventListener(type, function (event) { event.stopPropagation(); });
      });
      search.addEventListener("keydown", function (event) {
        if (event.key === "Enter") { event.preventDefault(); }
      });
    }

    // A measurement changed from the record's value is the clinician's own: say so under the field.
    form.querySelectorAll(".measure").forEach(function (box) {
      var input = box.querySelector("input, select");
      var source = box.querySelector(".measure__source");
      if (!input || !source) { return; }
      var original = input.tagName === "SELECT" ? input.querySelector("option[selected]") : null;
      var initial = input.tagName === "SELECT" ? (original ? original.value : "") : input.defaultValue;
      var sync = function () {
        var edited = input.value !== initial && input.value !== "";
        source.textContent = edited ? source.getAttribute("data-edited") : source.getAttribute("data-source");
        source.classList.toggle("measure__source--edited", edited);
      };
      input.addEventListener("input", sync);
      input.addEventListener("change", sync);
      sync();
    });

    // Un-ticking a criterion that fired last time asks why.
    form.querySelectorAll("input[data-previous]").forEach(function (box) {
      var reason = form.querySelector('[data-reason-for="' + box.getAttribute("data-previous") + '"]');
      if (!reason) { return; }
      var textarea = reason.querySelector("textarea");
      var sync = function () {
        reason.hidden = box.checked;
        if (textarea) { textarea.required = !box.checked; }
      };
      box.addEventListener("change", sync);
      sync();
    });

    // "All categories reviewed" ticks every category box (and un-ticking one clears "all").
    var all = document.getElementById("reviewed-all");
    var boxes = form.querySelectorAll("input[data-reviewed]");
    if (all) {
      all.addEventListener("change", function () {
        boxes.forEach(function (b) { b.checked = all.checked; });
      });
      boxes.forEach(function (b) {
        b.addEventListener("change", function () {
          if (!b.checked) { all.checked = false; }
        });
      });
    }

    // The override reason is required once another colour is chosen.
    var override = form.querySelector("select[name=override_color]");
    var overrideReason = form.querySelector("textarea[name=reason]");
    if (override && overrideReason) {
      var syncOverride = function () { overrideReason.required = override.value !== ""; };
      override.addEventListener("change", syncOverride);
      syncOverride();
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
