// kbgen default theme: small enhancements; every page works without them.
(function () {
  "use strict";

  function all(selector, root) { return Array.prototype.slice.call((root || document).querySelectorAll(selector)); }

  // Show "Copied" on a button for two seconds.
  function flash(button, text) {
    var label = button.querySelector(".button-label") || button;
    var before = label.textContent;
    label.textContent = text;
    button.classList.add("is-done");
    setTimeout(function () { label.textContent = before; button.classList.remove("is-done"); }, 2000);
  }

  // "Copy link" beside each heading of the text and each rule: moderators cite rules by link.
  function setUpCopyLinks() {
    var labels = document.body;
    var copy = labels.getAttribute("data-copy-link");
    if (!navigator.clipboard || !copy) return;
    var done = labels.getAttribute("data-link-copied") || copy;
    var icon = document.querySelector("template#copy-link-icon");
    all(".content h2[id], .content h3[id], .content h4[id], .content li.rule[id]").forEach(function (target) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "copy-link";
      if (icon) button.appendChild(icon.content.cloneNode(true));
      var label = document.createElement("span");
      label.className = "button-label visually-hidden";
      label.textContent = copy;
      button.appendChild(label);
      button.title = copy;
      button.addEventListener("click", function () {
        var url = new URL(window.location.href);
        url.hash = target.id;
        navigator.clipboard.writeText(url.href).then(function () { flash(button, done); });
      });
      target.appendChild(button);  // a rule's sits in its box's corner (main.css)
    });
  }

  // Remember the language a reader picks, so the root page sends them there next time.
  function rememberLanguageChoice() {
    all(".language-switcher a[data-language]").forEach(function (link) {
      link.addEventListener("click", function () {
        try { localStorage.setItem("kbgen-language", link.getAttribute("data-language")); }
        catch (e) { /* storage may be disabled; the choice is then not remembered */ }
      });
    });
  }

  // Light/dark toggle: the choice is kept in localStorage and applied by theme.js.
  function setUpThemeToggle() {
    var button = document.querySelector(".theme-toggle");
    if (!button) return;
    var root = document.documentElement;
    var system = window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;
    function isDark() {
      var chosen = root.getAttribute("data-theme");
      return chosen ? chosen === "dark" : !!(system && system.matches);
    }
    function show() { button.setAttribute("aria-pressed", isDark() ? "true" : "false"); }
    button.hidden = false;
    show();
    button.addEventListener("click", function () {
      var next = isDark() ? "light" : "dark";
      root.setAttribute("data-theme", next);
      try { localStorage.setItem("kbgen-theme", next); } catch (e) { /* not remembered */ }
      show();
    });
    if (system && system.addEventListener) system.addEventListener("change", show);
  }

  // Disclosures (menu, language menu) close with Escape and when the reader clicks elsewhere.
  function setUpDropdowns() {
    var menus = all(".site-header details");
    document.addEventListener("keydown", function (event) {
      if (event.key !== "Escape") return;
      menus.forEach(function (menu) {
        if (menu.open) { menu.open = false; menu.querySelector("summary").focus(); }
      });
    });
    document.addEventListener("click", function (event) {
      menus.forEach(function (menu) { if (menu.open && !menu.contains(event.target)) menu.open = false; });
    });
  }

  // Without ::details-content (older browsers), CSS cannot show the sidebar and the table of
  // contents open on wide screens: open them here.
  function openWideDisclosures() {
    if (window.CSS && CSS.supports && CSS.supports("selector(::details-content)")) return;
    var wide = window.matchMedia("(min-width: 64rem)");
    function apply() { all(".sidebar-details, .toc").forEach(function (d) { if (wide.matches) d.open = true; }); }
    apply();
    if (wide.addEventListener) wide.addEventListener("change", apply);
  }

  // The table of contents marks the heading being read.
  function followReading() {
    var links = all(".toc a[href^='#']");
    if (!links.length || !window.IntersectionObserver) return;
    var headings = links.map(function (link) {
      return document.getElementById(decodeURIComponent(link.getAttribute("href").slice(1)));
    }).filter(Boolean);
    var visible = {};
    function mark() {
      // the first heading in view, else the last one above the view
      var current = null;
      for (var i = 0; i < headings.length; i++) {
        if (visible[headings[i].id]) { current = headings[i]; break; }
        if (headings[i].getBoundingClientRect().top < 0) current = headings[i];
      }
      links.forEach(function (link) {
        var on = current && link.getAttribute("href") === "#" + current.id;
        if (on) link.setAttribute("aria-current", "location");
        else link.removeAttribute("aria-current");
      });
    }
    var observer = new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) { visible[entry.target.id] = entry.isIntersecting; });
      mark();
    }, { rootMargin: "0px 0px -40% 0px" });
    headings.forEach(function (heading) { observer.observe(heading); });
  }

  // FAQ: a link to #question opens that question; "Expand all" opens every answer.
  function setUpFaq() {
    var items = all(".faq-details");
    if (!items.length) return;
    function openTarget() {
      var id = decodeURIComponent(window.location.hash.slice(1));
      var target = id && document.getElementById(id);
      if (!target) return;
      var details = target.classList.contains("faq-anchor") ? target.closest(".faq-details") : null;
      if (details) {
        details.open = true;
        target.scrollIntoView();
      }
    }
    openTarget();
    window.addEventListener("hashchange", openTarget);
    var toggle = document.querySelector(".faq-toggle-all");
    if (!toggle) return;
    var expand = toggle.textContent, collapse = toggle.getAttribute("data-collapse-label");
    toggle.hidden = false;
    toggle.addEventListener("click", function () {
      var open = !items.every(function (d) { return d.open; });
      items.forEach(function (d) { d.open = open; });
      toggle.textContent = open ? collapse : expand;
    });
  }

  function start() {
    setUpCopyLinks();
    rememberLanguageChoice();
    setUpThemeToggle();
    setUpDropdowns();
    openWideDisclosures();
    followReading();
    setUpFaq();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
