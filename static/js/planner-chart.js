// The planner's memory bar (canvas#planner-memory): weights / KV cache / activations / overhead stacked along one
// horizontal bar, with the engine's budget and the card's memory as vertical lines. Data from the canvas's
// data-chart attribute (planner/report.py); no inline script (CSP is script-src 'self').
(function () {
  "use strict";
  var colors = ["#2d6cdf", "#d9822b", "#8e44ad", "#7f8c8d"];

  var limitsPlugin = {
    id: "plannerLimits",
    afterDatasetsDraw: function (chart, _args, opts) {
      var ctx = chart.ctx, area = chart.chartArea, x = chart.scales.x;
      (opts.lines || []).forEach(function (line, i) {
        var px = x.getPixelForValue(line.x);
        ctx.save();
        ctx.strokeStyle = line.color; ctx.fillStyle = opts.color; ctx.lineWidth = 2;
        ctx.setLineDash(i ? [] : [6, 4]);
        ctx.beginPath(); ctx.moveTo(px, area.top); ctx.lineTo(px, area.bottom); ctx.stroke();
        ctx.setLineDash([]); ctx.font = "12px sans-serif";
        ctx.textAlign = px > area.left + (area.right - area.left) / 2 ? "right" : "left";
        ctx.fillText(line.label, px + (ctx.textAlign === "left" ? 4 : -4), i ? area.bottom - 4 : area.top + 12);
        ctx.restore();
      });
    }
  };

  function draw(canvas) {
    var d = JSON.parse(canvas.dataset.chart);
    var css = getComputedStyle(document.documentElement);
    var fg = css.getPropertyValue("--fg").trim() || "#1d2330";
    var grid = css.getPropertyValue("--border").trim() || "#dfe3e8";
    var bad = css.getPropertyValue("--bad").trim() || "#c0392b";
    var total = d.segments.reduce(function (a, s) { return a + s.gib; }, 0);
    new Chart(canvas, {
      type: "bar",
      data: {
        labels: [d.bar],
        datasets: d.segments.map(function (s, i) {
          return { label: s.label + " " + s.gib.toFixed(2), data: [s.gib], backgroundColor: colors[i % colors.length] };
        })
      },
      options: {
        indexAxis: "y", animation: false, responsive: true, maintainAspectRatio: false,
        scales: {
          x: { stacked: true, min: 0, max: Math.ceil(Math.max(total, d.card_gib) * 1.05),
               title: { display: true, text: d.x, color: fg }, ticks: { color: fg }, grid: { color: grid } },
          y: { stacked: true, ticks: { color: fg }, grid: { display: false } }
        },
        plugins: {
          legend: { position: "bottom", labels: { color: fg, boxWidth: 14 } },
          plannerLimits: { color: fg, lines: [{ x: d.budget_gib, label: d.budget_label, color: fg },
                                              { x: d.card_gib, label: d.card_label, color: bad }] }
        }
      },
      plugins: [limitsPlugin]
    });
    canvas.dataset.drawn = "true";
  }

  function drawAll() {
    if (typeof Chart === "undefined") return;
    document.querySelectorAll("canvas.planner-memory").forEach(function (c) {
      if (c.dataset.drawn !== "true") draw(c);
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", drawAll);
  else drawAll();
})();
