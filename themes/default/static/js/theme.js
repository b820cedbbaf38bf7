// kbgen default theme: the reader's light or dark choice, applied before the first paint
// (loaded without defer in <head>). Without a choice, the stylesheet follows the system.
(function () {
  "use strict";
  try {
    var chosen = localStorage.getItem("kbgen-theme");
    if (chosen === "light" || chosen === "dark") document.documentElement.setAttribute("data-theme", chosen);
  } catch (e) { /* storage disabled: follow the system */ }
})();
