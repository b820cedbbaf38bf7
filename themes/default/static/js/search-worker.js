// kbgen search worker: loads lunr.js, the search core and one language's index, then answers
// queries off the main thread. Every script comes from the site itself (same origin).
"use strict";

var loading = null;
var state = null;

function load(message) {
  importScripts(message.lunr, message.core);
  self.kbgenSearch.register(self.lunr);
  return fetch(message.index, { credentials: "same-origin", cache: "no-cache" })
    .then(function (response) {
      if (!response.ok) throw new Error("search index: HTTP " + response.status);
      return response.json();
    })
    .then(function (data) {
      state = { index: self.lunr.Index.load(data.index), docs: data.docs };
    });
}

function answer(message) {
  var core = self.kbgenSearch, index = state.index;
  var hits = core.search(self.lunr, index, message.q);
  var terms = core.plan(index, message.q);
  var shown = message.limit ? hits.slice(0, message.limit) : hits;
  return {
    type: "results",
    id: message.id,
    q: message.q,
    total: hits.length,
    results: shown.map(function (hit) {
      var doc = state.docs[hit.ref];
      return {
        ref: hit.ref,
        url: doc[0],
        title: doc[1],
        section: doc[2],
        exact: hit.exact,
        score: hit.score,
        snippet: message.snippets === false ? [] : core.snippet(index, terms, doc[3])
      };
    })
  };
}

self.addEventListener("message", function (event) {
  var message = event.data;
  if (message.type === "init") {
    if (!loading) {
      loading = load(message);
      loading.then(
        function () { self.postMessage({ type: "ready" }); },
        function (error) { self.postMessage({ type: "error", message: String(error) }); }
      );
    }
  } else if (message.type === "search") {
    if (!loading) return;
    loading.then(function () { self.postMessage(answer(message)); });
  }
});
