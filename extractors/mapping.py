"""Code mapping as data: versioned CSV files per source family, overridable per service.

Each source family keeps its translations in `extractors/<family>/mappings/<list>.csv`
(`source,target` rows; lines starting with `#` are comments, the first one carries the
file's version). A service overrides or extends them with its own YAML file
(`--mapping service.yaml`):

```yaml
codes:
  budget_position:      # the code list, named as in the mapping files
    MIET: MIETE         # source value: canonical code of the intermediate format
  marital_status:
    "8": "9"
```

Lookups are exact (after trimming blanks): a value that no mapping covers is never
guessed. The extractor keeps the record's raw value out of the data: an optional
column becomes null with a finding, a required one sends the record to the rejects,
and every unmapped value is counted per list for the package (codes, not personal
values, are what the lists hold).
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import yaml

from nffs_migration.errors import ConfigurationError
from nffs_migration.intermediate_format.codes import CODE_LISTS
from nffs_migration.resources import REINSTALL, listing, require

#: The format's code list each mapping list translates into.
TARGET_LIST = {
    "sex": "sex",
    "marital_status": "marital_status",
    "nationality": "country",
    "residence_permit": "residence_permit",
    "language": "language",
    "domain": "domain",
    "closing_reason": "closing_reason",
    "staff_role": "staff_role",
    "member_role": "member_role",
    "budget_status": "budget_status",
    "item_kind": "item_kind",
    "budget_position": "budget_position",
    "payment_category": "budget_position",
    "payment_status": "payment_status",
    "contact_type": "contact_type",
    "doc_type": "doc_type",
    "segment": "segment",
}

#: Every mapping list a family may ship, in the order of the files.
MAPPING_LISTS: tuple[str, ...] = tuple(TARGET_LIST)


def _key(value: Any) -> str | None:
    """The lookup key of a source value: text, trimmed; booleans as 1/0; integral floats as ints."""
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    return text or None


@dataclass
class CodeMapper:
    """Translates source codes into the format's codes and counts what it cannot translate."""

    tables: dict[str, dict[str, str]]
    versions: dict[str, str] = field(default_factory=dict)
    unmapped: Counter[tuple[str, str]] = field(default_factory=Counter)
    #: Values translated per list: with `unmapped`, tells a list that mapped nothing.
    mapped: Counter[str] = field(default_factory=Counter)

    @classmethod
    def load(
        cls,
        folder: Traversable,
        override: Path | None = None,
        *,
        required: Iterable[str] = (),
    ) -> CodeMapper:
        """Read a family's mapping folder and apply a service's override file.

        Every list in `required` must be there and hold at least one row: a family whose
        lists are missing would reject every record as unmapped, so a missing folder,
        list or an empty list is a `ConfigurationError` naming the file (exit 2).
        """
        tables: dict[str, dict[str, str]] = {}
        versions: dict[str, str] = {}
        required = tuple(required)
        shipped = listing(folder, ".csv", "mapping lists") if required or folder.is_dir() else []
        for path in shipped:
            name = path.name.removesuffix(".csv")
            if name not in TARGET_LIST:
                raise ConfigurationError(f"{path}: unknown mapping list {name!r}")
            table, version = _read_csv(path)
            if not table:
                raise ConfigurationError(
                    f"{path}: the mapping list {name} holds no rows; {REINSTALL}"
                )
            _check_targets(name, table, str(path))
            tables[name] = table
            versions[name] = version
        for name in required:
            if name not in tables:
                require(folder / f"{name}.csv", f"the mapping list {name}")
        if override is not None:
            for name, entries in _read_override(override).items():
                tables.setdefault(name, {}).update(entries)
                versions[name] = versions.get(name, "") + f"+{override.name}"
            digest = hashlib.sha256(override.read_bytes()).hexdigest()[:12]
            versions["override"] = f"{override.name} sha256:{digest}"
        return cls(tables, versions)

    def lookup(self, name: str, value: Any) -> str | None:
        """Translate one value; None when the value is null or unmapped (then counted)."""
        key = _key(value)
        if key is None:
            return None
        target = self.tables.get(name, {}).get(key)
        if target is None:
            self.unmapped[(name, key)] += 1
        else:
            self.mapped[name] += 1
        return target

    def map_series(self, name: str, values: pd.Series) -> tuple[pd.Series, pd.Series]:
        """Translate a column; returns (mapped values as Arrow strings, mask of unmapped values).

        The distinct values are looked up once (dictionary encoding), so a column of a
        million rows costs as many lookups as it has distinct codes.
        """
        table = self.tables.get(name, {})
        array = pa.array(values, from_pandas=True)
        encoded = pc.dictionary_encode(array)
        indices = encoded.indices
        targets: list[str | None] = []
        unmapped: list[bool] = []
        for value in encoded.dictionary.to_pylist():
            key = _key(value)
            target = table.get(key) if key is not None else None
            targets.append(target)
            unmapped.append(key is not None and target is None)
        mapped = pc.take(pa.array(targets, pa.string()), indices)
        missing = pc.fill_null(pc.take(pa.array(unmapped, pa.bool_()), indices), False)
        missing_np = np.asarray(missing.to_numpy(zero_copy_only=False), dtype=bool)
        self.mapped[name] += len(mapped) - mapped.null_count
        if missing_np.any():
            counts = pc.value_counts(pc.filter(indices, missing))
            dictionary = encoded.dictionary.to_pylist()
            for item in counts.to_pylist():
                self.unmapped[(name, str(_key(dictionary[item["values"]])))] += int(item["counts"])
        return (
            pd.Series(mapped, index=values.index, dtype=pd.ArrowDtype(pa.string())),
            pd.Series(missing_np, index=values.index, dtype=bool),
        )

    def mapped_report(self) -> dict[str, int]:
        """How many values each list translated (for the manifest)."""
        return dict(sorted(self.mapped.items()))

    def unmapped_report(self) -> dict[str, dict[str, int]]:
        """Every unmapped value with its count, per list (for the manifest)."""
        report: dict[str, dict[str, int]] = {}
        for (name, key), count in sorted(self.unmapped.items()):
            report.setdefault(name, {})[key] = count
        return report


