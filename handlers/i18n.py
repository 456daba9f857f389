"""Message catalogs: handlers/locales/<lang>/*.toml, one file per feature, fa the fallback."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

LOCALES = Path(__file__).with_name("locales")
LANGUAGES = ("fa", "prs", "ps", "en", "ar")
DEFAULT = "fa"
# Dari readers understand Persian; everyone else falls back to Persian too.
FALLBACK = {"prs": "fa", "ps": "fa", "en": "fa", "ar": "fa"}


class _Defaults(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _flatten(prefix: str, table: Mapping[str, Any], out: dict[str, str]) -> None:
    for k, v in table.items():
        name = f"{prefix}{k}"
        if isinstance(v, Mapping):
            _flatten(name + ".", v, out)
        else:
            out[name] = str(v)


class Catalog:
    """Looks up `feature.key` in the user's language, then in its fallbacks."""

    def __init__(self, root: Path = LOCALES) -> None:
        self.messages: dict[str, dict[str, str]] = {}
        for lang in LANGUAGES:
            flat: dict[str, str] = {}
            for path in sorted((root / lang).glob("*.toml")):
                with path.open("rb") as fh:
                    _flatten(path.stem + ".", tomllib.load(fh), flat)
            self.messages[lang] = flat

    def normalise_lang(self, lang: str | None) -> str:
        if not lang:
            return DEFAULT
        lang = lang.lower().split("-")[0]
        return lang if lang in self.messages else DEFAULT

    def has(self, key: str, lang: str = DEFAULT) -> bool:
        return any(key in self.messages.get(lg, {}) for lg in self._chain(lang))

    def _chain(self, lang: str) -> list[str]:
        chain = [self.normalise_lang(lang)]
        while chain[-1] in FALLBACK:
            chain.append(FALLBACK[chain[-1]])
        return chain

    def t(self, lang: str | None, key: str, /, **params: Any) -> str:
        """The message `key` in `lang` with `{name}` placeholders filled from params."""
        for lg in self._chain(lang or DEFAULT):
            template = self.messages.get(lg, {}).get(key)
            if template is not None:
                return template.format_map(_Defaults(params)) if params else template
        raise KeyError(f"no message {key!r} in any catalog")
