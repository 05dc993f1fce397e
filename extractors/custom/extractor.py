"""Self-built sources (CSV and XLSX files) into the intermediate format, by the service's mapping.

`--source` is the source folder; the mapping is `--mapping FILE` or `<source>/mapping.yaml`
(`docs/custom-mapping.md`). The mapping is checked against the folder before any data
row is read, and refused with every problem and its line. Then, like the other families
(`extractors/README.md`): the keys and statuses first (`index.build_index`), then each
table's records in chunks through `Batch` (`tables.Run`); the files are read by
`source.py`. Value maps live in
the mapping, not in `mappings/*.csv`; unmapped values are counted in the run's
`CodeMapper`, so the manifest lists them with their counts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, ClassVar, Literal

from nffs_migration.errors import ConfigurationError
from nffs_migration.extractors.base import (
    SWISS_TIME,
    Chunk,
    ColumnProfile,
    ExtractOptions,
    SourceInfo,
    SourceProfile,
    TableProfile,
)
from nffs_migration.extractors.custom.check import Checked, prepare
from nffs_migration.extractors.custom.values import cell_text
from nffs_migration.extractors.run import ExtractContext
from nffs_migration.intermediate_format.definition import TABLES
from nffs_migration.intermediate_format.model import Kind
from nffs_migration.log import get_logger
from nffs_migration.resources import resource

log = get_logger(__name__)
MAPPING_FILE = "mapping.yaml"
#: Code values seen fewer times than this are shown in a profile as a count only.
MIN_CELL = 5


def mapping_path(options: ExtractOptions) -> Path:
    """The mapping file: `--mapping`, else `mapping.yaml` in the source folder."""
    return options.mapping if options.mapping is not None else Path(options.source) / MAPPING_FILE


def checked_mapping(options: ExtractOptions, *, same_service: bool = True) -> Checked:
    """The mapping of an extraction, checked against its source folder.

    Raises:
        ConfigurationError: The mapping or the source has errors, or the mapping is for
            another service (unless `same_service` is false, as for a profile).
    """
    root = Path(options.source)
    path = mapping_path(options)
    if not path.is_file():
        raise ConfigurationError(
            f"no mapping file at {path}: give it with --mapping, or propose one with "
            f"`nffs-migrate mapping init --source {root}`"
        )
    checked = prepare(path, root, options.documents)
    service = checked.mapping.service_id
    if same_service and service != options.service_id:
        raise ConfigurationError(
            f"{path.name} is the mapping of service {service}, not of {options.service_id}"
        )
    return checked


class CustomExtractor:
    """Extractor for self-built sources described by a mapping file."""

    name: ClassVar[str] = "custom"
    title: ClassVar[str] = "Self-built system (CSV/XLSX files and a mapping.yaml)"
    options_class: ClassVar[type[ExtractOptions]] = ExtractOptions
    mappings_dir: ClassVar[Traversable] = resource("nffs_migration.extractors.custom", "mappings")
    #: A self-built source has no fixed codes: its value maps live in the mapping file.
    mapping_lists: ClassVar[tuple[str, ...]] = ()
    deletions: ClassVar[Literal["key_sets", "children"] | None] = None  # full batches only
    replaces: ClassVar[dict[str, str]] = {}
    #: Fixed by no system: the mapping file says what the source keeps (see `extract`).
    not_kept: ClassVar[tuple[str, ...]] = ()

    def describe(self, options: ExtractOptions) -> SourceInfo:
        """The export's moment (`organisation.data_as_of`, or `--as-of`), name and version."""
        if options.since:
            raise ConfigurationError(
                "a self-built source has no change markers: extract it in full (no --delta)"
            )
        mapping = checked_mapping(options).mapping
        moment = options.as_of or mapping.data_as_of
        if moment is None:
            raise ConfigurationError(f"{mapping.path.name}: organisation.data_as_of is missing")
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=SWISS_TIME)
        communes = mapping.constant("organisation", "commune_numbers")
        if options.commune_numbers is None and communes:
            # The framework builds the organisation row from the options; the mapping
            # is where a self-built source keeps its communes.
            options.commune_numbers = list(communes)
        version = mapping.constant("organisation", "source_version")
        return SourceInfo(
            "custom",
            str(version) if version is not None else None,
            moment,
            name=mapping.constant("organisation", "name"),
            description=f"{len(mapping.files)} files described by {mapping.path.name}",
            delta=False,
        )

    def profile(self, options: ExtractOptions) -> SourceProfile:
        """Per file or sheet the mapping reads: rows, fill rates, code frequencies."""
        checked = checked_mapping(options, same_service=False)
        tables = []
        done: set[object] = set()
        for spec in checked.mapping.tables.values():
            source = spec.source
            if source is None or source.identity in done:
                continue
            done.add(source.identity)
            codes = {
                rule.source_column
                for other in checked.mapping.tables.values()
                if other.source is not None and other.source.identity == source.identity
                for rule in other.fields.values()
                if rule.source_column
                and rule.extract is None  # part of a cell (a town in "3600 Thun"): not a code
                and (rule.map_name or rule.kind in (Kind.CODE, Kind.BOOLEAN))
            }
            tables.append(_profile(checked, source, codes, options.chunk_rows))
        return SourceProfile("custom", None, tables)

    def extract(self, options: ExtractOptions, context: ExtractContext) -> Iterator[Chunk]:
        """Yield every mapped table's rows, parents before children."""
        from nffs_migration.extractors.custom.tables import Run

        checked = checked_mapping(options)
        mapping = checked.mapping
        context.mapper.versions["value_maps"] = f"{mapping.path.name} sha256:{mapping.digest[:12]}"
        context.not_kept.update(unkept(mapping))
        for warning in checked.warnings:
            log.warning("%s, %s", mapping.path.name, warning)
        yield from Run(checked, options, context).chunks()