def _read_csv(path: Traversable) -> tuple[dict[str, str], str]:
    version = ""
    rows: dict[str, str] = {}
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigurationError(f"{path}: cannot read the mapping list ({exc})") from None
    lines = []
    for line in io.StringIO(text, newline=""):
        if line.startswith("#"):
            if not version and "version" in line:
                version = line.split("version", 1)[1].strip(" :\n")
            continue
        lines.append(line)
    reader = csv.DictReader(lines)
    if reader.fieldnames is None or not {"source", "target"} <= set(reader.fieldnames):
        raise ConfigurationError(f"{path}: a mapping file needs the columns source,target")
    for number, row in enumerate(reader, start=2):
        source = _key(row["source"])
        if source is None:
            raise ConfigurationError(f"{path}, line {number}: empty source value")
        if source in rows:
            raise ConfigurationError(f"{path}, line {number}: source value {source!r} mapped twice")
        rows[source] = (row["target"] or "").strip()
    return rows, version


def _check_targets(name: str, table: dict[str, str], where: str) -> None:
    allowed = set(CODE_LISTS[TARGET_LIST[name]].values)
    wrong = sorted({target for target in table.values() if target not in allowed})
    if wrong:
        raise ConfigurationError(
            f"{where}: targets {wrong} are not codes of the format's list {TARGET_LIST[name]}"
        )


def _read_override(path: Path) -> dict[str, dict[str, str]]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigurationError(f"{path}: cannot read the mapping file ({exc})") from None
    codes = data.get("codes", {}) if isinstance(data, dict) else None
    if not isinstance(codes, dict):
        raise ConfigurationError(
            f"{path}: expected a 'codes:' section with one entry per code list"
        )
    result: dict[str, dict[str, str]] = {}
    for name, entries in codes.items():
        if name not in TARGET_LIST:
            raise ConfigurationError(
                f"{path}: unknown code list {name!r}; known lists: {', '.join(sorted(TARGET_LIST))}"
            )
        if not isinstance(entries, dict):
            raise ConfigurationError(f"{path}: codes.{name} must map source values to codes")
        table = {}
        for source, target in entries.items():
            key = _key(source)
            if key is None:
                raise ConfigurationError(f"{path}: codes.{name} has an empty source value")
            table[key] = str(target).strip()
        _check_targets(name, table, f"{path}: codes.{name}")
        result[name] = table
    return result


__all__ = ["MAPPING_LISTS", "TARGET_LIST", "CodeMapper"]
