"""Checks of a mapping across its parts, once every part is read.

Value maps against the fields that use them, references against the tables read,
parents and key templates against their tables. Problems are collected with their lines,
as everywhere in the mapping check.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nffs_migration.extractors.custom.fieldrules import FieldRule, attach_map
from nffs_migration.extractors.custom.yamlnodes import Problems
from nffs_migration.intermediate_format.model import Kind

if TYPE_CHECKING:
    from nffs_migration.extractors.custom.mappingfile import Mapping, TableSpec


def _suggest(name: str, choices: list[str]) -> str:
    from nffs_migration.extractors.custom.mappingfile import suggest

    return suggest(name, choices)


def cross_check(mapping: Mapping, problems: Problems) -> None:
    """Checks across tables and maps: value maps, references, parents, keys."""
    reported: set[tuple[str, int, str]] = set()
    used_maps: set[str] = set()
    if "documents" in mapping.tables and mapping.documents_folder is None:
        problems.error(mapping.tables["documents"].line, "documents_folder is missing")
    if "organisation" not in mapping.tables:
        problems.error(0, "tables.organisation is missing (name, communes, data_as_of)")
    else:
        organisation = mapping.tables["organisation"]
        key = organisation.key.text if organisation.key else None
        if key is not None and mapping.service_id and key != mapping.service_id:
            problems.error(organisation.key_line, "tables.organisation.key is the service_id")
        for name, rule in organisation.fields.items():
            if not rule.has_value:
                problems.error(rule.line, f"tables.organisation.fields.{name}: use value:")
    for table in mapping.tables.values():
        for rule in table.fields.values():
            where = f"tables.{table.name}.fields.{rule.name}"
            if rule.map_name is not None:
                used_maps.add(rule.map_name)
                if rule.map_name not in mapping.value_maps:
                    problems.error(
                        rule.map_line,
                        f"{where}: no value map {rule.map_name!r}"
                        + _suggest(rule.map_name, list(mapping.value_maps)),
                    )
                else:
                    attach_map(rule, mapping.value_maps[rule.map_name], problems, reported)
            _reference(mapping, problems, table, rule, where)
            if rule.precision_of is not None:
                target = table.fields.get(rule.precision_of)
                if target is None or target.kind is not Kind.DATE or not target.source_column:
                    problems.error(
                        rule.line,
                        f"{where}: precision_of names a date field read from a column",
                    )
        _structure(mapping, problems, table)
    for name in mapping.value_maps:
        if name not in used_maps:
            problems.warning(
                mapping.map_lines.get(name, 0), f"value_maps.{name} is not used by any field"
            )


def _reference(
    mapping: Mapping, problems: Problems, table: TableSpec, rule: FieldRule, where: str
) -> None:
    target = rule.column.foreign_key.table if rule.column.foreign_key else None
    if target is None:
        return
    if rule.parent_key:
        if table.parent is None:
            problems.error(rule.line, f"{where}: parent_key needs parent: in the table")
        elif table.parent != target:
            problems.error(rule.line, f"{where}: the parent is {table.parent}, not {target}")
    elif target not in mapping.tables:
        problems.error(rule.line, f"{where}: refers to {target}, which the mapping does not read")
    elif table.parent == target:
        problems.error(rule.line, f"{where}: the reference to the parent is parent_key: true")


def _structure(mapping: Mapping, problems: Problems, table: TableSpec) -> None:
    where = f"tables.{table.name}"
    key = table.key
    if key is not None and table.name != "organisation":
        if key.constant:
            problems.error(
                table.key_line,
                f"{where}.key: has no placeholder, so every record would get the same key",
            )
        if key.has_parent and table.parent is None:
            problems.error(table.key_line, f"{where}.key: {{parent}} needs parent: in the table")
    if table.parent is None:
        return
    parent = mapping.tables.get(table.parent)
    if parent is None:
        problems.error(table.parent_line, f"{where}.parent: {table.parent} is not in the mapping")
    elif not parent.one_record_per:
        problems.error(table.parent_line, f"{where}.parent: {table.parent} has no one_record_per")
    elif parent.source and table.source and parent.source.identity != table.source.identity:
        problems.error(
            table.parent_line,
            f"{where}.parent: {table.parent} reads another file, sheet or header row",
        )
    if table.one_record_per:
        problems.error(table.parent_line, f"{where}: a table with a parent has one row per record")


__all__ = ["cross_check"]
