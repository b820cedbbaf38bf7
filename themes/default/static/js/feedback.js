// kbgen default theme: "Was this helpful?" and searches that found nothing, sent to the
// site's own endpoint (feedback.endpoint in config.yaml, the data-endpoint of this script).
// Each is one JSON POST, without cookies (credentials: "omit") and without any identifier of
// the reader; a vote is remembered in localStorage so the reader sees it on their next visit.
(function () {
  "use strict";
  var script = document.currentScript;  // read now: it is null once this first run is over
  if (!script || !window.fetch) return;  // the widget then stays hidden
  var endpoint = script.getAttribute("data-endpoint");
  var lang = document.documentElement.lang;
  var COMMENT_LENGTH = 500;
  var QUERY_LENGTH = 200;

  function pageUrl() {
    var canonical = document.querySelector('link[rel="canonical"]');
    return canonical ? canonical.href : window.location.href.split(/[?#]/)[0];
  }

  // keepalive: the request outlives the page, for what is sent as the reader leaves it
  function send(data) {
    return fetch(endpoint, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(data),
      credentials: "omit",
      keepalive: true,
      mode: "cors",
      cache: "no-store",
      referrerPolicy: "no-referrer"
    }).then(function (response) {
      if (!response.ok) throw new Error("feedback endpoint answered " + response.status);
      return response;
    });
  }

  function read(key) {
    try { return localStorage.getItem(key); } catch (e) { return null; }
  }
  function write(key, value) {
    try {
      if (value === null) localStorage.removeItem(key);
      else localStorage.setItem(key, value);
    } catch (e) { /* storage disabled: the vote is not remembered */ }
  }

  // The vote: "Yes" is sent at once; "No" opens a short form (a comment, the links to the
  // page's discussion and to contact) and is sent with the comment when the reader sends it,
  // or as they leave the page.
  function setUpVote(box) {
    var key = box.getAttribute("data-key");
    var storageKey = "kbgen-feedback:" + lang + ":" + key;
    var buttons = Array.prototype.slice.call(box.querySelectorAll("button[data-vote]"));
    var more = box.querySelector(".feedback-more");
    var comment = more.querySelector("textarea");
    var status = box.querySelector(".feedback-status");
    var waiting = false;  // "No" chosen, not yet sent

    function press(vote, locked) {
      buttons.forEach(function (button) {
        button.setAttribute("aria-pressed", button.getAttribute("data-vote") === vote ? "true" : "false");
        button.disabled = locked;
      });
    }

    function finish(vote) {
      var text = vote === "no" ? comment.value.trim().slice(0, COMMENT_LENGTH) : "";
      waiting = false;
      more.hidden = true;
      write(storageKey, vote);
      press(vote, true);
      status.textContent = "";
      return send({ type: "vote", url: pageUrl(), lang: lang, key: key, vote: vote, comment: text })
        .then(function () { status.textContent = box.getAttribute("data-thanks"); })
        .catch(function () {
          write(storageKey, null);  // not received: the reader may try again
          press(null, false);
          status.textContent = box.getAttribute("data-failed");
        });
    }

    buttons.forEach(function (button) {
      button.addEventListener("click", function () {
        var vote = button.getAttribute("data-vote");
        if (vote === "yes") {
          finish("yes");
          return;
        }
        waiting = true;
        press("no", false);
        more.hidden = false;
        comment.focus();
      });
    });
    more.addEventListener("submit", function (event) {
      event.preventDefault();
      finish("no");
    });
    window.addEventListener("pagehide", function () { if (waiting) finish("no"); });

    var earlier = read(storageKey);
    if (earlier === "yes" || earlier === "no") {
      press(earlier, true);
      status.textContent = box.getAttribute("data-thanks");
    }
    box.hidden = false;
  }

  // Searches that found nothing (feedback.report_failed_searches): only the final query, once
  // the reader is done with it: the search page opened with it, or the reader left the search
  // box or the page while it showed no results. Never while typing; each query once per page.
  // search-ui.js tells what each search found with a "kbgen:search" event.
  function watchSearches() {
    var pending = null;  // { query, input } of the last search shown, if it found nothing
    var reported = {};

    function report() {
      var last = pending;
      pending = null;
      if (!last || last.input.value.trim() !== last.query || reported[last.query]) return;
      reported[last.query] = true;
      send({ type: "search", url: pageUrl(), lang: lang, query: last.query.slice(0, QUERY_LENGTH) })
        .catch(function () { /* lost: nothing to tell the reader */ });
    }

    document.addEventListener("kbgen:search", function (event) {
      var found = event.detail;
      pending = found.total === 0 ? { query: found.query, input: found.input } : null;
      if (found.submitted) report();
    });
    document.addEventListener("focusout", function (event) {
      if (pending && event.target === pending.input) report();
    });
    // a submitted query opens the search page, which reports it
    document.addEventListener("submit", function (event) {
      if (pending && event.target.contains(pending.input)) pending = null;
    }, true);
    window.addEventListener("pagehide", report);
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "hidden") report();
    });
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll(".feedback[data-key]"), setUpVote);
    if (script.getAttribute("data-searches") === "true") watchSearches();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
