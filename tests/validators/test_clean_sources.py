"""Clean sources give no false alarm: no error and no warning under the canton's default.

Generated without dirt, for every system and a few seeds: every rule, of extraction and
of validation, stays quiet (infos aside). The hand-written reference sources check the
same (`test_reference_sources.py`). With the optional segment guidelines the report
gains its portfolio table and chart.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from extractor_kit import GENERATED_OPTIONS as OPTIONS
from extractor_kit import extract

from nffs_migration.sample_data.generate import generate
from nffs_migration.validators import validate_package


@pytest.mark.parametrize("seed", [11, 12])
@pytest.mark.parametrize("system", sorted(OPTIONS))
def test_a_clean_generated_source_gives_no_error_and_no_warning(
    tmp_path: Path, system: str, seed: int
) -> None:
    source = generate(system, tmp_path / "source", cases=80, seed=seed, dirt="none")
    extract(system, source, OPTIONS[system], tmp_path / "package")
    report = validate_package(tmp_path / "package").report
    noisy = sorted({f.rule_id for f in report.findings if f.severity.value in ("error", "warning")})
    assert noisy == []
    if seed == 11:
        # The standard tools agree: Frictionless finds the package valid as it stands.
        frictionless = Path(sys.executable).with_name("frictionless")
        checked = subprocess.run(
            [str(frictionless), "validate", "datapackage.json", "--json"],
            cwd=tmp_path / "package",
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        result = json.loads(checked.stdout)
        errors = [
            (t["name"], e["type"], e.get("fieldName")) for t in result["tasks"] for e in t["errors"]
        ]
        assert result["valid"], errors[:20]


def test_the_segment_guidelines_report_shows_the_portfolio(tmp_path: Path, cli) -> None:
    source = generate("klibnet", tmp_path / "source", cases=60, seed=5, dirt="none")
    extract("klibnet", source, OPTIONS["klibnet"], tmp_path / "package")
    result = cli("validate", str(tmp_path / "package"), "--profile", "segment-guidelines")
    assert result.exit_code == 0, result.stderr
    data = json.loads((tmp_path / "package" / "reports" / "validation.json").read_text())
    assert data["meta"]["profile"]["name"] == "segment-guidelines"
    guidelines = data["meta"]["segment_guidelines"]
    assert set(guidelines["segments"]) == {"A", "B", "C"}
    assert guidelines["portfolio"] and all("staff_key" in row for row in guidelines["portfolio"])
    assert "segment-contact-frequency" in {rule["id"] for rule in data["rules"]}
    page = (tmp_path / "package" / "reports" / "validation.html").read_text()
    assert "Portfolio per social worker" in page and "cases per segment" in page
    # Under the canton's default the guidelines stay off.
    cli("validate", str(tmp_path / "package"))
    data = json.loads((tmp_path / "package" / "reports" / "validation.json").read_text())
    assert "segment_guidelines" not in data["meta"]
    assert not {r["id"] for r in data["rules"]} & {
        "segment-contact-frequency",
        "segment-time-limit",
    }
