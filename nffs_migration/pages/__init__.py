"""Every HTML page the toolkit writes: Jinja2 templates, one base layout, one stylesheet.

The validation report (`report.html`), the status dashboard (`status.html`), the
format's reference (`reference.html`), a source's profile (`profile.html`) and the
canton's persons across services (`identity.html`) extend `base.html`, which inlines
`style.css`: each page is one self-contained file, without scripts, fonts or images
from elsewhere, so it opens offline and travels by e-mail.
Python computes the figures (counts, shares, chart geometry); the templates hold all
markup. Values are escaped (autoescape), and an undefined name is an error, never an
empty cell.

    render("report.html", title=..., ...)   # the page as text

Text is marked for translation in the templates (`{{ _("Rules with findings") }}`,
`{% trans %}`) and shown in the run's language (`nffs_migration.i18n`); numbers and
shares use its conventions (filters `number`, `percent`), labels of the format its
three-language labels (filter `label`).

The templates are package data (`nffs_migration/pages/templates/`), read through
`importlib.resources` like every file the toolkit ships.
"""

from __future__ import annotations

from functools import cache
from importlib.resources.abc import Traversable
from typing import Any

import jinja2

from nffs_migration import __version__, i18n
from nffs_migration.resources import require, resource

PACKAGE = "nffs_migration.pages"
#: Every template: the layout, the stylesheet and one page each.
TEMPLATES = (
    "base.html",
    "style.css",
    "report.html",
    "status.html",
    "reference.html",
    "profile.html",
    "identity.html",
)


def template(name: str) -> Traversable:
    """A template's file (it may be missing in a broken installation)."""
    return resource(PACKAGE, "templates", name)


def _source(name: str) -> str:
    return require(template(name), f"page template {name}").read_text(encoding="utf-8")


@cache
def environment() -> jinja2.Environment:
    """The one Jinja2 environment of every page."""
    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(_source),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        extensions=["jinja2.ext.i18n"],
    )
    # Messages in the run's language, looked up when the page is rendered.
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=i18n._, ngettext=i18n.ngettext, newstyle=True
    )
    env.policies["ext.i18n.trimmed"] = True
    env.filters["number"] = i18n.number
    env.filters["percent"] = i18n.percent
    env.filters["label"] = i18n.text_of
    env.globals["tool_version"] = __version__
    return env


def render(template: str, **context: Any) -> str:
    """A page from its template and the figures it shows, in the run's language."""
    return environment().get_template(template).render(lang=i18n.language(), **context)


__all__ = ["TEMPLATES", "render", "template"]
