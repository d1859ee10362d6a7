/* Dashboard page: draws the colour chart from the table under it (the table is the data, so the
   chart never disagrees with it) and opens the list of women behind a bar when it is clicked.
   No inline script (CSP); Chart.js is vendored in static/vendor/chartjs. */
(function () {
  "use strict";

  var FALLBACK = { green: "#1f7a3a", yellow: "#f7cf2e", orange: "#ef7d1a", red: "#c0261f", ungraded: "#8a949e" };

  function colour(name) {
    var css = getComputedStyle(document.documentElement).getPropertyValue("--risk-" + name).trim();
    return css || FALLBACK[name];
  }

  function rowsOf(table) {
    return Array.prototype.map.call(table.querySelectorAll("tbody tr[data-color]"), function (tr) {
      var raw = tr.getAttribute("data-value");
      return {
        color: tr.getAttribute("data-color"),
        label: tr.getAttribute("data-label"),
        value: raw === "" ? null : Number(raw),
        href: tr.getAttribute("data-href")
      };
    });
  }

  function drawColourChart() {
    var canvas = document.getElementById("color-chart");
    var table = document.getElementById("color-table");
    if (!canvas || !table || typeof window.Chart === "undefined") { return; }
    var rows = rowsOf(table);
    var chart = new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: rows.map(function (r) { return r.label; }),
        datasets: [{
          data: rows.map(function (r) { return r.value === null ? 0 : r.value; }),
          backgroundColor: rows.map(function (r) { return colour(r.color); }),
          borderColor: "#17212b",
          borderWidth: rows.map(function (r) { return r.color === "yellow" ? 1 : 0; })
        }]
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        interaction: { mode: "index", intersect: false },
        plugins: { legend: { display: false } },
        scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
        onHover: function (event, elements) {
          var target = event.native && event.native.target;
          if (target) { target.style.cursor = elements.length && rows[elements[0].index].href ? "pointer" : "default"; }
        },
        onClick: function (event, elements) {
          if (!elements.length) { return; }
          var href = rows[elements[0].index].href;
          if (href) { window.location.assign(href); }
        }
      }
    });
    canvas.setAttribute("data-ready", "true");
    return chart;
  }

  /* One line chart per weekly series, from the rows of the table named by data-table. A suppressed or
     missing week (empty data-value) is a gap in the line, not a zero. */
  function drawTrendCharts() {
    if (typeof window.Chart === "undefined") { return; }
    Array.prototype.forEach.call(document.querySelectorAll("canvas.dash-trend__canvas"), function (canvas) {
      var table = document.getElementById(canvas.getAttribute("data-table"));
      if (!table) { return; }
      var rows = Array.prototype.map.call(table.querySelectorAll("tbody tr[data-week]"), function (tr) {
        var raw = tr.getAttribute("data-value");
        return { week: tr.getAttribute("data-week"), value: raw === "" ? null : Number(raw) };
      });
      var line = canvas.getAttribute("data-color") ? colour(canvas.getAttribute("data-color")) : "#2f5d8a";
      new window.Chart(canvas, {
        type: "line",
        data: {
          labels: rows.map(function (r) { return r.week.slice(5); }),
          datasets: [{ data: rows.map(function (r) { return r.value; }), borderColor: line,
                       backgroundColor: line, pointRadius: 2, spanGaps: false, tension: 0 }]
        },
        options: {
          responsive: true,
          maintainAspectRatio: false,
          animation: false,
          plugins: { legend: { display: false } },
          scales: { y: { beginAtZero: true, ticks: { precision: 0 } }, x: { ticks: { maxRotation: 0, autoSkip: true } } }
        }
      });
      canvas.setAttribute("data-ready", "true");
    });
  }

  function drawAll() {
    drawColourChart();
    drawTrendCharts();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
