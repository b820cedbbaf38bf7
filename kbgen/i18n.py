"""Languages with babel: UI-string catalogs, language names, text direction, dates."""

from __future__ import annotations

import datetime as dt
import gettext
import io
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

from babel import Locale
from babel.core import get_global
from babel.dates import format_date as babel_format_date
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import PoFileError, read_po

from kbgen.diagnostics import Diagnostics


@dataclass(frozen=True)
class Language:
    code: str  # as in config.yaml and URLs: "fr", "vi", "pt-BR"
    name: str  # in itself: "Français", "Tiếng Việt"
    dir: str  # "ltr" or "rtl"
    og_locale: str  # Open Graph wants language_TERRITORY: "fr_FR"


@cache
def language(code: str) -> Language:
    locale = _locale(code)
    name = locale.get_display_name(locale) or code
    territory = locale.territory
    if territory is None:
        likely = get_global("likely_subtags").get(locale.language, "")
        territory = next((p for p in likely.split("_")[1:] if p.isupper() and len(p) == 2), None)
    og_locale = f"{locale.language}_{territory}" if territory else locale.language
    direction = "rtl" if locale.character_order == "right-to-left" else "ltr"
    return Language(code, name[:1].upper() + name[1:], direction, og_locale)


def _locale(code: str) -> Locale:
    return Locale.parse(code.replace("-", "_"))


@lru_cache(maxsize=1 << 12)  # the dates of a site's pages: many alike
def format_date(value: dt.date, code: str) -> str:
    return str(babel_format_date(value, format="long", locale=_locale(code)))


class UiStrings:
    """The theme's translated UI strings, one gettext catalog per language."""

    def __init__(self, catalogs: dict[str, gettext.NullTranslations]) -> None:
        self._catalogs = catalogs

    def translations(self, lang: str) -> gettext.NullTranslations:
        return self._catalogs.get(lang) or gettext.NullTranslations()

    def gettext(self, lang: str, message: str) -> str:
        return self.translations(lang).gettext(message)


def load_ui_strings(
    locale_dirs: list[Path], languages: tuple[str, ...], diags: Diagnostics
) -> UiStrings:
    """Read `<theme>/locales/<lang>.po` along the theme chain, the most specific winning."""
    catalogs: dict[str, gettext.NullTranslations] = {}
    for lang in languages:
        merged = Catalog(locale=_locale(lang))
        found = False
        for folder in reversed(locale_dirs):  # the parent first, overrides last
            po_path = folder / f"{lang}.po"
            if not po_path.is_file():
                continue
            found = True
            try:
                with po_path.open("rb") as handle:
                    catalog = read_po(handle, locale=_locale(lang), abort_invalid=True)
            except (PoFileError, ValueError, OSError) as exc:
                diags.error(f"cannot read the UI-string catalog: {exc}", po_path)
                continue
            for message in catalog:
                if message.id and message.string and not message.fuzzy:
                    if message.id in merged:
                        del merged[message.id]  # babel would keep the old string on update
                    merged[message.id] = message
        if not found and not lang.startswith("en"):
            diags.warning(
                f"the theme has no UI strings for '{lang}' (add locales/{lang}.po to "
                "the theme); English is shown",
                locale_dirs[0] if locale_dirs else None,
            )
        buffer = io.BytesIO()
        write_mo(buffer, merged)
        buffer.seek(0)
        catalogs[lang] = gettext.GNUTranslations(buffer)
    return UiStrings(catalogs)
