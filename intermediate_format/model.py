"""The building blocks of the format definition: code lists, columns, tables.

`definition.py` declares the contract with these classes; everything else (Arrow and
pandas types, pandera schemas, Table Schemas, JSON Schema, the reference page, the
target DDL) is derived from them through the properties and helpers here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

import pandas as pd
import pyarrow as pa


class Kind(StrEnum):
    """The value kinds a column can hold, each with one Arrow type."""

    STRING = "string"
    CODE = "code"
    DATE = "date"
    TIMESTAMP = "timestamp"
    INTEGER = "integer"
    BOOLEAN = "boolean"
    MONEY = "money"
    INTEGER_LIST = "integer_list"


#: CHF amounts: exact decimals with two places, never float.
MONEY_TYPE = pa.decimal128(12, 2)

ARROW_TYPES: dict[Kind, pa.DataType] = {
    Kind.STRING: pa.string(),
    Kind.CODE: pa.string(),
    Kind.DATE: pa.date32(),
    # Local civil time in Switzerland as the source records it, without an offset.
    Kind.TIMESTAMP: pa.timestamp("us"),
    Kind.INTEGER: pa.int64(),
    Kind.BOOLEAN: pa.bool_(),
    Kind.MONEY: MONEY_TYPE,
    # A JSON array of integers in a string (`[351, 942]`): Table Schema's `array`
    # type reads it, and every Parquet reader can hold it.
    Kind.INTEGER_LIST: pa.string(),
}

#: Table Schema (Frictionless) field types per kind.
TABLE_SCHEMA_TYPES: dict[Kind, str] = {
    Kind.STRING: "string",
    Kind.CODE: "string",
    Kind.DATE: "date",
    Kind.TIMESTAMP: "datetime",
    Kind.INTEGER: "integer",
    Kind.BOOLEAN: "boolean",
    Kind.MONEY: "number",
    Kind.INTEGER_LIST: "array",
}


@dataclass(frozen=True)
class Label:
    """A term in English with its German and French field labels."""

    en: str
    de: str
    fr: str


@dataclass(frozen=True)
class Code:
    """One value of a code list and what it means."""

    value: str
    label: Label


@dataclass(frozen=True)
class CodeList:
    """A closed list of canonical codes.

    Attributes:
        name: Identifier used by columns (`Column.codes`).
        description: What the list encodes and after which standard.
        codes: The values with their labels, in their canonical order.
        standard: Where the list comes from (eCH-0044, ISO 3166-1, ...), if anywhere.
    """

    name: str
    description: str
    codes: tuple[Code, ...]
    standard: str | None = None

    @property
    def values(self) -> tuple[str, ...]:
        """The code values in canonical order."""
        return tuple(code.value for code in self.codes)

    def label(self, value: str) -> Label | None:
        """The label of a code value, or None if the value is not in the list."""
        for code in self.codes:
            if code.value == value:
                return code.label
        return None


@dataclass(frozen=True)
class ForeignKey:
    """A reference to the id column of another table."""

    table: str
    column: str


@dataclass(frozen=True)
class Format:
    """A textual format beyond the type: a pattern and the rule that checks it.

    Attributes:
        name: Short name (`ahvn13`, `postal_code`, ...), used in rule ids.
        pattern: Regular expression the whole value must match.
        description: What the format is, for the reference.
        check_digit: True when a check digit is verified beyond the pattern.
    """

    name: str
    pattern: str
    description: str
    check_digit: bool = False


@dataclass(frozen=True)
class Column:
    """One column of a table of the contract.

    Attributes:
        name: Column name (fixed by the contract once published).
        kind: Value kind, which fixes the Arrow type.
        label: Meaning in English with the German and French field label.
        description: A sentence for the reference, in English.
        required: The value may not be null.
        codes: Name of the code list the values must come from.
        foreign_key: The id column of another table this column refers to.
        fmt: A textual format (pattern, check digit) for string columns.
        unique: Values are unique within the table (ids).
        minimum: Smallest allowed value for integers and amounts.
        maximum: Largest allowed value for integers and amounts.
        lineage: One of the key and lineage columns every table has.
    """

    name: str
    kind: Kind
    label: Label
    description: str = ""
    required: bool = False
    codes: str | None = None
    foreign_key: ForeignKey | None = None
    fmt: Format | None = None
    unique: bool = False
    minimum: int | None = None
    maximum: int | None = None
    lineage: bool = False

    @property
    def arrow_type(self) -> pa.DataType:
        """The Arrow type of the column."""
        return ARROW_TYPES[self.kind]

    @property
    def pandas_dtype(self) -> pd.ArrowDtype:
        """The pandas dtype (Arrow-backed, so nulls and decimals stay exact)."""
        return pd.ArrowDtype(self.arrow_type)

    @property
    def arrow_field(self) -> pa.Field:
        """The Arrow field, nullable unless required."""
        return pa.field(self.name, self.arrow_type, nullable=not self.required)


@dataclass(frozen=True)
class Table:
    """One table (entity) of the contract.

    Attributes:
        name: Table name (`persons`), also the Parquet file name.
        entity: Singular entity name; the id column is ``<entity>_id``.
        label: Meaning in English with the German and French term.
        description: A paragraph for the reference.
        columns: Every column, lineage columns first.
    """

    name: str
    entity: str
    label: Label
    description: str
    columns: tuple[Column, ...] = field(default_factory=tuple)

    @property
    def primary_key(self) -> str:
        """The id column (`<entity>_id`)."""
        return f"{self.entity}_id"

    @property
    def column_names(self) -> tuple[str, ...]:
        """Column names in their canonical order."""
        return tuple(column.name for column in self.columns)

    @property
    def foreign_keys(self) -> tuple[Column, ...]:
        """The columns that refer to another table."""
        return tuple(column for column in self.columns if column.foreign_key is not None)

    @property
    def arrow_schema(self) -> pa.Schema:
        """The Arrow schema of the table's Parquet file."""
        return pa.schema([column.arrow_field for column in self.columns])

    def column(self, name: str) -> Column:
        """Return a column by name (KeyError names the table and column)."""
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"{self.name}.{name}")

    def empty_frame(self) -> pd.DataFrame:
        """An empty pandas frame with the table's columns and dtypes."""
        return self.arrow_schema.empty_table().to_pandas(types_mapper=pd.ArrowDtype)
