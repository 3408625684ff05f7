// Every line chart of a lab result (canvas.lab-chart), drawn with the vendored Chart.js from the canvas's
// data-chart attribute as labs/results.py `_line` writes it: datasets of [x, y] points on a linear or log x
// axis, reference datasets dashed, marks as labelled vertical lines. No inline script: CSP is script-src 'self'.
(function () {
  "use strict";
  var colors = ["#2d6cdf", "#2e8b57", "#d9822b", "#8e44ad", "#c0392b", "#16a085", "#7f8c8d", "#b7950b", "#34495e"];

  // Vertical lines at each mark's x (e.g. the trained length), with its label at the top of the chart area.
  var marksPlugin = {
    id: "labMarks",
    afterDatasetsDraw: function (chart, _args, opts) {
      var marks = opts.marks || [], ctx = chart.ctx, area = chart.chartArea, x = chart.scales.x;
      marks.forEach(function (m) {
        var px = x.getPixelForValue(m.x);
        if (px < area.left || px > area.right) return;
        ctx.save();
        ctx.strokeStyle = opts.color; ctx.fillStyle = opts.color; ctx.setLineDash([2, 3]); ctx.lineWidth = 1.5;
        ctx.beginPath(); ctx.moveTo(px, area.top); ctx.lineTo(px, area.bottom); ctx.stroke();
        ctx.setLineDash([]); ctx.font = "12px sans-serif"; ctx.textAlign = px > area.right - 80 ? "right" : "left";
        ctx.fillText(m.label, px + (ctx.textAlign === "left" ? 4 : -4), area.top + 12);
        ctx.restore();
      });
    }
  };

  // On a phone a long legend entry (Qwen's published rows) would be clipped: cut it to the chart's width (the
  // tooltip still names the whole series).
  function shortLabels(chart) {
    var items = Chart.defaults.plugins.legend.labels.generateLabels(chart);
    var max = Math.max(12, Math.floor(chart.width / 7.5) - 4);
    items.forEach(function (item) { if (item.text.length > max) item.text = item.text.slice(0, max - 1) + "…"; });
    return items;
  }

  function draw(canvas) {
    var d = JSON.parse(canvas.dataset.chart);
    var css = getComputedStyle(document.documentElement);
    var fg = css.getPropertyValue("--fg").trim() || "#1d2330";
    var grid = css.getPropertyValue("--border").trim() || "#dfe3e8";
    var axis = function (type, text) {
      return { type: type, title: { display: true, text: text, color: fg }, ticks: { color: fg }, grid: { color: grid } };
    };
    // Few distinct x values (concurrency levels, tested lengths, steps): ticks at exactly those, not 1.10, 1.20.
    var xs = [];
    d.datasets.forEach(function (ds) { ds.points.forEach(function (p) { if (xs.indexOf(p[0]) < 0) xs.push(p[0]); }); });
    xs.sort(function (a, b) { return a - b; });
    var x = axis(d.log_x ? "logarithmic" : "linear", d.x);
    if (xs.length <= 16) {
      // A log axis labels only 1/2/5 x 10^n on its own: label every measured x instead, less those that would touch
      // the one before (about 44 px apart on the chart's width, on the axis's own scale): the roofline's 85.3 and
      // 110 on a phone keep one label, not "85.3110".
      x.afterBuildTicks = function (scale) {
        var pos = d.log_x ? function (v) { return Math.log(v); } : function (v) { return v; };
        var gap = (pos(xs[xs.length - 1]) - pos(xs[0])) * 44 / Math.max(scale.chart.width - 60, 100);
        var kept = [];
        xs.forEach(function (v, i) {
          if (!kept.length || pos(v) - pos(kept[kept.length - 1]) >= gap) kept.push(v);
          else if (i === xs.length - 1 && kept.length > 1) kept[kept.length - 1] = v;  // the largest x keeps its label
        });
        scale.ticks = kept.map(function (v) { return { value: v }; });
      };
      // Whole numbers as they are (2,048 tokens); fractions to three significant figures (85.3, not 85.333).
      x.ticks.callback = function (value) {
        var v = Number(value);
        return (Number.isInteger(v) ? v : Number(v.toPrecision(3))).toLocaleString();
      };
    }
    var ours = 0, refs = 0;
    new Chart(canvas, {
      type: "line",
      data: {
        datasets: d.datasets.map(function (ds) {
          var color = ds.reference ? colors[(colors.length - 1 - refs++) % colors.length] : colors[ours++ % colors.length];
          return { label: ds.label, data: ds.points.map(function (p) { return { x: p[0], y: p[1] }; }),
                   borderColor: color, backgroundColor: color, borderDash: ds.reference ? [6, 4] : [],
                   pointRadius: ds.reference ? 2 : (ds.scatter ? 5 : 3), showLine: !ds.scatter, tension: 0 };
        })
      },
      options: {
        animation: false, responsive: true, maintainAspectRatio: false, parsing: true,
        scales: { x: x, y: axis(d.log_y ? "logarithmic" : "linear", d.y) },
        plugins: { legend: { labels: { color: fg, boxWidth: 14, generateLabels: shortLabels } },
                   labMarks: { marks: d.marks || [], color: fg } }
      },
      plugins: [marksPlugin]
    });
    canvas.dataset.drawn = "true";
  }

  function drawAll() {
    if (typeof Chart === "undefined") return;
    document.querySelectorAll("canvas.lab-chart").forEach(function (canvas) {
      if (canvas.dataset.drawn !== "true" && canvas.dataset.chart) draw(canvas);
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", drawAll);
  else drawAll();
  // The live fragment is swapped in by htmx while a job runs: draw the charts of the finished result too.
  document.addEventListener("htmx:afterSwap", drawAll);
})();
