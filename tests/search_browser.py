"""Running search in headless Chromium: the built site's own worker and scripts."""

from __future__ import annotations

from typing import Any

# Starts the page's search worker as the search box does, then runs every query through it.
RUN_QUERIES = """
async (queries) => {
  const form = document.querySelector("form.search-box");
  const absolute = (url) => new URL(url, document.baseURI).href;
  const worker = new Worker(absolute(form.getAttribute("data-worker")));
  worker.postMessage({
    type: "init",
    lunr: absolute(form.getAttribute("data-lunr")),
    core: absolute(form.getAttribute("data-core")),
    index: absolute(form.getAttribute("data-index")),
  });
  const ask = (id, q) => new Promise((resolve, reject) => {
    const listen = (event) => {
      const message = event.data;
      if (message.type === "error") reject(new Error(message.message));
      if (message.type !== "results" || message.id !== id) return;
      worker.removeEventListener("message", listen);
      resolve(message.results.map((r) => r.url));
    };
    worker.addEventListener("message", listen);
    worker.postMessage({ type: "search", id, q, limit: 0, snippets: false });
  });
  const found = [];
  for (let i = 0; i < queries.length; i++) found.push(await ask(i + 1, queries[i]));
  worker.terminate();
  return found;
}
"""

# Loads scripts into the page, one after the other, and reads the language's index file (the
# start of RUN_WORDS and RUN_EXPAND).
_LOAD = """
  for (const src of scripts) {
    await new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = src;
      script.onload = resolve;
      script.onerror = reject;
      document.head.appendChild(script);
    });
  }
  const form = document.querySelector("form.search-box");
  const data = await (await fetch(form.getAttribute("data-index"))).json();
"""

# Loads lunr.js and search-core.js into the page, then runs texts through words(), fold()
# and the pipeline the language's index names.
RUN_WORDS = (
    "async ([texts, scripts]) => {"
    + _LOAD
    + """
  const core = self.kbgenSearch;
  core.register(lunr);
  const pipeline = lunr.Pipeline.load(data.index.pipeline);
  const first = (word) => pipeline.runString(word)[0] || null;
  return texts.map((text) => core.words(text).map(
    (word) => [word, core.fold(word), first(word), first(core.fold(word))]
  ));
}
"""
)


# Loads search-core.js into the page, then expands the language's index file as the worker
# does before lunr loads it, and rounds numbers as the expanded scores are rounded.
RUN_EXPAND = (
    "async ([scripts, numbers]) => {"
    + _LOAD
    + """
  return [self.kbgenSearch.expand(data.index), numbers.map(self.kbgenSearch.round3)];
}
"""
)


def run_queries(browser: Any, base: str, lang: str, queries: list[str]) -> list[list[str]]:
    page = browser.new_page()
    try:
        page.goto(f"{base}{lang}/")
        result: list[list[str]] = page.evaluate(RUN_QUERIES, queries)
        return result
    finally:
        page.close()


def run_words(browser: Any, base: str, lang: str, texts: list[str]) -> list[list[list[Any]]]:
    page = browser.new_page()
    try:
        page.goto(f"{base}{lang}/")
        form = page.locator("form.search-box")
        scripts = [
            page.evaluate("(u) => new URL(u, document.baseURI).href", form.get_attribute(name))
            for name in ("data-lunr", "data-core")
        ]
        result: list[list[list[Any]]] = page.evaluate(RUN_WORDS, [texts, scripts])
        return result
    finally:
        page.close()


def watched_page(browser: Any, console_load_errors: bool = False) -> Any:
    """A new page that keeps its problems (console errors and warnings, failed responses but
    the favicon's, page errors) in `page.problems` and every URL it asks for in
    `page.requested`. A failed load's console line counts only with `console_load_errors`
    (the failed response is counted either way)."""
    page = browser.new_page()
    page.problems = []

    def on_console(message: Any) -> None:
        if message.type in ("error", "warning") and (
            console_load_errors or "Failed to load resource" not in message.text
        ):
            page.problems.append(message.text)

    page.on("console", on_console)
    page.on(
        "response",
        lambda r: (
            page.problems.append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico")
            else None
        ),
    )
    page.on("pageerror", lambda e: page.problems.append(str(e)))
    page.requested = []
    page.on("request", lambda r: page.requested.append(r.url))
    return page


def run_expand(browser: Any, base: str, lang: str, numbers: list[float]) -> list[Any]:
    """[the language's index as search-core.js's expand() gives it, round3() of `numbers`]."""
    page = browser.new_page()
    try:
        page.goto(f"{base}{lang}/")
        form = page.locator("form.search-box")
        script = page.evaluate(
            "(u) => new URL(u, document.baseURI).href", form.get_attribute("data-core")
        )
        result: list[Any] = page.evaluate(RUN_EXPAND, [[script], numbers])
        return result
    finally:
        page.close()
