"""config.yaml's `brand`: the site's logo, favicon and accent colour, checked for contrast.

The accent colours links and buttons, so the build refuses one that fails WCAG AA contrast
(4.5:1 for text) against the default theme's backgrounds, in light or in dark mode.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kbgen.schema import At, Field, Invalid, unknown_key
from kbgen.yamlfile import shown

BRAND_KEYS = {"logo", "favicon", "color"}
# The backgrounds links and buttons sit on in the default theme (static/css/main.css:
# --bg and --surface), by mode.
BACKGROUNDS = {"light": ("#ffffff", "#f4f6f9"), "dark": ("#12151a", "#1c2129")}
MIN_CONTRAST = 4.5  # WCAG 2 AA, normal text
LOGO_TYPES = (".svg", ".png", ".jpg", ".jpeg", ".webp")
FAVICON_TYPES = (".svg", ".png", ".ico")
_HEX = re.compile(r"#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})")


@dataclass(frozen=True)
class BrandConfig:
    logo: Path | None = None  # light mode (and dark mode without logo_dark)
    logo_dark: Path | None = None
    favicon: Path | None = None
    color: str | None = None  # the accent in light mode, "#rrggbb"
    color_dark: str | None = None  # in dark mode

    def files(self) -> dict[str, Path]:
        """The brand's files by their name under the site's assets/ folder."""
        found = {}
        if self.logo is not None:
            found[f"brand/logo{self.logo.suffix.lower()}"] = self.logo
        if self.logo_dark is not None:
            found[f"brand/logo-dark{self.logo_dark.suffix.lower()}"] = self.logo_dark
        if self.favicon is not None:
            found[f"brand/favicon{self.favicon.suffix.lower()}"] = self.favicon
        return found

    def css(self) -> bytes:
        """The accent colours as the default theme's custom properties; empty without any."""
        if self.color is None or self.color_dark is None:
            return b""
        light = _properties(self.color)
        dark = _properties(self.color_dark)
        return (
            f":root {{ {light} }}\n"
            "@media (prefers-color-scheme: dark) {\n"
            f"  :root:not([data-theme=light]) {{ {dark} }}\n}}\n"
            f":root[data-theme=dark] {{ {dark} }}\n"
        ).encode()


def _properties(accent: str) -> str:
    # button text: black or white, whichever reads better on the accent (one always gets 4.5:1)
    text = "#000000" if contrast(accent, "#000000") >= contrast(accent, "#ffffff") else "#ffffff"
    return f"--accent: {accent}; --accent-text: {text}; --focus: {accent};"


def luminance(color: str) -> float:
    """WCAG 2 relative luminance of "#rgb" or "#rrggbb"."""
    digits = color.lstrip("#")
    if len(digits) == 3:
        digits = "".join(d * 2 for d in digits)
    channels = [int(digits[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(first: str, second: str) -> float:
    """WCAG 2 contrast ratio of two colours, from 1 to 21."""
    a, b = sorted((luminance(first), luminance(second)), reverse=True)
    return (a + 0.05) / (b + 0.05)


class BrandField(Field[BrandConfig]):
    """config.yaml's `brand` mapping: files that exist, colours that read on the theme's
    backgrounds. Each problem is reported at its key's line."""

    def check(self, value: Any, at: At) -> BrandConfig:
        if not isinstance(value, dict):
            raise Invalid("must be a mapping (logo, favicon, color)")
        for key in value:
            if key not in BRAND_KEYS:
                at.child(key).say("error", unknown_key(at.child(key).name, sorted(BRAND_KEYS)))
        root: Path = at.value("root")
        logo = logo_dark = favicon = None
        if "logo" in value:
            light, dark, where = _modes(value, "logo", at)
            logo = _file(light, where("light"), root, LOGO_TYPES)
            if dark is not None:
                logo_dark = _file(dark, where("dark"), root, LOGO_TYPES)
        if "favicon" in value:
            favicon = _file(value["favicon"], at.child("favicon"), root, FAVICON_TYPES)
        colors: dict[str, str | None] = {"light": None, "dark": None}
        if "color" in value:
            light, dark, where = _modes(value, "color", at)
            both = not isinstance(value["color"], dict)
            for mode, given in (("light", light), ("dark", dark if dark is not None else light)):
                colors[mode] = _accent(given, mode, both, where(mode))
        return BrandConfig(logo, logo_dark, favicon, colors["light"], colors["dark"])


def _modes(value: dict[str, Any], key: str, at: At) -> tuple[Any, Any, Callable[[str], At]]:
    """A value for both modes, or {light: …, dark: …}: (light, dark or None, where a mode's
    problem is reported)."""
    given, place = value[key], at.child(key)
    if not isinstance(given, dict):
        return given, None, lambda mode: place
    for mode in given:
        if mode not in ("light", "dark"):
            place.child(mode).fail("unknown key (known keys: dark, light)")
    if "light" not in given:
        place.fail("needs a 'light' value (and optionally 'dark')")
    return given.get("light"), given.get("dark", given.get("light")), place.child


def _file(value: Any, at: At, root: Path, types: tuple[str, ...]) -> Path | None:
    if not isinstance(value, str) or not value.strip():
        at.fail(f"must be the path of a file beside config.yaml, got {shown(value)}")
        return None
    found = root / value.strip()
    if found.suffix.lower() not in types:
        at.fail(f"must be a {', '.join(types)} file, got {shown(value)}")
    elif not found.is_file():
        at.fail(f"no such file: {found}; the path is relative to config.yaml's folder")
    else:
        return found
    return None


def _accent(value: Any, mode: str, both: bool, at: At) -> str | None:
    """The accent colour of one mode, if it reads on that mode's backgrounds."""
    if not isinstance(value, str) or not _HEX.fullmatch(value.strip()):
        at.fail(f"must be a colour such as '#0b57d0', got {shown(value)}")
        return None
    color = value.strip().lower()
    for background in BACKGROUNDS[mode]:
        ratio = contrast(color, background)
        if ratio < MIN_CONTRAST:
            hint = "darker" if mode == "light" else "lighter"
            other = "" if not both else ", or give one per mode: {light: …, dark: …}"
            at.fail(
                f"{color} has a contrast of {ratio:.2f}:1 against the {mode} mode "
                f"background {background}; links and buttons need at least "
                f"{MIN_CONTRAST}:1 (WCAG AA): choose a {hint} colour{other}"
            )
            return None
    return color
