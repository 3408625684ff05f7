// Code editor niceties: Tab indents four spaces (Shift-Tab dedents) instead of leaving the textarea.
document.addEventListener("keydown", function (ev) {
  var el = ev.target;
  if (ev.key !== "Tab" || !el.classList || !el.classList.contains("code")) return;
  ev.preventDefault();
  var start = el.selectionStart, end = el.selectionEnd, text = el.value;
  if (ev.shiftKey) {
    var lineStart = text.lastIndexOf("\n", start - 1) + 1;
    var m = text.slice(lineStart).match(/^ {1,4}/);
    if (m) {
      el.value = text.slice(0, lineStart) + text.slice(lineStart + m[0].length);
      el.selectionStart = el.selectionEnd = Math.max(lineStart, start - m[0].length);
    }
    return;
  }
  el.value = text.slice(0, start) + "    " + text.slice(end);
  el.selectionStart = el.selectionEnd = start + 4;
});
