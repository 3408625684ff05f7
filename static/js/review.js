// Review-session keyboard shortcuts: space reveals the answer, 1-4 rate it (Again/Hard/Good/Easy).
// The buttons themselves carry the htmx requests; the keys only click them.
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    var t = event.target;
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) return;
    var box = document.getElementById("review-box");
    if (!box || box.querySelector(".htmx-request")) return;
    var button = null;
    if (event.key === " " || event.code === "Space") button = box.querySelector("[data-testid=reveal]");
    else if (/^[1-4]$/.test(event.key)) button = box.querySelector('[data-rating="' + event.key + '"]');
    if (button) {
      event.preventDefault();
      // A key pressed right after a swap can beat htmx's processing of the new buttons: process first
      // (idempotent), so the click always carries its hx-get/hx-post.
      if (window.htmx) window.htmx.process(box);
      button.click();
    }
  });
})();
