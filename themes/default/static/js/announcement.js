// kbgen default theme: the announcement above every page (announcement: in config.yaml).
// Loaded without defer in <head>, after <meta name="kbgen-announcement" content="ID">: a
// dismissed announcement is hidden before the first paint. The dismissal is remembered in
// localStorage under the ID, a hash of the text, so a new text shows again.
(function () {
  "use strict";
  var STORAGE_KEY = "kbgen-announcement";
  var meta = document.querySelector('meta[name="kbgen-announcement"]');
  if (!meta) return;
  var id = meta.getAttribute("content");
  var root = document.documentElement;

  function hide() { root.setAttribute("data-announcement", "dismissed"); }

  try {
    if (localStorage.getItem(STORAGE_KEY) === id) hide();
  } catch (e) { /* storage disabled: the announcement shows, and cannot be dismissed for good */ }

  function start() {
    var button = document.querySelector(".announcement .announcement-dismiss");
    if (!button) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      hide();
      try { localStorage.setItem(STORAGE_KEY, id); } catch (e) { /* for this page only */ }
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
