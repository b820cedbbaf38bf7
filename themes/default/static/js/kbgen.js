// kbgen default theme: small enhancements; every page works without them.
(function () {
  "use strict";

  // Copy buttons of the reply templates: shown only when the clipboard can be used.
  function setUpCopyButtons() {
    if (!navigator.clipboard) return;
    document.querySelectorAll("button[data-copy-target]").forEach(function (button) {
      var target = document.getElementById(button.getAttribute("data-copy-target"));
      if (!target) return;
      var label = button.textContent;
      button.hidden = false;
      button.addEventListener("click", function () {
        navigator.clipboard.writeText(target.innerText.trim()).then(function () {
          button.textContent = button.getAttribute("data-copied-label") || label;
          setTimeout(function () { button.textContent = label; }, 2000);
        });
      });
    });
  }

  // Remember the language a reader picks, so the root page sends them there next time.
  function rememberLanguageChoice() {
    document.querySelectorAll(".language-switcher a[data-language]").forEach(function (link) {
      link.addEventListener("click", function () {
        try { localStorage.setItem("kbgen-language", link.getAttribute("data-language")); }
        catch (e) { /* storage may be disabled; the choice is then not remembered */ }
      });
    });
  }

  function start() {
    setUpCopyButtons();
    rememberLanguageChoice();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
