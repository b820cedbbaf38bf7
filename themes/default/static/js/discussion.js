// kbgen default theme: the forum discussion loader. Nothing here is provider-specific: the
// provider's template (partials/discussion/<provider>.html) writes an element with
//   data-embed-src      the provider's script,
//   data-global         the name of a settings object the script reads (Discourse), filled
//                       from the data-global-* attributes (data-global-topic-id -> topicId),
//   data-script-*       attributes given to the script element (giscus reads its own data-*).
// Values are copied as text, never evaluated, so a setting cannot inject code.
// The script is added only when the reader clicks "Show the discussion", or at once if they
// chose to always load discussions (remembered in localStorage) or the site has its own
// consent (data-consent="given").
(function () {
  "use strict";
  var STORAGE_KEY = "kbgen-discussions";
  var GLOBAL_NAME = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

  function alwaysLoad() {
    try { return localStorage.getItem(STORAGE_KEY) === "always"; }
    catch (e) { return false; } // storage may be disabled: ask every time
  }

  function remember(always) {
    try {
      if (always) localStorage.setItem(STORAGE_KEY, "always");
      else localStorage.removeItem(STORAGE_KEY);
    } catch (e) { /* storage may be disabled: the choice lasts for this page only */ }
  }

  function camelCase(name) {
    return name.replace(/-([a-z0-9])/g, function (match, letter) { return letter.toUpperCase(); });
  }

  function show(element, visible) {
    if (element) element.hidden = !visible;
  }

  function load(section) {
    var embed = section.querySelector(".discussion-embed[data-embed-src]");
    if (!embed || section.hasAttribute("data-loaded")) return;
    section.setAttribute("data-loaded", "");
    show(section.querySelector(".discussion-consent"), false);

    var settings = {};
    var script = document.createElement("script");
    Array.prototype.forEach.call(embed.attributes, function (attribute) {
      var name = attribute.name;
      if (name.indexOf("data-global-") === 0) {
        settings[camelCase(name.slice("data-global-".length))] = attribute.value;
      } else if (name.indexOf("data-script-") === 0) {
        script.setAttribute(name.slice("data-script-".length), attribute.value);
      }
    });
    var globalName = embed.getAttribute("data-global");
    if (globalName && GLOBAL_NAME.test(globalName)) window[globalName] = settings;
    script.addEventListener("error", function () {
      show(section.querySelector(".discussion-failed"), true);
    });
    script.async = true;
    script.src = embed.getAttribute("data-embed-src");
    embed.appendChild(script);
  }

  function setUp(section) {
    var remembered = section.querySelector(".discussion-remembered");
    var showButton = section.querySelector(".discussion-show");
    var alwaysButton = section.querySelector(".discussion-always");
    var forgetButton = section.querySelector(".discussion-forget");

    function loadAndFocus() {
      load(section);
      // The buttons are gone: keep keyboard focus in the discussion.
      var embed = section.querySelector(".discussion-embed");
      if (embed) {
        embed.setAttribute("tabindex", "-1");
        embed.focus();
      }
    }

    if (showButton) showButton.addEventListener("click", loadAndFocus);
    if (alwaysButton) {
      alwaysButton.addEventListener("click", function () {
        remember(true);
        show(remembered, true);
        loadAndFocus();
      });
    }
    if (forgetButton) {
      forgetButton.addEventListener("click", function () {
        remember(false);
        show(remembered, false);
      });
    }

    if (section.getAttribute("data-consent") === "given") {
      load(section);
    } else if (alwaysLoad()) {
      show(remembered, true);
      load(section);
    } else {
      show(section.querySelector(".discussion-consent"), true);
    }
  }

  function start() {
    document.querySelectorAll(".discussion[data-consent]").forEach(setUp);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
