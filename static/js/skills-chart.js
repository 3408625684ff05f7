// Draws the dashboard's skills radar with the vendored Chart.js; the numbers come from a json_script block.
(function () {
  "use strict";
  function draw() {
    var canvas = document.getElementById("skills-chart");
    var data = document.getElementById("skills-chart-data");
    if (!canvas || !data || typeof Chart === "undefined") return;
    var d = JSON.parse(data.textContent);
    var css = getComputedStyle(document.documentElement);
    var fg = css.getPropertyValue("--fg").trim() || "#1d2330";
    var grid = css.getPropertyValue("--border").trim() || "#dfe3e8";
    new Chart(canvas, {
      type: "radar",
      data: {
        labels: d.labels,
        datasets: [
          { label: canvas.dataset.evidence || "证据", data: d.evidence, fill: true,
            backgroundColor: "rgba(46,139,87,0.25)", borderColor: "#2e8b57" },
          { label: canvas.dataset.readiness || "面试准备度", data: d.readiness, fill: true,
            backgroundColor: "rgba(45,108,223,0.15)", borderColor: "#2d6cdf" }
        ]
      },
      options: {
        animation: false,
        scales: { r: { min: 0, max: 100, ticks: { stepSize: 25, color: fg, backdropColor: "transparent" },
                       grid: { color: grid }, angleLines: { color: grid }, pointLabels: { color: fg } } },
        plugins: { legend: { labels: { color: fg } } }
      }
    });
    canvas.dataset.drawn = "true";
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
