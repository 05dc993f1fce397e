"""Frictionless Table Schemas and the Data Package descriptor, derived from the definition.

A package's `datapackage.json` describes its tables with these schemas, and
`nffs-migrate schema export` publishes them, so a vendor can check a package with any
Frictionless tool and without our code.
"""

from __future__ import annotations

from typing import Any

from nffs_migration.intermediate_format.codes import CODE_LISTS
from nffs_migration.intermediate_format.definition import FORMAT_VERSION, REJECTS, TABLES
from nffs_migration.intermediate_format.model import TABLE_SCHEMA_TYPES, Column, Kind, Table

#: What a missing value looks like in a number column read by a pandas-based tool.
NUMBER_MISSING_VALUES = ("", "nan")


def field_descriptor(column: Column) -> dict[str, Any]:
    """The Table Schema field of a column."""
    descriptor: dict[str, Any] = {
        "name": column.name,
        "type": TABLE_SCHEMA_TYPES[column.kind],
        "title": column.label.en,
        "description": column.description or column.label.en,
        "labels": {"de": column.label.de, "fr": column.label.fr},
    }
    if column.kind is Kind.TIMESTAMP:
        descriptor["description"] += " Local civil time in Switzerland, without offset."
    if descriptor["type"] in ("integer", "number"):
        # Frictionless reads Parquet through pandas, where a missing integer becomes NaN
        # and reaches the schema as "nan": declared missing for number columns only.
        descriptor["missingValues"] = list(NUMBER_MISSING_VALUES)
    constraints: dict[str, Any] = {}
    if column.required:
        constraints["required"] = True
    if column.unique:
        constraints["unique"] = True
    if column.codes:
        constraints["enum"] = list(CODE_LISTS[column.codes].values)
    if column.fmt:
        constraints["pattern"] = column.fmt.pattern.removeprefix("^").removesuffix("$")
    if column.minimum is not None:
        constraints["minimum"] = column.minimum
    if column.maximum is not None:
        constraints["maximum"] = column.maximum
    if constraints:
        descriptor["constraints"] = constraints
    return descriptor


def table_schema(table: Table) -> dict[str, Any]:
    """The Table Schema of a table: fields, primary key and foreign keys."""
    schema: dict[str, Any] = {
        "fields": [field_descriptor(column) for column in table.columns],
        "missingValues": [""],
    }
    if table is not REJECTS:
        schema["primaryKey"] = [table.primary_key]
    foreign_keys = [
        {
            "fields": [column.name],
            "reference": {
                "resource": column.foreign_key.table,
                "fields": [column.foreign_key.column],
            },
        }
        for column in table.foreign_keys
        if column.foreign_key is not None
    ]
    if foreign_keys:
        schema["foreignKeys"] = foreign_keys
    return schema


def data_package(name: str, rejects: list[str] | tuple[str, ...] = ()) -> dict[str, Any]:
    """The `datapackage.json` descriptor of a package with every table and the given rejects."""
    resources: list[dict[str, Any]] = [
        {
            "name": table.name,
            "path": f"tables/{table.name}.parquet",
            "format": "parquet",
            "profile": "tabular-data-resource",
            "title": table.label.en,
            "description": table.description,
            "schema": table_schema(table),
        }
        for table in TABLES.values()
    ]
    resources.extend(
        {
            "name": f"rejects-{table_name.replace('_', '-')}",
            "path": f"rejects/{table_name}.parquet",
            "format": "parquet",
            "profile": "tabular-data-resource",
            "title": f"Rejected records for {table_name}",
            "schema": table_schema(REJECTS),
        }
        for table_name in rejects
    )
    return {
        "name": name.lower(),
        "profile": "tabular-data-package",
        "title": "NFFS intermediate package",
        "version": FORMAT_VERSION,
        "resources": resources,
    }


__all__ = ["NUMBER_MISSING_VALUES", "data_package", "field_descriptor", "table_schema"]
