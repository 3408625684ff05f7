// Render the TeX that pymdownx.arithmatex leaves in .arithmatex elements, with KaTeX served locally.
// KaTeX is fetched only on pages that have math.
(function () {
  function load(tag, attrs) {
    return new Promise(function (resolve, reject) {
      var el = document.createElement(tag);
      Object.keys(attrs).forEach(function (k) { el[k] = attrs[k]; });
      el.onload = resolve; el.onerror = reject;
      document.head.appendChild(el);
    });
  }
  function render(root) {
    var nodes = (root || document).querySelectorAll(".arithmatex:not([data-rendered])");
    if (!nodes.length) return;
    var root = document.documentElement.dataset;  // hashed URLs from {% static %} (no inline script: CSP)
    var ready = window.katex ? Promise.resolve() : Promise.all([
      load("link", {rel: "stylesheet", href: root.katexCss}),
      load("script", {src: root.katexJs})
    ]);
    ready.then(function () {
      nodes.forEach(function (el) {
        var tex = el.textContent.trim();
        var display = tex.indexOf("\\[") === 0;
        tex = tex.replace(/^\\\(|\\\)$/g, "").replace(/^\\\[|\\\]$/g, "");
        try {
          window.katex.render(tex, el, {displayMode: display, throwOnError: false});
        } catch (e) { /* leave the TeX source visible */ }
        el.setAttribute("data-rendered", "1");
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { render(document); });
  document.addEventListener("htmx:afterSwap", function (ev) { render(ev.target); });
})();
