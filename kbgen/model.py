"""Building the site model, in three passes: make every page and its URL (pages.py), parse
every body (so every page's anchors are known), then resolve the links between Markdown
files and render the bodies (bodies.py, links.py; in forked processes on a large site:
body_workers.py)."""

from __future__ import annotations

from kbgen import body_workers
from kbgen.bodies import Bodies, BodiesByPage, BodyCache, CachedBody
from kbgen.config import Config
from kbgen.diagnostics import Diagnostics
from kbgen.i18n import UiStrings
from kbgen.links import changed_targets, link_targets
from kbgen.pages import (
    SiteIndex,
    add_redirects,
    collect_assets,
    group_faq,
    make_pages,
    resolve_related,
)
from kbgen.site import Page, Site
from kbgen.sources import SourceSet


def build_site(
    config: Config,
    sources: SourceSet,
    ui: UiStrings,
    diags: Diagnostics,
    cache: BodyCache | None = None,
    workers: int = 1,
) -> Site:
    """The site model. With a `cache` (from the previous build of the same config and
    theme), unchanged bodies are reused, and the cache is left holding this build's. With
    `workers` > 1, a large site's bodies are parsed and rendered in that many processes."""
    reported = len(diags.items)
    if cache is not None:
        cache.fresh, cache.pages = set(), BodiesByPage()
    site = Site(config)
    index = SiteIndex(site)
    collect_assets(index, sources)
    make_pages(index, sources, ui, diags)
    bodies = Bodies(index, ui, diags)
    cached, pool = parse_bodies(bodies, cache, workers)
    render_bodies(bodies, cache, cached, pool)
    group_faq(site, index, ui)
    add_redirects(index, diags)
    resolve_related(index, diags)
    if cache is not None:
        cache.bodies = bodies
        links = {id(d) for d in cache.link_problems()}
        cache.model_problems = [d for d in diags.items[reported:] if id(d) not in links]
    return site


def parse_bodies(
    bodies: Bodies, cache: BodyCache | None, workers: int
) -> tuple[dict[int, CachedBody], body_workers.BodyWorkers | None]:
    """Give every page its cached body, or parse it: ({id(page): body from the cache},
    the worker processes parsing the rest, if the site is large enough for them)."""
    pages = bodies.index.site.pages
    cached: dict[int, CachedBody] = {}
    to_parse: list[int] = []  # indexes in site.pages
    for number, page in enumerate(pages):
        if page.source is None:
            continue
        found = cache.entries.get(cache.key(page)) if cache else None
        if found is not None:
            cached[id(page)] = found
            page.body = found.body
        else:
            to_parse.append(number)
    if workers > 1 and len(to_parse) >= body_workers.PARALLEL_BODIES_FROM:
        # forked now, with every cached page's anchors in place
        return cached, body_workers.BodyWorkers(bodies, to_parse, workers)
    for number in to_parse:
        bodies.parse_again(pages[number])
    return cached, None


def render_bodies(
    bodies: Bodies,
    cache: BodyCache | None,
    cached: dict[int, CachedBody],
    pool: body_workers.BodyWorkers | None,
) -> None:
    """Render every parsed body; a cached one only if a page or file it links to changed
    (resolving its links again). The cache is left holding this model's bodies."""
    site, diags = bodies.index.site, bodies.diags
    changed: set[tuple[str, str]] = set()
    if cache is not None:
        new = link_targets(bodies.index)
        changed = changed_targets(cache.targets, new)
        cache.targets = new
    used: dict[tuple[object, ...], CachedBody] = {}

    def keep(page: Page, body: CachedBody, fresh: bool) -> None:
        if cache is not None:
            used[cache.key(page)] = body
            cache.pages[(page.lang, page.key)] = body
            if fresh:
                cache.fresh.add((page.lang, page.key))

    made = pool.render() if pool else {}
    for number, page in enumerate(site.pages):
        if number in made:
            body, external = made[number]
            page.body = body.body
            diags.items.extend(body.link_problems)
            site.external_links.extend(external)
            keep(page, body, fresh=True)
            continue
        found = cached.get(id(page))
        if found is not None and found.targets.isdisjoint(changed):
            diags.items.extend(found.link_problems)
            keep(page, found, fresh=False)
            continue
        if found is not None:
            bodies.parse(page)  # a page it links to changed: resolve its links again
        if id(page) in bodies.docs:
            keep(page, bodies.render(page), fresh=True)
    if cache is not None:
        cache.entries = used
