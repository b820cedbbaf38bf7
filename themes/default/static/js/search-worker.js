// kbgen search worker: loads lunr.js, the search core and one language's index, then answers
// queries off the main thread. Every script comes from the site itself (same origin).
// The index file holds no page text: the texts of snippets are in small files next to it
// (<lang>/<n>.json, each of data.snippets documents), fetched for the results shown only.
"use strict";

var loading = null;
var state = null;

function fetchJson(url) {
  return fetch(url, { credentials: "same-origin", cache: "no-cache" })
    .then(function (response) {
      if (!response.ok) throw new Error("search: " + url + ": HTTP " + response.status);
      return response.json();
    });
}

function load(message) {
  importScripts(message.lunr, message.core);
  self.kbgenSearch.register(self.lunr);
  return fetchJson(message.index).then(function (data) {
    var url = new URL(message.index);
    url.pathname = url.pathname.replace(/\.json$/, "/");
    url.search = "";
    state = {
      index: self.lunr.Index.load(self.kbgenSearch.expand(data.index)),
      docs: data.docs,
      per: data.snippets,  // documents per snippet file
      folder: url.href,
      texts: {},  // snippet file number -> its texts, once loaded
      loads: {}  // snippet file number -> the promise of its texts
    };
  });
}

function fileOf(ref) { return Math.floor(ref / state.per); }

function textOf(ref) {
  var texts = state.texts[fileOf(ref)];
  return texts ? texts[ref % state.per] : null;
}

function loadTexts(refs) {
  var wanted = {};
  refs.forEach(function (ref) { wanted[fileOf(ref)] = true; });
  return Promise.all(Object.keys(wanted).map(function (number) {
    if (!state.loads[number]) {
      state.loads[number] = fetchJson(state.folder + number + ".json").then(function (texts) {
        state.texts[number] = texts;
      }, function (error) {
        delete state.loads[number];  // tried again with the next query
        throw error;
      });
    }
    return state.loads[number];
  }));
}

function snippets(terms, refs) {
  var core = self.kbgenSearch;
  return refs.map(function (ref) {
    var text = textOf(ref);
    return text === null || text === undefined ? null : core.snippet(state.index, terms, text);
  });
}

// The results at once; the snippets of those shown with them if their texts are loaded,
// else in a "snippets" message once they are.
function answer(message) {
  var core = self.kbgenSearch, index = state.index;
  var hits = core.search(self.lunr, index, message.q);
  var terms = core.plan(index, message.q);
  var shown = message.limit ? hits.slice(0, message.limit) : hits;
  var refs = shown.map(function (hit) { return hit.ref; });
  var wanted = message.snippets !== false;
  var ready = wanted && refs.every(function (ref) { return textOf(ref) !== null; });
  var found = ready ? snippets(terms, refs) : null;
  self.postMessage({
    type: "results",
    id: message.id,
    q: message.q,
    total: hits.length,
    pending: wanted && !ready,
    results: shown.map(function (hit, number) {
      var doc = state.docs[hit.ref];
      return {
        ref: hit.ref,
        url: doc[0],
        title: doc[1],
        section: doc[2],
        exact: hit.exact,
        title_match: hit.title,
        score: hit.score,
        snippet: found ? found[number] : null
      };
    })
  });
  if (wanted && !ready) {
    loadTexts(refs).then(function () {
      self.postMessage({ type: "snippets", id: message.id, snippets: snippets(terms, refs) });
    }, function (error) {
      self.postMessage({ type: "error", message: String(error) });
    });
  }
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
    loading.then(function () { answer(message); });
  }
});
