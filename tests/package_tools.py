"""Helpers for tests that change a package: make it consistent again as a producer would."""

from __future__ import annotations

from pathlib import Path


def reseal(root: Path) -> None:
    """What a vendor's exporter does: list every file with its checksum in the manifest."""
    from nffs_migration.intermediate_format.manifest import (
        FileEntry,
        Manifest,
        TableEntry,
        content_digest,
        to_json,
    )
    from nffs_migration.intermediate_format.writer import sha256_file

    manifest = Manifest.model_validate_json((root / "manifest.json").read_text())
    files = {
        p.relative_to(root).as_posix(): FileEntry(sha256=sha256_file(p), bytes=p.stat().st_size)
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != "manifest.json"
    }
    tables = {
        n: TableEntry(file=e.file, rows=e.rows, sha256=files[e.file].sha256)
        for n, e in manifest.tables.items()
    }
    updated = manifest.model_copy(
        update={"files": files, "tables": tables, "content_sha256": content_digest(files)}
    ).sealed()
    (root / "manifest.json").write_text(to_json(updated))
