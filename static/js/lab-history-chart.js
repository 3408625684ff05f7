// The job page's chart of a lab's headline figure across the learner's jobs, drawn with the vendored Chart.js
// from the canvas's data-chart attribute (no inline script: the site's CSP is script-src 'self').
(function () {
  "use strict";
  function draw() {
    var canvas = document.getElementById("lab-history-chart");
    if (!canvas || !canvas.dataset.chart || typeof Chart === "undefined") return;
    var d = JSON.parse(canvas.dataset.chart);
    var css = getComputedStyle(document.documentElement);
    var fg = css.getPropertyValue("--fg").trim() || "#1d2330";
    var grid = css.getPropertyValue("--border").trim() || "#dfe3e8";
    var colors = ["#2d6cdf", "#2e8b57", "#d9822b", "#8e44ad", "#c0392b", "#16a085", "#7f8c8d", "#b7950b", "#34495e"];
    var units = [];
    d.datasets.forEach(function (ds) { if (units.indexOf(ds.unit) < 0) units.push(ds.unit); });
    var scales = { x: { ticks: { color: fg }, grid: { color: grid } } };
    units.slice(0, 2).forEach(function (unit, i) {
      scales["y" + i] = { position: i ? "right" : "left", beginAtZero: true, title: { display: true, text: unit, color: fg },
                          ticks: { color: fg }, grid: { color: grid, drawOnChartArea: i === 0 } };
    });
    new Chart(canvas, {
      type: "line",
      data: {
        labels: d.labels,
        datasets: d.datasets.map(function (ds, i) {
          var axis = Math.min(units.indexOf(ds.unit), 1);
          return { label: ds.label + " (" + ds.unit + ")", data: ds.data, yAxisID: "y" + axis, spanGaps: true,
                   borderColor: colors[i % colors.length], backgroundColor: colors[i % colors.length], tension: 0 };
        })
      },
      options: { animation: false, responsive: true, maintainAspectRatio: false, scales: scales,
                 plugins: { legend: { labels: { color: fg } } },
                 onClick: function (_event, elements) {
                   if (elements.length && canvas.dataset.jobUrl) {
                     window.location = canvas.dataset.jobUrl.replace("999999999", String(d.ids[elements[0].index]));
                   }
                 } }
    });
    canvas.dataset.drawn = "true";
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
