// kbgen search with Pagefind (search.engine: pagefind): answers search-ui.js's messages as
// search-worker.js does for lunr, from the language's Pagefind bundle (its pagefind.js,
// imported on first use; Pagefind runs its WebAssembly in a worker of its own). Results carry
// text only: the snippet is cut from the page's text around the matched words, never taken
// from Pagefind's HTML excerpt.
(function () {
  "use strict";

  var PAGE = 50;  // results shown by the search page (of `total`)
  var WORDS = 30;  // words of a snippet
  var BEFORE = 6;  // words before its first match

  // Words the lunr engine leaves out of queries, per language: lunr's English stop words and
  // kbgen's French ones (kbgen/search/pipeline.py; tests/test_search_pagefind.py compares).
  var STOP_WORDS = {
    en: "a able about across after all almost also am among an and any are as at be " +
        "because been but by can cannot could dear did do does either else ever every " +
        "for from get got had has have he her hers him his how however i if in into is " +
        "it its just least let like likely may me might most must my neither no nor not " +
        "of off often on only or other our own rather said say says she should since so " +
        "some than that the their them then there these they this tis to too twas us " +
        "wants was we were what when where which while who whom why will with would yet " +
        "you your",
    fr: "a à au aux c ce ces d dans de des du elle en est et il ils j l la le les leur " +
        "leurs m ma mais me mes n ne nous on ou où par pour qu que qui s sa se ses son " +
        "sur t ta te tes ton tu un une vos votre vous y"
  };

  var LETTERS = { "đ": "d", "Đ": "D", "œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ø": "o",
    "Ø": "O", "ł": "l", "Ł": "L", "ß": "ss" };

  // A word as the build folds it for Pagefind (normalize.py's fold, edge punctuation off).
  function fold(word) {
    return word.normalize("NFD").replace(/[\u0300-\u036f]/g, "")
      .replace(/[đĐœŒæÆøØłŁß]/g, function (c) { return LETTERS[c]; })
      .replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, "").toLowerCase();
  }

  // The query Pagefind is asked: each word once, and, in a query of at least KEPT other
  // words, the language's stop words left out, as the lunr engine leaves them out. Pagefind
  // scores each page found against every page of every word asked (and of every longer word
  // starting with it), so a word on nearly every page, such as "the" or "to", multiplies the
  // time of a query without narrowing it; in a shorter query, such as the title "Can in
  // field", they are what tells its page from others. A quoted phrase (Pagefind's exact
  // search) is asked as typed.
  var KEPT = 3;

  function shaped(query, stop) {
    if (/^\s*".+"\s*$/.test(query)) return query;
    var seen = Object.create(null);  // (a word such as "constructor" is no key of it)
    var all = [];
    var others = [];
    query.split(/\s+/).forEach(function (word) {
      var key = fold(word);
      if (!key || seen[key]) return;
      seen[key] = true;
      all.push(word);
      if (!stop[key] && !stop[word.toLowerCase()]) others.push(word);
    });
    return (others.length >= KEPT ? others : all).join(" ");
  }

  // One result's snippet as search-ui.js draws it: [[text, matched], …]. Pagefind counts
  // words as the page's text split at spaces; the title (the record's <h1>) comes first.
  // Words indexed only for their folded forms (meta `folded`, after the text) are not shown:
  // a match there marks the words of the text that fold to it.
  function snippet(data) {
    var all = data.content.split(/\s+/).filter(Boolean);
    var folded = (data.meta.folded || "").split(/\s+/).filter(Boolean).length;
    var words = all.slice(0, all.length - folded);
    var skip = (data.meta.title || "").split(/\s+/).filter(Boolean).length;
    var marked = {};
    var first = -1;
    var wanted = {};
    (data.locations || []).forEach(function (at) {
      if (at >= words.length) wanted[fold(all[at] || "")] = true;
      else if (at >= skip) marked[at] = true;
    });
    for (var w = skip; w < words.length; w++) {
      if (wanted[fold(words[w])]) marked[w] = true;
    }
    Object.keys(marked).forEach(function (at) {
      if (first < 0 || +at < first) first = +at;
    });
    var start = first < 0 ? skip : Math.max(skip, first - BEFORE);
    var end = Math.min(words.length, start + WORDS);
    var pieces = [];
    var text = start > skip ? "… " : "";
    for (var i = start; i < end; i++) {
      if (marked[i]) {
        if (text) pieces.push([text, false]);
        pieces.push([words[i], true]);
        text = " ";
      } else {
        text += words[i] + " ";
      }
    }
    text = text.replace(/ $/, end < words.length ? " …" : "");
    if (text) pieces.push([text, false]);
    return pieces;
  }

  function result(data) {
    return {
      url: data.url.replace(/^\/+/, ""),  // site-relative, as the record's URL was given
      title: data.meta.title || "",
      section: data.meta.section || "",
      snippet: snippet(data)
    };
  }

  function start(form) {
    var listeners = [];
    var script = new URL(form.getAttribute("data-index"), document.baseURI).href;
    var loading = null;
    // the bundle's language, from its folder (assets/search/pagefind-<lang>/pagefind.js)
    var lang = (/pagefind-([^/]+)\/pagefind\.js$/.exec(script) || ["", ""])[1];
    var stop = Object.create(null);
    (STOP_WORDS[lang.split("-")[0].toLowerCase()] || "").split(" ").forEach(function (w) {
      if (w) stop[w] = true;
    });
    // Pagefind answers one search at a time: while one runs, only the newest query of each
    // box or page waits (typing a word asks at each letter), and those it replaced are
    // never answered (search-ui.js shows only the newest query's results anyway).
    var running = false;
    var waiting = [];

    function load() {
      if (!loading) {
        loading = import(script).then(function (pagefind) {
          // Result URLs as the records gave them, under "/" (Pagefind's default would put
          // them under the bundle's parent folder); the kinds' counts come with each
          // search once the filters are loaded.
          return pagefind.options({ baseUrl: "/" })
            .then(function () { return pagefind.init(); }).then(function () { return pagefind.filters(); })
            .then(function () { return pagefind; });
        });
      }
      return loading;
    }

    function reply(message) {
      listeners.forEach(function (listener) { listener({ data: message }); });
    }

    function ask(message) {
      if (message.from !== undefined) {
        waiting = waiting.filter(function (other) { return other.from !== message.from; });
      }
      waiting.push(message);
      if (!running) next();
    }

    function next() {
      var message = waiting.shift();
      running = Boolean(message);
      if (message) answer(message).then(next);
    }

    function answer(message) {
      return load().then(function (pagefind) {
        var options = message.kind && message.kind !== "all" ? { filters: { kind: message.kind } } : {};
        return pagefind.search(shaped(message.q, stop), options).then(function (found) {
          var shown = found.results.slice(0, message.limit || PAGE);
          return Promise.all(shown.map(function (hit) { return hit.data(); })).then(function (all) {
            var counts = {};
            var kinds = (found.totalFilters || {}).kind || {};
            Object.keys(kinds).forEach(function (k) { counts[k] = kinds[k]; });
            reply({
              type: "results",
              id: message.id,
              q: message.q,
              total: found.unfilteredResultCount,
              shown: found.results.length,
              counts: counts,
              results: all.map(result)
            });
          });
        });
      }).catch(function (error) {
        reply({ type: "error", message: String(error) });
      });
    }

    return {
      addEventListener: function (type, listener) {
        if (type === "message") listeners.push(listener);
      },
      postMessage: function (message) {
        if (message.type === "init") load();
        else if (message.type === "search") ask(message);
      }
    };
  }

  window.kbgenPagefind = { start: start };
})();
