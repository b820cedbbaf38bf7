// kbgen search UI: the header search box (results as you type) and the search page.
// The index loads on first use, in a Web Worker. Results are built from text nodes only:
// titles, snippets and queries are never parsed as HTML.
(function () {
  "use strict";

  var MIN_LENGTH = 2;
  var SUGGESTIONS = 8;
  var MORE = 50;  // results added by "More results" (search-pagefind.js's page)
  var LEAD = 24;  // characters of a suggestion's snippet before its first match
  var worker = null;
  var callbacks = {};
  var later = {};  // query id -> what to do with its snippets, when they come after the results
  var nextId = 1;
  var sources = 0;  // each box and search page asks as a source of its own (see `from`)

  function absolute(url) { return new URL(url, document.baseURI).href; }

  function startWorker(form) {
    if (worker) return worker;
    // search.engine: pagefind answers the same messages from the page (search-pagefind.js)
    worker = form.getAttribute("data-engine") === "pagefind" && window.kbgenPagefind
      ? window.kbgenPagefind.start(form)
      : new Worker(absolute(form.getAttribute("data-worker")));
    worker.addEventListener("message", function (event) {
      var message = event.data;
      if (message.type === "results" && callbacks[message.id]) {
        callbacks[message.id](message);
        delete callbacks[message.id];
        if (!message.pending) delete later[message.id];
      } else if (message.type === "snippets" && later[message.id]) {
        later[message.id](message.snippets);
        delete later[message.id];
      } else if (message.type === "error" && window.console) {
        window.console.error("kbgen search:", message.message);
      }
    });
    worker.postMessage({
      type: "init",
      lunr: absolute(form.getAttribute("data-lunr")),
      core: absolute(form.getAttribute("data-core")),
      index: absolute(form.getAttribute("data-index"))
    });
    return worker;
  }

  // `callback` gets the results; `onSnippets` their snippets if they came later (a list, in
  // the order of the results; null for a result without one). `kind`: the filter chosen, for
  // an engine that filters itself (Pagefind). `from`: the box or page asking, whose newer
  // query an engine may answer instead of one still waiting (search-pagefind.js).
  function search(form, query, limit, callback, onSnippets, kind, from) {
    var id = nextId++;
    callbacks[id] = callback;
    if (onSnippets) later[id] = onSnippets;
    startWorker(form).postMessage({
      type: "search", id: id, q: query, limit: limit, kind: kind, from: from
    });
    return id;
  }

  function element(name, className, text) {
    var node = document.createElement(name);
    if (className) node.className = className;
    if (text) node.appendChild(document.createTextNode(text));
    return node;
  }

  function fill(template, name, value) { return template.split("{" + name + "}").join(value); }

  // title, section and snippet of one result, inside `link`
  // A one-line snippet starts a few words before its first matched word, so the match shows.
  function shorten(pieces) {
    var first = 0;
    while (first < pieces.length && !pieces[first][1]) first++;
    if (first === pieces.length) return pieces;
    var before = pieces.slice(0, first).map(function (piece) { return piece[0]; }).join("");
    if (before.length <= LEAD) return pieces;
    var tail = before.slice(-LEAD);
    var space = tail.search(/\s/);
    return [["… " + (space >= 0 ? tail.slice(space + 1) : tail), false]].concat(pieces.slice(first));
  }

  // A snippet's pieces into its element (text nodes and <mark>s).
  function fillSnippet(snippet, pieces, oneLine) {
    while (snippet.firstChild) snippet.removeChild(snippet.firstChild);
    if (!pieces) return;
    (oneLine ? shorten(pieces) : pieces).forEach(function (piece) {
      if (piece[1]) snippet.appendChild(element("mark", null, piece[0]));
      else snippet.appendChild(document.createTextNode(piece[0]));
    });
  }

  // Returns the snippet's element, filled when its text comes (fillSnippet) if not yet here.
  function describe(link, result, oneLine) {
    link.appendChild(element("span", "search-result-title", result.title));
    if (result.section) link.appendChild(element("span", "search-result-section", result.section));
    var snippet = element("span", "search-result-snippet");
    fillSnippet(snippet, result.snippet, oneLine);
    link.appendChild(snippet);
    return snippet;
  }

  function resultUrl(form, result) { return form.getAttribute("data-root") + result.url; }

  // What a search found, for other scripts (feedback.js reports searches that found nothing):
  // the query, the number of results, its input, and whether the reader submitted it (the
  // search page opened with ?q=) or is still typing.
  function tell(message, input, submitted) {
    if (typeof window.CustomEvent !== "function") return;
    document.dispatchEvent(new CustomEvent("kbgen:search", { detail: {
      query: message.q, total: message.total, input: input, submitted: submitted
    } }));
  }

  // The header box: a combobox with a listbox of suggestions ----------------------------------

  function setUpBox(form) {
    var input = form.querySelector("input[name=q]");
    var list = form.querySelector("[role=listbox]");
    var dropdown = form.querySelector(".search-dropdown") || list;
    var seeAllLine = form.querySelector(".search-all");
    var seeAll = null;  // made with the first results
    var status = form.querySelector(".search-status");
    var active = -1;
    var latest = 0;
    var from = ++sources;
    var snippets = [];  // the snippet elements of the results shown

    function options() { return list.querySelectorAll("[role=option]"); }

    function close() {
      dropdown.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(number) {
      var all = options();
      if (!all.length) return;
      active = (number + all.length) % all.length;
      for (var i = 0; i < all.length; i++) {
        all[i].setAttribute("aria-selected", i === active ? "true" : "false");
      }
      input.setAttribute("aria-activedescendant", all[active].id);
      all[active].scrollIntoView({ block: "nearest" });
    }

    function show(message) {
      if (message.id !== latest) return;  // a newer query is on its way
      while (list.firstChild) list.removeChild(list.firstChild);
      active = -1;
      input.removeAttribute("aria-activedescendant");
      snippets = [];
      message.results.forEach(function (result, number) {
        var item = element("li", "search-result");
        item.id = list.id + "-" + number;
        item.setAttribute("role", "option");
        item.setAttribute("aria-selected", "false");
        var link = element("a");
        link.href = resultUrl(form, result);
        link.tabIndex = -1;
        snippets.push(describe(link, result, true));
        item.appendChild(link);
        list.appendChild(item);
      });
      if (!message.results.length) {
        list.appendChild(element("li", "search-none",
          fill(form.getAttribute("data-none"), "query", message.q)));
      }
      status.textContent = message.total === 1 ? form.getAttribute("data-one")
        : fill(form.getAttribute("data-many"), "count", String(message.total));
      if (seeAllLine) {
        if (!seeAll) seeAll = seeAllLine.appendChild(element("a"));
        // the search page, with the query in its address (set as a URL parameter, not markup)
        var page = new URL(form.getAttribute("data-search-page"), document.baseURI);
        page.searchParams.set("q", message.q);
        seeAll.href = page.href;
        seeAll.textContent = fill(form.getAttribute("data-see-all"), "count", String(message.total));
        seeAllLine.hidden = message.total === 0;
      }
      dropdown.hidden = false;
      input.setAttribute("aria-expanded", "true");
      tell(message, input, false);
    }

    function showSnippets(id, found) {
      if (id !== latest) return;
      found.forEach(function (pieces, number) {
        if (snippets[number]) fillSnippet(snippets[number], pieces, true);
      });
    }

    function update() {
      var query = input.value.trim();
      if (query.length < MIN_LENGTH) {
        latest = 0;
        close();
        return;
      }
      var id = latest = search(form, query, SUGGESTIONS, show, function (found) {
        showSnippets(id, found);
      }, undefined, from);
    }

    input.addEventListener("focus", function () { startWorker(form); });
    input.addEventListener("input", update);
    input.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        if (dropdown.hidden) {
          if (!options().length) return;
          dropdown.hidden = false;
          input.setAttribute("aria-expanded", "true");
        }
        event.preventDefault();
        highlight(active + (event.key === "ArrowDown" ? 1 : -1));
      } else if (event.key === "Enter" && active >= 0 && !dropdown.hidden) {
        event.preventDefault();
        window.location.href = options()[active].querySelector("a").href;
      } else if (event.key === "Escape") {
        if (!dropdown.hidden) close();
        else input.value = "";
      }
    });
    // Keep focus in the box when a result is clicked, so the click lands on the link.
    dropdown.addEventListener("mousedown", function (event) { event.preventDefault(); });
    document.addEventListener("click", function (event) {
      if (!form.contains(event.target)) close();
    });
  }

  // The search page: results of ?q= inside #search-results -----------------------------------

  // The kind of page a result is, from its URL: <lang>/articles/…, <lang>/faq/…
  function kindOf(result) {
    var folder = result.url.split("/")[1];
    return { articles: "article", faq: "faq", rules: "rules", replies: "reply" }[folder] || "article";
  }

  function setUpPage(form, page) {
    var input = page.querySelector("input[name=q]");
    var results = document.getElementById("search-results");
    var status = document.getElementById("search-page-status");
    var empty = document.getElementById("search-empty");
    var filters = document.getElementById("search-filters");
    var latest = 0;
    var from = ++sources;
    var submitted = 0;  // the search of the ?q= the page was opened with
    var kind = "all";
    var last = null;
    var focusAt = -1;  // the result to focus once more of them are shown
    var snippets = {};  // result number -> its snippet element, for the results shown

    // Runs a query for the page: its results to show(), its snippets when they come.
    function ask(q, limit) {
      var id = latest = search(form, q, limit, show, function (found) {
        if (id !== latest || !last || last.id !== id) return;
        found.forEach(function (pieces, number) {
          last.results[number].snippet = pieces;  // kept for the filters' redrawing
          if (snippets[number]) fillSnippet(snippets[number], pieces);
        });
      }, kind, from);
    }

    // one toggle button per kind found, with its count ("Articles 3")
    function showFilters(counts, total) {
      if (!filters) return;
      while (filters.firstChild) filters.removeChild(filters.firstChild);
      var kinds = ["all", "article", "faq", "rules", "reply"].filter(function (k) {
        return k === "all" || counts[k];
      });
      if (!counts[kind] && kind !== "all") kind = "all";
      kinds.forEach(function (k) {
        var button = element("button", "chip", filters.getAttribute("data-" + k));
        button.type = "button";
        button.appendChild(element("span", "chip-count", String(k === "all" ? total : counts[k])));
        button.setAttribute("aria-pressed", k === kind ? "true" : "false");
        button.addEventListener("click", function () {
          kind = k;
          // an engine that counts kinds itself (Pagefind) sends a page of them: ask again
          if (last && last.counts) ask(last.q, 0);
          else if (last) show(last);
          var again = filters.querySelector("[aria-pressed=true]");
          if (again) again.focus();
        });
        filters.appendChild(button);
      });
      filters.hidden = kinds.length < 3;  // "All" and a single kind: nothing to choose
    }

    function show(message) {
      if (message.id !== latest) return;
      if (message !== last) tell(message, input, message.id === submitted);
      last = message;
      while (results.firstChild) results.removeChild(results.firstChild);
      var counts = message.counts || {};
      if (!message.counts) {
        message.results.forEach(function (result) {
          var k = kindOf(result);
          counts[k] = (counts[k] || 0) + 1;
        });
      }
      showFilters(counts, message.total);
      var list = element("ol", "search-results");
      snippets = {};
      message.results.forEach(function (result, number) {
        if (kind !== "all" && kindOf(result) !== kind) return;
        var item = element("li", "search-result search-result-" + kindOf(result));
        var link = element("a");
        link.href = resultUrl(form, result);
        snippets[number] = describe(link, result);
        item.appendChild(link);
        list.appendChild(item);
      });
      if (message.results.length) results.appendChild(list);
      // an engine that sends a page of results (Pagefind) says how many the kind has
      if (message.shown > message.results.length) {
        var more = element("button", "chip search-more", results.getAttribute("data-more"));
        more.type = "button";
        more.addEventListener("click", function () {
          focusAt = message.results.length;
          ask(message.q, message.results.length + MORE);
        });
        results.appendChild(more);
      }
      var focused = focusAt >= 0 && list.children[focusAt];
      if (focused) focused.querySelector("a").focus();
      focusAt = -1;
      empty.hidden = message.results.length > 0;
      empty.querySelector(".search-empty-message").textContent =
        fill(form.getAttribute("data-none"), "query", message.q);
      status.textContent = message.total === 1 ? form.getAttribute("data-one")
        : fill(form.getAttribute("data-many"), "count", String(message.total));
    }

    function run(query) {
      query = query.trim();
      if (!query) {
        latest = 0;
        while (results.firstChild) results.removeChild(results.firstChild);
        if (filters) filters.hidden = true;
        empty.hidden = true;
        status.textContent = "";
        return;
      }
      ask(query, 0);
    }

    var query = new URLSearchParams(window.location.search).get("q") || "";
    if (query) {
      // Results of a query are not a page of their own: the bare search page is.
      var robots = document.createElement("meta");
      robots.name = "robots";
      robots.content = "noindex";
      document.head.appendChild(robots);
    }
    input.value = query;
    run(query);
    submitted = latest;
    if (!query) input.focus();  // reached from the phone header's search button: type away
    input.addEventListener("input", function () {
      var url = new URL(window.location.href);
      url.searchParams.set("q", input.value);
      window.history.replaceState(null, "", url.href);
      run(input.value);
    });
  }

  function start() {
    var form = document.querySelector("form.search-box");
    if (!form || !window.Worker) return;
    setUpBox(form);
    var page = document.querySelector("form.search-page-form");
    if (page) setUpPage(form, page);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
