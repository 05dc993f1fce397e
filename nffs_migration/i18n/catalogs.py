"""Keep the message catalogs in step with the code (a developer's tool, not used at run time).

    python -m nffs_migration.i18n.catalogs            # report what is missing or stale
    python -m nffs_migration.i18n.catalogs --update   # rewrite messages.pot, merge de.po, fr.po

Run from the repository's root. Messages are extracted with Babel from the Python
modules of every part (`_()`, `N_()`, `ngettext()`) and from the page templates
(`{{ _("…") }}`, `{% trans %}`); the template `locales/messages.pot` lists them, and each
catalog gains the new ones (untranslated, for a translator to fill) and loses the ones
no longer used. `tests/basics/test_i18n.py` fails while a catalog lacks a translation.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

#: The folders whose messages a person reads (the sample generator speaks to developers).
FOLDERS = (
    "nffs_migration",
    "intermediate_format",
    "extractors",
    "validators",
    "loaders",
    "flows",
    "transit",
    "identity",
)
METHODS = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
OPTIONS = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n", "trimmed": "true"}}
LOCALES = Path("nffs_migration") / "i18n" / "locales"
TRANSLATED = ("de", "fr")


def extract(root: Path) -> Catalog:
    """Every message of the code and the templates, with where it is used."""
    template = Catalog(project="nffs-migration", domain="messages")
    for folder in FOLDERS:
        found = extract_from_dir(root / folder, METHODS, OPTIONS, strip_comment_tags=True)
        for filename, line, message, comments, context in found:
            where = (f"{folder}/{filename}", line)
            template.add(message, locations=[where], auto_comments=comments, context=context)
    return template


def read(path: Path, locale: str | None = None) -> Catalog:
    """A catalog file."""
    with path.open("rb") as handle:
        return read_po(handle, locale=locale)


def write(path: Path, catalog: Catalog) -> None:
    """A catalog file, sorted, without line numbers (stable diffs)."""
    with path.open("wb") as handle:
        write_po(handle, catalog, width=0, sort_output=True, include_lineno=False)


def update(root: Path) -> None:
    """Rewrite the template and merge it into every language's catalog."""
    folder = root / LOCALES
    template = extract(root)
    write(folder / "messages.pot", template)
    for lang in TRANSLATED:
        path = folder / f"{lang}.po"
        catalog = read(path, lang) if path.exists() else Catalog(locale=lang)
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        write(path, catalog)


def missing(root: Path) -> dict[str, list[str]]:
    """Per language: messages of the code that its catalog does not translate."""
    template = extract(root)
    result = {}
    for lang in TRANSLATED:
        catalog = read(root / LOCALES / f"{lang}.po", lang)
        result[lang] = [
            str(message.id)
            for message in template
            if message.id
            and (
                (found := catalog.get(message.id, message.context)) is None
                or not found.string
                or found.fuzzy
            )
        ]
    return result


def main(argv: list[str]) -> int:
    """Report or update the catalogs of the repository in the working directory."""
    root = Path.cwd()
    if "--update" in argv:
        update(root)
    gaps = missing(root)
    for lang, messages in gaps.items():
        print(f"{lang}: {len(messages)} untranslated")  # noqa: T201 - a developer's tool
    return 1 if any(gaps.values()) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
