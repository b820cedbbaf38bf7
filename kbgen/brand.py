"""config.yaml's `brand`: the site's logo, favicon and accent colour, checked for contrast.

The accent colours links and buttons, so the build refuses one that fails WCAG AA contrast
(4.5:1 for text) against the default theme's backgrounds, in light or in dark mode.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kbgen.diagnostics import Diagnostics

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


def parse_brand(
    raw: Any, lines: dict[str, int], path: Path, root: Path, diags: Diagnostics
) -> BrandConfig:
    """Validate config.yaml's `brand` mapping; problems go to `diags` with the key's line."""

    def fail(key: str, message: str) -> None:
        line = lines.get(key) or lines.get(key.rpartition(".")[0]) or lines.get("brand")
        diags.error(f"'{key}': {message}", path, line)

    if raw is None:
        return BrandConfig()
    if not isinstance(raw, dict):
        fail("brand", "must be a mapping (logo, favicon, color)")
        return BrandConfig()
    for key in raw:
        if key not in BRAND_KEYS:
            fail(f"brand.{key}", f"unknown key (known keys: {', '.join(sorted(BRAND_KEYS))})")

    def file(key: str, value: Any, types: tuple[str, ...]) -> Path | None:
        if not isinstance(value, str) or not value.strip():
            fail(key, f"must be the path of a file beside config.yaml, got {value!r}")
            return None
        found = root / value.strip()
        if found.suffix.lower() not in types:
            fail(key, f"must be a {', '.join(types)} file, got {value!r}")
        elif not found.is_file():
            fail(key, f"no such file: {found}; the path is relative to config.yaml's folder")
        else:
            return found
        return None

    def pair(key: str) -> tuple[Any, Any]:
        """A value for both modes, or {light: …, dark: …}."""
        value = raw.get(key)
        if isinstance(value, dict):
            for mode in value:
                if mode not in ("light", "dark"):
                    fail(f"brand.{key}.{mode}", "unknown key (known keys: dark, light)")
            if "light" not in value:
                fail(f"brand.{key}", "needs a 'light' value (and optionally 'dark')")
            return value.get("light"), value.get("dark", value.get("light"))
        return value, None

    logo = logo_dark = favicon = None
    if "logo" in raw:
        light, dark = pair("logo")
        key = "brand.logo.light" if isinstance(raw["logo"], dict) else "brand.logo"
        logo = file(key, light, LOGO_TYPES)
        if dark is not None:
            logo_dark = file("brand.logo.dark", dark, LOGO_TYPES)
    if "favicon" in raw:
        favicon = file("brand.favicon", raw["favicon"], FAVICON_TYPES)

    color = color_dark = None
    if "color" in raw:
        light, dark = pair("color")
        both = not isinstance(raw["color"], dict)
        for mode, value in (("light", light), ("dark", dark if dark is not None else light)):
            key = "brand.color" if both else f"brand.color.{mode}"
            if not isinstance(value, str) or not _HEX.fullmatch(value.strip()):
                fail(key, f"must be a colour such as '#0b57d0', got {value!r}")
                continue
            value = value.strip().lower()
            for background in BACKGROUNDS[mode]:
                ratio = contrast(value, background)
                if ratio < MIN_CONTRAST:
                    hint = "darker" if mode == "light" else "lighter"
                    other = "" if not both else ", or give one per mode: {light: …, dark: …}"
                    fail(
                        key,
                        f"{value} has a contrast of {ratio:.2f}:1 against the {mode} mode "
                        f"background {background}; links and buttons need at least "
                        f"{MIN_CONTRAST}:1 (WCAG AA): choose a {hint} colour{other}",
                    )
                    break
            else:
                if mode == "light":
                    color = value
                else:
                    color_dark = value
    return BrandConfig(logo, logo_dark, favicon, color, color_dark)
