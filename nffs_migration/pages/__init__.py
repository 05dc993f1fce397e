"""Every HTML page the toolkit writes: Jinja2 templates, one base layout, one stylesheet.

The validation report (`report.html`), the status dashboard (`status.html`), the
format's reference (`reference.html`) and a source's profile (`profile.html`) extend
`base.html`, which inlines `style.css`: each page is one self-contained file, without
scripts, fonts or images from elsewhere, so it opens offline and travels by e-mail.
Python computes the figures (counts, shares, chart geometry); the templates hold all
markup. Values are escaped (autoescape), and an undefined name is an error, never an
empty cell.

    render("report.html", title=..., ...)   # the page as text

The templates are package data (`nffs_migration/pages/templates/`), read through
`importlib.resources` like every file the toolkit ships.
"""

from __future__ import annotations

from functools import cache
from importlib.resources.abc import Traversable
from typing import Any

import jinja2

from nffs_migration import __version__
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
)


def template(name: str) -> Traversable:
    """A template's file (it may be missing in a broken installation)."""
    return resource(PACKAGE, "templates", name)


def _source(name: str) -> str:
    return require(template(name), f"page template {name}").read_text(encoding="utf-8")


def _number(value: int | float | None) -> str:
    """A count with thousands separators (`12,345`); nothing for None."""
    return "" if value is None else f"{value:,}"


def _percent(value: float | None, digits: int = 0) -> str:
    """A share as a percentage (`0.125` → `12.5%` with one digit); nothing for None."""
    return "" if value is None else f"{value:.{digits}%}"


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
    )
    env.filters["number"] = _number
    env.filters["percent"] = _percent
    env.globals["tool_version"] = __version__
    return env


def render(template: str, **context: Any) -> str:
    """A page from its template and the figures it shows."""
    return environment().get_template(template).render(**context)


__all__ = ["TEMPLATES", "render", "template"]
