// kbgen serve: live reload and the build-error overlay. Injected by `kbgen serve` only;
// a built site never contains it. Served from the dev server's own origin (CSP 'self').
(function () {
  "use strict";
  var script = document.currentScript;
  var version = Number(script && script.getAttribute("data-version")) || 0;
  var shownError = 0; // the id of the failed build the overlay shows; 0: no overlay
  var OVERLAY_ID = "kbgen-overlay";

  function hideOverlay() {
    var overlay = document.getElementById(OVERLAY_ID);
    if (overlay) overlay.remove();
    shownError = 0;
  }

  function showOverlay(state) {
    hideOverlay();
    var overlay = document.createElement("div");
    overlay.id = OVERLAY_ID;
    overlay.setAttribute("role", "alert");
    var s = overlay.style;
    s.position = "fixed";
    s.inset = "0";
    s.zIndex = "2147483647";
    s.overflow = "auto";
    s.background = "rgba(20, 20, 20, 0.94)";
    s.color = "#fff";
    s.font = "15px/1.5 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace";
    s.padding = "2rem";
    var title = document.createElement("h2");
    title.textContent = "kbgen: the build failed";
    title.style.color = "#ff8a80";
    title.style.marginTop = "0";
    overlay.appendChild(title);
    var note = document.createElement("p");
    note.textContent = "The page below is the last good build. Fix the file and save: " +
      "this page reloads by itself.";
    overlay.appendChild(note);
    var list = document.createElement("ul");
    list.style.paddingLeft = "1.2rem";
    state.errors.forEach(function (error) {
      var item = document.createElement("li");
      item.className = "kbgen-error";
      var where = document.createElement("strong");
      where.className = "kbgen-error-where";
      where.textContent = error.where;
      item.appendChild(where);
      item.appendChild(document.createTextNode(" " + error.message));
      list.appendChild(item);
    });
    overlay.appendChild(list);
    document.body.appendChild(overlay);
    shownError = state.error;
  }

  // Long polling: the server answers when the build changed (or after a while anyway).
  function poll(delay) {
    setTimeout(function () {
      fetch("/__kbgen/events?version=" + version + "&error=" + shownError, { cache: "no-store" })
        .then(function (response) { return response.json(); })
        .then(function (state) {
          if (state.version !== version) {
            location.reload();
            return;
          }
          if (state.error && state.error !== shownError) showOverlay(state);
          else if (!state.error && shownError) hideOverlay();
          poll(0);
        })
        .catch(function () { poll(1000); }); // the server is restarting or stopped
    }, delay);
  }

  poll(0);
})();
