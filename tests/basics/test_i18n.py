"""German and French: complete catalogs, the language chosen right, pages with no English left.

The catalogs must translate every message the code and templates mark, with the same
placeholders; every page is rendered in German and French, searched for English
messages, and laid out in headless Chromium to see that nothing overflows.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from babel.messages.catalog import Catalog
from browser import dump_dom
from lxml import html as lxml_html

from nffs_migration import i18n
from nffs_migration.flows.ledger import Ledger
from nffs_migration.flows.status import dashboard_html
from nffs_migration.i18n import catalogs
from nffs_migration.pages import render
from nffs_migration.validators.html import render_html

REPO = Path(__file__).resolve().parents[2]
PLACEHOLDERS = re.compile(r"%\([a-z_]+\)s|\{[a-z_]+\}|%%")


@pytest.fixture(autouse=True)
def _english_afterwards() -> Any:
    yield
    i18n.set_language("en")


def _catalog(lang: str) -> Catalog:
    return catalogs.read(REPO / catalogs.LOCALES / f"{lang}.po", lang)


def _ids(catalog: Catalog) -> set[Any]:
    return {m.id for m in catalog if m.id}


def test_the_template_lists_every_message_of_the_code() -> None:
    extracted = _ids(catalogs.extract(REPO))
    committed = _ids(catalogs.read(REPO / catalogs.LOCALES / "messages.pot"))
    assert extracted == committed, (
        "the catalogs are stale: run `python -m nffs_migration.i18n.catalogs --update` "
        f"(new: {sorted(map(str, extracted - committed))[:5]}, "
        f"gone: {sorted(map(str, committed - extracted))[:5]})"
    )


@pytest.mark.parametrize("lang", ["de", "fr"])
def test_every_message_is_translated_with_its_placeholders(lang: str) -> None:
    template = catalogs.read(REPO / catalogs.LOCALES / "messages.pot")
    catalog = _catalog(lang)
    missing, fuzzy, wrong = [], [], []
    for message in template:
        if not message.id:
            continue
        found = catalog.get(message.id)
        if (
            found is None
            or not found.string
            or not all(found.string if isinstance(found.string, tuple) else [found.string])
        ):
            missing.append(message.id)
            continue
        if found.fuzzy:
            fuzzy.append(message.id)
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = found.string if isinstance(found.string, tuple) else (found.string,)
        expected = sorted(PLACEHOLDERS.findall(ids[-1]))
        for text in strings:
            if sorted(PLACEHOLDERS.findall(text)) != expected:
                wrong.append((ids[0], text))
    assert missing == [] and fuzzy == [] and wrong == []
    assert _ids(catalog) == _ids(template), "obsolete or extra entries"


def test_the_language_comes_from_option_environment_configuration_locale(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for variable in ("NFFS_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(variable, raising=False)
    assert i18n.resolve() == "en"
    monkeypatch.setenv("LANG", "fr_CH.UTF-8")
    assert i18n.resolve() == "fr"
    assert i18n.resolve(configured="de") == "de"
    monkeypatch.setenv("NFFS_LANG", "de")
    assert i18n.resolve(configured="fr") == "de"
    assert i18n.resolve("fr", configured="de") == "fr"
    monkeypatch.setenv("NFFS_LANG", "it")  # a language the toolkit lacks: the next source
    assert i18n.resolve(configured="en") == "en"


def test_numbers_follow_the_language() -> None:
    i18n.set_language("de")
    assert i18n.number(12345) == "12'345" and i18n.percent(0.125, 1) == "12.5%"
    i18n.set_language("fr")
    assert i18n.percent(0.125, 1).startswith("12,5") and i18n.percent(0.125, 1).endswith("%")
    i18n.set_language("en")
    assert i18n.number(12345) == "12,345"


def _report() -> dict[str, Any]:
    rules = [
        {
            "id": "open-case-without-lead",
            "category": "completeness",
            "severity": "error",
            "table": "cases",
            "description": "",
            "failed": 3,
            "checked": 40,
        },
        {
            "id": "talk-without-duration",
            "category": "completeness",
            "severity": "warning",
            "table": "journal_entries",
            "description": "",
            "failed": 30,
            "checked": 400,
            "tolerated": True,
        },
    ]
    findings = [
        {
            "rule_id": r["id"],
            "table": r["table"],
            "record_id": f"x:{n}",
            "source_key": str(n),
            "field": None,
        }
        for r in rules
        for n in range(25)
    ]
    return {
        "summary": {"passed": False, "errors": 3, "warnings": 30, "infos": 0},
        "rules": rules,
        "findings": findings,
        "meta": {
            "package_id": "0942-klibnet-full-0001",
            "service_id": "0942",
            "source_system": "klibnet",
            "data_as_of": "2026-11-30",
            "as_of": "2026-11-30",
            "profile": {"name": "canton-default"},
            "tool_version": "0.1.0",
            "findings_by_year": {"2019": {"completeness": 20}, "no case": {"completeness": 3}},
            "segment_guidelines": {
                "segments": {"A": {"cases": 4, "enough_contacts": 2}},
                "portfolio": [
                    {
                        "staff_key": "17",
                        "cases": 4,
                        "A": 1,
                        "B": 2,
                        "C": 1,
                        "share_a": 25.0,
                        "share_c": 25.0,
                    }
                ],
            },
            "fill_rates": {"cases": {"closing_reason": 0.5}},
            "rows": {"cases": 40},
        },
    }


def _pages(tmp_path: Path) -> dict[str, str]:
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.db'}")
    ledger.plan_service("0942", "Sozialdienst Thun", source_system="klibnet", wave=1)
    ledger.start_batch("0942", 1, "full", "klibnet")
    ledger.update_batch(
        "0942", 1, outcome="blocked", errors=3, blocking_rule="open-case-without-lead"
    )
    pages = {
        "report": render_html(_report()),
        "status": dashboard_html(ledger),
        "profile": render(
            "profile.html",
            title="Profile",
            system="kiss",
            version="4.x",
            tables=[
                {
                    "name": "BaPerson",
                    "rows": 70,
                    "columns": [
                        {
                            "name": "GeschlechtCode",
                            "type": "int",
                            "filled": "100%",
                            "shown": "1 34, 2 36",
                        }
                    ],
                }
            ],
        ),
    }
    ledger.close()
    return pages


def _english_left(page: str, lang: str) -> list[str]:
    """English messages that stand as a whole text of the page although translated."""
    catalog = _catalog(lang)
    english = {
        str(m.id)
        for m in catalog
        if m.id
        and isinstance(m.id, str)
        and m.string
        and m.string != m.id
        and not PLACEHOLDERS.search(m.id)
        and len(m.id) > 3
    }
    texts = {t.strip() for t in lxml_html.fromstring(page).itertext() if t.strip()}
    return sorted(texts & english)


@pytest.mark.parametrize("lang", ["de", "fr"])
def test_every_page_speaks_the_language(lang: str, tmp_path: Path) -> None:
    i18n.set_language(lang)
    pages = _pages(tmp_path)
    for name, page in pages.items():
        assert f'<html lang="{lang}">' in page, name
        assert _english_left(page, lang) == [], name
    assert "Rules with findings" not in pages["report"]


OVERFLOW = """<script>
window.addEventListener("load", () => {
  const wide = [...document.querySelectorAll("body *")].filter(
    (e) => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1
  ).map((e) => e.tagName + "." + e.className);
  document.body.setAttribute("data-overflow", JSON.stringify(wide.slice(0, 5)));
});
</script>"""


@pytest.mark.parametrize("lang", ["de", "fr"])
def test_no_page_overflows_in_chromium(lang: str, tmp_path: Path) -> None:
    i18n.set_language(lang)
    for name, page in _pages(tmp_path).items():
        # A copy with a measuring script (the pages themselves carry none).
        probe = tmp_path / f"{name}-{lang}.html"
        probe.write_text(page.replace("</body>", OVERFLOW + "</body>"), encoding="utf-8")
        dom = dump_dom(probe, tmp_path / "profile")
        found = re.search(r'data-overflow="([^"]*)"', dom)
        assert found, f"{name}: the page did not render"
        assert json.loads(found.group(1).replace("&quot;", '"')) == [], name


def test_the_command_line_summarises_in_german(cli, tmp_path: Path) -> None:
    result = cli("--lang", "de", "package", "inspect", str(tmp_path / "nothing"))
    assert result.exit_code == 2
    assert result.stderr.startswith("Fehler:"), result.stderr
    english = cli("--lang", "en", "package", "inspect", str(tmp_path / "nothing"))
    assert english.stderr.startswith("error:")
    unknown = cli("--lang", "it", "rules")
    assert unknown.exit_code == 2 and "--lang" in unknown.stderr
