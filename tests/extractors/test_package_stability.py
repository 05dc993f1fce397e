"""The packages of fixed sources are what they were: a refactoring changes no output.

Compares a fresh extraction of every generated and hand-written reference source with
the digests committed in `tests/package_digests.json` (see `tests/package_digests.py`;
regenerate with `python tests/package_digests.py --write` when output is meant to
change, and say why in the commit).
"""

from __future__ import annotations

import json

from package_digests import DIGESTS, all_digests


def test_every_package_is_the_same_table_by_table() -> None:
    committed = json.loads(DIGESTS.read_text(encoding="utf-8"))
    current = all_digests()
    changed = [
        f"{source} {part}"
        for source, parts in sorted(committed.items())
        for part, digest in sorted(parts.items())
        if current.get(source, {}).get(part) != digest
    ]
    added = [
        f"{source} {part}"
        for source, parts in sorted(current.items())
        for part in sorted(parts)
        if part not in committed.get(source, {})
    ]
    assert changed == [] and added == []
