"""Every HTML page the toolkit writes: one layout, one stylesheet, escaped values, no gaps.

The validation report, the status dashboard, the format's reference and a source's
profile are rendered from `nffs_migration/pages/templates`; these tests hold them to the
promises of `nffs_migration.pages`: self-contained, the same stylesheet, values escaped,
and a figure the template needs but is not given is an error, never an empty cell.
"""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path
from typing import Any

import jinja2
import pytest

from nffs_migration.flows.ledger import Ledger
from nffs_migration.flows.status import dashboard_html
from nffs_migration.pages import TEMPLATES, render, template
from nffs_migration.sample_data.generate import generate
from nffs_migration.schemas.export import reference_html
from nffs_migration.validators.html import render_html

STYLE = re.compile(r"<style>(.*?)</style>", re.DOTALL)


def _report(
    description: str = "A closed case has no closing reason.",
    rule_id: str = "closed-case-without-reason",
) -> dict[str, Any]:
    rule = {
        "id": rule_id,
        "category": "completeness",
        "severity": "warning",
        "table": "cases",
        "description": description,
        "failed": 2,
        "checked": 40,
    }
    finding = {
        "rule_id": rule["id"],
        "table": "cases",
        "record_id": "case-0942-klibnet-1",
        "source_key": "1",
        "field": "closing_reason",
    }
    return {
        "summary": {"passed": True, "errors": 0, "warnings": 2, "infos": 0},
        "rules": [rule],
        "findings": [finding, {**finding, "record_id": "case-0942-klibnet-2", "source_key": "2"}],
        "meta": {
            "package_id": "0942-klibnet-full-0001",
            "findings_by_year": {"2019": {"completeness": 2}},
            "fill_rates": {"cases": {"closing_reason": 0.95}},
            "rows": {"cases": 40},
            "profile": {"name": "canton"},
        },
    }


def _pages(tmp_path: Path) -> dict[str, str]:
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.db'}")
    ledger.plan_service("0942", "Sozialdienst Thun", source_system="klibnet", wave=1)
    return {
        "report": render_html(_report()),
        "status": dashboard_html(ledger),
        "reference": reference_html(),
        "profile": render(
            "profile.html",
            title="Profile of a klibnet source",
            system="klibnet",
            version="5.x",
            tables=[{"name": "tblKlient", "rows": 3, "columns": []}],
        ),
    }


def test_every_page_has_the_one_stylesheet_and_layout(tmp_path: Path) -> None:
    pages = _pages(tmp_path)
    stylesheet = template("style.css").read_text(encoding="utf-8")
    for name, page in pages.items():
        styles = STYLE.findall(page)
        assert len(styles) == 1 and styles[0].strip() == stylesheet.strip(), name
        assert page.startswith("<!doctype html>") and "<footer>Written by nffs-migration" in page
        assert "<script" not in page and "@import" not in page and "src=" not in page, name
        assert not re.search(r"https?://(?!www\.w3\.org/2000/svg)", page), name


def test_values_are_escaped() -> None:
    # A rule the catalog does not know (a vendor's) shows its own description.
    page = render_html(_report("<b>bold</b> & <script>x</script>", rule_id="vendor-rule"))
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; &lt;script&gt;" in page
    assert "<script>" not in page


def test_a_missing_figure_is_an_error_not_an_empty_cell() -> None:
    with pytest.raises(jinja2.UndefinedError):
        render("report.html", title="Validation")


def test_every_template_is_shipped() -> None:
    assert all(template(name).is_file() for name in TEMPLATES)


def test_profile_shows_codes_and_ranges_never_names(cli, tmp_path: Path) -> None:
    source = generate("klibnet", tmp_path / "src", cases=12, seed=5)
    url = f"sqlite:///{source.out / 'klibnet.sqlite'}"
    page, data = tmp_path / "profile.html", tmp_path / "profile.json"
    assert cli("profile", "klibnet", "--source", url, "--out", str(page)).exit_code == 0
    assert cli("profile", "klibnet", "--source", url, "--out", str(data)).exit_code == 0
    html = page.read_text(encoding="utf-8")
    profile = json.loads(data.read_text(encoding="utf-8"))
    clients = next(t for t in profile["tables"] if t["name"] == "tblKlient")
    assert f"tblKlient: {clients['rows']:,} rows" in html
    sex = next(c for c in clients["columns"] if c["name"] == "Geschlecht")
    assert sex["frequencies"], "a code column shows its values"
    shown = ", ".join(f"{v} {c:,}" for v, c in sex["frequencies"].items())
    assert "<td>Geschlecht</td><td>str</td>" in html and shown in html
    with sqlite3.connect(source.out / "klibnet.sqlite") as connection:
        names = {row[0] for row in connection.execute("SELECT Name FROM tblKlient")} - {None}
    assert names and not [n for n in names if len(n.strip()) > 3 and n.strip() in html]
    assert "built-in method" not in html
