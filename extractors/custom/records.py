"""Records of a table: rows that count and their keys.

`RecordReader` turns the rows of a file or sheet into a table's records: rows blank in a
`skip_rows` column are not records; with `one_record_per`, the first row of each group
is the record; each record gets its key from the template (`{seq}` counted in file
order, `{parent}` the key of the parent's group). What is decided before extraction
from every table's keys is in `index.py`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from nffs_migration.extractors.custom.check import Checked
from nffs_migration.extractors.custom.keys import KeyMaker
from nffs_migration.extractors.custom.mappingfile import TableSpec
from nffs_migration.extractors.custom.source import Rows
from nffs_migration.extractors.custom.values import cell_text

Group = tuple[str | None, ...]


@dataclass
class Records:
    """One chunk of a table's records."""

    rows: Rows
    keys: list[str | None]
    parents: list[str | None]

    def __len__(self) -> int:
        return len(self.keys)


def column_places(header_index: dict[str, int], columns: tuple[str, ...]) -> list[int]:
    """The places of `columns` in a header."""
    return [header_index[column] for column in columns]


class RecordReader:
    """Reads a table's records in chunks, keys made, in file order."""

    def __init__(
        self,
        checked: Checked,
        spec: TableSpec,
        chunk_rows: int,
        parent: TableSpec | None = None,
        parent_groups: dict[Group, str] | None = None,
    ) -> None:
        if spec.source is None or spec.key is None:
            raise ValueError(f"{spec.name} has no source")  # the mapping check prevents this
        self.checked = checked
        self.spec = spec
        self.chunk_rows = chunk_rows
        self.parent = parent
        self.parent_groups = parent_groups or {}

    def __iter__(self) -> Iterator[Records]:
        spec = self.spec
        assert spec.source is not None and spec.key is not None  # noqa: S101 - see __init__
        maker = KeyMaker(spec.key)
        seen: set[Group] = set()
        for rows in self.checked.table(spec.source).chunks(self.chunk_rows):
            index = rows.header.index
            skip = column_places(index, spec.skip_blank)
            group_at = column_places(index, spec.one_record_per)
            parent_at = column_places(index, self.parent.one_record_per) if self.parent else []
            key_at = [index[column] for column in spec.key.columns]
            text = cell_text
            if skip or group_at:
                positions: list[int] = []
                for position, row in enumerate(rows.cells):
                    if skip and any([text(row[i]) is None for i in skip]):
                        continue
                    if group_at:
                        group = tuple([text(row[i]) for i in group_at])
                        if group in seen:
                            continue
                        seen.add(group)
                    positions.append(position)
                chosen = rows.take(positions) if len(positions) < len(rows) else rows
            else:
                chosen = rows
            groups = self.parent_groups
            render = maker.render_values
            if parent_at:
                parents = [
                    groups.get(tuple([text(row[i]) for i in parent_at])) for row in chosen.cells
                ]
            else:
                parents = [None] * len(chosen)
            keys = [
                render([text(row[i]) for i in key_at], parent)
                for row, parent in zip(chosen.cells, parents, strict=True)
            ]
            if keys:
                yield Records(chosen, keys, parents)


__all__ = ["Group", "RecordReader", "Records", "column_places"]
