// kbgen default theme: the reply kit of the reply templates page and of each template's own
// page. A field per [placeholder] fills the template as the representative types; "Copy"
// copies the filled text, on any host; a filter box hides the templates that lack the words
// typed. Without this script the templates are shown as text. Typed text only ever becomes
// text nodes (textContent), never markup.
(function () {
  "use strict";

  function all(selector, root) { return Array.prototype.slice.call((root || document).querySelectorAll(selector)); }

  // Fields fill the template's marks: every mark of a placeholder written several times.
  function setUpForm(form) {
    var text = document.getElementById(form.getAttribute("data-reply-form"));
    if (!text) return;
    var marks = all("mark.placeholder[data-placeholder]", text);
    marks.forEach(function (mark) { mark.setAttribute("data-original", mark.textContent); });
    function fill() {
      all("input[data-placeholder]", form).forEach(function (input) {
        var number = input.getAttribute("data-placeholder");
        var value = input.value.trim();
        marks.forEach(function (mark) {
          if (mark.getAttribute("data-placeholder") !== number) return;
          mark.textContent = value || mark.getAttribute("data-original");
          mark.classList.toggle("is-filled", !!value);
        });
      });
    }
    form.addEventListener("input", fill);
    form.addEventListener("reset", function () { setTimeout(fill, 0); });  // after the reset
    form.addEventListener("submit", function (event) { event.preventDefault(); });  // Enter
    form.hidden = false;
    fill();  // fields the browser restored (back button) fill the text at once
  }

  // The template's text as it is pasted: paragraphs apart, no leading or trailing space.
  function textOf(element) {
    return element.innerText.replace(/\n{3,}/g, "\n\n").trim();
  }

  // Show a label on the button for a while ("Copied", or what to do when copying failed).
  function say(button, text, seconds) {
    var label = button.querySelector(".button-label") || button;
    if (!button.hasAttribute("data-label")) button.setAttribute("data-label", label.textContent);
    label.textContent = text;
    button.classList.add("is-done");
    clearTimeout(button.kbgenTimer);
    button.kbgenTimer = setTimeout(function () {
      label.textContent = button.getAttribute("data-label");
      button.classList.remove("is-done");
    }, seconds * 1000);
  }

  // Without the Clipboard API (a page served over plain HTTP, as on many intranets, is no
  // secure context): copy from a hidden text area with the older command.
  function copyWithCommand(text) {
    var area = document.createElement("textarea");
    area.className = "copy-buffer";
    area.value = text;
    area.setAttribute("readonly", "");
    area.setAttribute("aria-hidden", "true");
    document.body.appendChild(area);
    var focused = document.activeElement;
    area.select();
    var copied = false;
    try { copied = document.execCommand("copy"); } catch (e) { copied = false; }
    document.body.removeChild(area);
    if (focused && focused.focus) focused.focus();
    return copied;
  }

  // Even that failed: select the template's text so that Ctrl+C copies it.
  function selectText(element) {
    var selection = window.getSelection();
    if (!selection) return;
    var range = document.createRange();
    range.selectNodeContents(element);
    selection.removeAllRanges();
    selection.addRange(range);
  }

  function setUpCopyButton(button) {
    var target = document.getElementById(button.getAttribute("data-copy-target"));
    if (!target) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      var text = textOf(target);
      function done() { say(button, button.getAttribute("data-copied-label"), 2); }
      function fallBack() {
        if (copyWithCommand(text)) { done(); return; }
        selectText(target);
        var failed = button.getAttribute("data-failed-label");
        // the label names Ctrl+C; a Mac's key for it is Command-C
        if (/Mac|iPhone|iPad/.test(navigator.platform || "")) failed = failed.replace("Ctrl+C", "⌘C");
        say(button, failed, 8);
      }
      if (navigator.clipboard && navigator.clipboard.writeText && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(done, fallBack);
      } else {
        fallBack();
      }
    });
  }

  // Letters as readers type them: without accents or tone marks, any case ("đ" is "d").
  function folded(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/[đĐ]/g, "d")
      .toLowerCase().replace(/\s+/g, " ");
  }

  function setUpFilter() {
    var box = document.querySelector(".reply-filter");
    var input = box && box.querySelector("input");
    var status = box && box.querySelector(".reply-filter-status");
    var replies = all("section.reply");
    if (!input || !replies.length) return;
    // title, description and text as written (the marks' original words: not what is typed)
    var texts = replies.map(function (reply) { return folded(reply.textContent); });
    function filter() {
      var words = folded(input.value).split(" ").filter(Boolean);
      var shown = 0;
      replies.forEach(function (reply, n) {
        var match = words.every(function (word) { return texts[n].indexOf(word) !== -1; });
        reply.hidden = !match;
        var entry = document.querySelector('.toc li[data-reply="' + CSS.escape(reply.id) + '"]');
        if (entry) entry.hidden = !match;
        if (match) shown += 1;
      });
      if (!words.length) status.textContent = "";
      else if (!shown) status.textContent = status.getAttribute("data-none-label");
      else status.textContent = status.getAttribute("data-shown-label").replace("{count}", String(shown));
    }
    input.addEventListener("input", filter);
    box.hidden = false;
    filter();  // a value the browser restored
  }

  function start() {
    setUpFilter();  // first: it reads the templates before fields fill them
    all("form[data-reply-form]").forEach(setUpForm);
    all(".reply-kit button[data-copy-target]").forEach(setUpCopyButton);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