#: Columns the extraction fills itself (from the document copy, from the date's form).
DERIVED = frozenset(
    {
        "documents.file",
        "documents.media_type",
        "documents.size_bytes",
        "documents.sha256",
        "persons.birth_date_precision",
    }
)


def unkept(mapping: Any) -> set[str]:
    """What a self-built source does not keep: the tables and fields its mapping leaves out."""
    missing: set[str] = set()
    for name, table in TABLES.items():
        if name == "organisation":
            continue  # written from the options and the mapping's constants
        spec = mapping.tables.get(name)
        if spec is None or spec.source is None:
            missing.add(name)
            continue
        lineage = {table.primary_key, "source_system", "source_key", "service_id"}
        for column in table.columns:
            if column.name in lineage or f"{name}.{column.name}" in DERIVED:
                continue
            rule = spec.fields.get(column.name)
            given = rule is not None and (
                rule.source_column is not None
                or rule.has_value
                or rule.default is not None
                or rule.parent_key
            )
            if not given:
                missing.add(f"{name}.{column.name}")
    return missing


def _profile(checked: Checked, source: object, codes: set[str], chunk_rows: int) -> TableProfile:
    from nffs_migration.extractors.custom.mappingfile import SourceSpec

    assert isinstance(source, SourceSpec)  # noqa: S101 - profile() passes a table's source
    rows = 0
    filled: Counter[str] = Counter()
    frequencies: dict[str, Counter[str]] = {}
    names: list[str] = []
    for chunk in checked.table(source).chunks(chunk_rows):
        names = chunk.header.names
        rows += len(chunk)
        for position, name in enumerate(names):
            if not name:
                continue
            cells = [row[position] for row in chunk.cells]
            texts = [cell_text(cell) for cell in cells]
            filled[name] += sum(text is not None for text in texts)
            if name in codes:
                frequencies.setdefault(name, Counter()).update(t for t in texts if t is not None)
    columns = []
    for name in names:
        if not name:
            continue
        counts = frequencies.get(name)
        shown = None
        if counts is not None:
            shown = {value: count for value, count in sorted(counts.items()) if count >= MIN_CELL}
            rare = sum(count for count in counts.values() if count < MIN_CELL)
            if rare:
                shown[f"(values seen fewer than {MIN_CELL} times)"] = rare
        columns.append(
            ColumnProfile(
                name=name,
                type="code" if counts is not None else "text",
                filled=filled[name],
                distinct=len(counts) if counts is not None else None,
                frequencies=shown,
            )
        )
    return TableProfile(name=source.label, rows=rows, columns=columns)


__all__ = ["MAPPING_FILE", "CustomExtractor", "checked_mapping", "mapping_path"]
