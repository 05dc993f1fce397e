"""A family registered through the entry-point group works without editing the format.

A vendor's distribution declares `[nffs_migration.extractors] acme = acme_ext:Acme`; the
toolkit then lists `acme` as a source system (code list, record ids, manifest, service
configuration), extracts it with the framework, and validates its package.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PLUGIN = """
from datetime import datetime
from importlib.resources import files
from typing import ClassVar
from zoneinfo import ZoneInfo

import pandas as pd

from nffs_migration.extractors.base import Chunk, ExtractOptions, SourceInfo, SourceProfile


class Acme:
    name: ClassVar[str] = "acme"
    title: ClassVar[str] = "ACME case files (a vendor's own family)"
    options_class = ExtractOptions
    mappings_dir = files("acme_ext")
    mapping_lists: ClassVar[tuple[str, ...]] = ()
    deletions = None
    replaces: ClassVar[dict[str, str]] = {}
    not_kept: ClassVar[tuple[str, ...]] = ("measures", "documents")

    def describe(self, options):
        return SourceInfo("acme", "1.0", datetime(2026, 3, 14, 18, 22, tzinfo=ZoneInfo("Europe/Zurich")))

    def profile(self, options):
        return SourceProfile("acme", "1.0", [])

    def extract(self, options, context):
        rows = pd.DataFrame(
            {
                "staff_id": [context.record_id("S1")],
                "source_system": ["acme"],
                "source_key": ["S1"],
                "service_id": [options.service_id],
                "short_name": ["ABC"],
                "family_name": ["Muster"],
                "given_name": ["Barbara"],
                "role": ["social_worker"],
                "active": [True],
            }
        )
        yield Chunk("staff", "Mitarbeiter", rows, read=1)
"""

SCRIPT = """
import sys
from pathlib import Path
from nffs_migration.intermediate_format.codes import SOURCE_SYSTEM
from nffs_migration.extractors import available, get_extractor
from nffs_migration.extractors.run import extract_package
from nffs_migration.validators import validate_package
from nffs_migration.flows.config import Source

assert "acme" in SOURCE_SYSTEM.values and "acme" in available()
Source(system="acme", url="x")
extractor = get_extractor("acme")
options = extractor.options_class(source="x", service_id="0942")
result = extract_package(extractor, options, Path(sys.argv[1]))
assert result.manifest.source_system == "acme"
report = validate_package(Path(sys.argv[1])).report
print(result.manifest.package_id, report.summary["errors"])
"""


def test_a_registered_family_extracts_and_validates(tmp_path: Path) -> None:
    site = tmp_path / "site"
    (site / "acme_ext").mkdir(parents=True)
    (site / "acme_ext" / "__init__.py").write_text(PLUGIN)
    meta = site / "acme_ext-1.0.dist-info"
    meta.mkdir()
    (meta / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-ext\nVersion: 1.0\n")
    (meta / "entry_points.txt").write_text("[nffs_migration.extractors]\nacme = acme_ext:Acme\n")
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")]),
    }
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path / "package")],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    package_id, errors = result.stdout.split()
    assert package_id.startswith("0942-acme-full-0001-") and errors == "0"
