"""German and French for everything a person reads: one language per run, gettext catalogs.

English is the source language: messages are written in English in the code and the
templates, marked with `_()` (translated where they are shown) or `N_()` (marked where
they are defined, such as a rule's title, and translated where shown). The catalogs
`locales/de.po` and `locales/fr.po` hold the translations; `catalogs.py` extracts the
messages into `locales/messages.pot` and merges them into the catalogs (a test fails
when a catalog lacks a message or is stale).

The language of a run, first found wins:

1. `--lang de|fr|en` on the command line (`set_language`);
2. the environment variable `NFFS_LANG`;
3. the service's configuration (`language: de|fr`), given by the flow that reads it;
4. the locale (`LC_ALL`, `LC_MESSAGES`, `LANG`: `de_CH.UTF-8` gives German);
5. English.

Numbers follow the language's Swiss conventions (`12'345` in German and French).
Labels of tables, columns and codes come from the format definition, which holds them in
the three languages already (`text_of`).
"""

from __future__ import annotations

import io
import os
from contextvars import ContextVar
from functools import cache
from gettext import GNUTranslations, NullTranslations
from typing import Any

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent

from nffs_migration.resources import require, resource

#: The languages of the toolkit; English is the source language.
LANGUAGES = ("en", "de", "fr")
#: The locale used for numbers per language.
LOCALES = {"en": "en", "de": "de_CH", "fr": "fr_CH"}
PACKAGE = "nffs_migration.i18n"
ENVIRONMENT = "NFFS_LANG"

_language: ContextVar[str | None] = ContextVar("nffs_language", default=None)
#: The run's language for threads that do not share the caller's context (workers).
_process_language: str | None = None


def normalise(value: str | None) -> str | None:
    """`de`, `de_CH.UTF-8`, `fr-CH` → `de` / `fr`; None for a language the toolkit lacks."""
    if not value:
        return None
    code = value.strip().replace("-", "_").split("_")[0].split(".")[0].lower()
    return code if code in LANGUAGES else None


def _locale_language() -> str | None:
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG"):
        found = normalise(os.environ.get(variable))
        if found:
            return found
    return None


def resolve(explicit: str | None = None, configured: str | None = None) -> str:
    """The language of a run from the option, the environment, the configuration, the locale."""
    for value in (explicit, os.environ.get(ENVIRONMENT), configured):
        found = normalise(value)
        if found:
            return found
    return _locale_language() or "en"


def set_language(explicit: str | None = None, configured: str | None = None) -> str:
    """Fix the language of this run (see `resolve`) and return it."""
    global _process_language
    chosen = resolve(explicit, configured)
    _language.set(chosen)
    _process_language = chosen
    return chosen


def language() -> str:
    """The language of this run (resolved on first use when nobody set it)."""
    current = _language.get() or _process_language
    return current if current is not None else resolve()


def catalog_file(lang: str) -> Any:
    """The catalog of a language (`locales/<lang>.po`, a package resource)."""
    return resource(PACKAGE, "locales", f"{lang}.po")


@cache
def translations(lang: str) -> NullTranslations:
    """The translations of a language (English: the messages as written)."""
    if lang == "en":
        return NullTranslations()
    item = require(catalog_file(lang), f"the {lang} message catalog")
    with item.open("rb") as handle:
        catalog = read_po(handle, locale=lang)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return GNUTranslations(buffer)


def _(message: str) -> str:
    """`message` in the run's language."""
    return translations(language()).gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    """The singular or plural of a message for `count`, in the run's language."""
    return translations(language()).ngettext(singular, plural, count)


def N_(message: str) -> str:
    """Mark a message for translation where it is defined; `_()` translates it where shown."""
    return message


def number(value: float | None, digits: int = 0) -> str:
    """A figure with the language's thousands separator; nothing for None."""
    if value is None:
        return ""
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, format=pattern, locale=LOCALES[language()])


def percent(value: float | None, digits: int = 0) -> str:
    """A share as a percentage in the language's form (`12.5%`, `12,5 %`); nothing for None."""
    if value is None:
        return ""
    locale = LOCALES[language()]
    pattern = Locale.parse(locale).percent_formats[None].pattern
    if digits:
        last = pattern.rfind("0")
        pattern = pattern[: last + 1] + "." + "0" * digits + pattern[last + 1 :]
    return format_percent(value, format=pattern, locale=locale)


def text_of(labelled: Any) -> str:
    """A three-language label (with `en`, `de`, `fr` attributes) in the run's language."""
    return str(getattr(labelled, language(), None) or labelled.en)


__all__ = [
    "ENVIRONMENT",
    "LANGUAGES",
    "N_",
    "_",
    "language",
    "ngettext",
    "normalise",
    "number",
    "percent",
    "resolve",
    "set_language",
    "text_of",
    "translations",
]
