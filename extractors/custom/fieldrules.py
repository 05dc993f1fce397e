"""Field rules of the mapping: one intermediate field, where its value comes from and how.

`parse_rule()` reads one entry of a table's `fields` (`{column: "Geb.datum", format:
"DD.MM.YYYY"}`) into a `FieldRule`, checking it against the format definition: the
field's kind decides which keys make sense (`format` for dates and amounts, `map` for
codes, booleans, integers and text), constants and defaults must be values of the
field's type, and a value map's targets must be codes of the field's code list. Every
problem is collected with its line; nothing is evaluated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from nffs_migration.errors import ConfigurationError
from nffs_migration.extractors.custom.values import (
    AMOUNT_FORMATS,
    DateFormat,
    check_amount_format,
    date_format,
    parse_amount,
    parse_boolean,
    parse_date,
    parse_integer,
)
from nffs_migration.extractors.custom.yamlnodes import Node, Problems
from nffs_migration.intermediate_format.definition import CODE_LISTS
from nffs_migration.intermediate_format.model import Column, Kind

RULE_KEYS = (
    "column",
    "value",
    "extract",
    "map",
    "default",
    "format",
    "day",
    "precision_of",
    "parent_key",
)
SOURCES = ("column", "value", "precision_of", "parent_key")
#: Formats tried for a date or timestamp field whose rule names none.
DEFAULT_DATE_FORMATS = ("DD.MM.YYYY", "YYYY-MM-DD")
DEFAULT_TIMESTAMP_FORMATS = (
    "DD.MM.YYYY hh:mm:ss",
    "DD.MM.YYYY hh:mm",
    "DD.MM.YYYY",
    "YYYY-MM-DD hh:mm:ss",
    "YYYY-MM-DD hh:mm",
    "YYYY-MM-DD",
)
DEFAULT_AMOUNT_FORMATS = ("1234.50",)
MAPPABLE = (Kind.CODE, Kind.BOOLEAN, Kind.INTEGER, Kind.STRING)


@dataclass
class FieldRule:
    """How one intermediate field of a table gets its value."""

    table: str
    name: str
    column: Column
    line: int
    source_column: str | None = None
    column_line: int = 0
    has_value: bool = False
    value: Any = None
    extract: re.Pattern[str] | None = None
    map_name: str | None = None
    map_line: int = 0
    #: The value map converted to this field's type (filled in when the maps are known).
    map_table: dict[str, Any] = field(default_factory=dict)
    default: Any = None
    date_formats: tuple[DateFormat, ...] = ()
    amount_formats: tuple[str, ...] = ()
    day_last: bool = False
    precision_of: str | None = None
    parent_key: bool = False

    @property
    def kind(self) -> Kind:
        """The field's value kind in the format."""
        return self.column.kind

    @property
    def codes(self) -> tuple[str, ...]:
        """The codes the field may take (empty for a field without a code list)."""
        return CODE_LISTS[self.column.codes].values if self.column.codes else ()

    @property
    def timestamp(self) -> bool:
        """True for a timestamp field."""
        return self.kind is Kind.TIMESTAMP


def convert(rule: FieldRule, raw: Any) -> tuple[bool, Any]:
    """A constant, default or map target as a value of the field's type: (ok, value)."""
    kind = rule.kind
    if raw is None:
        return True, None
    if kind is Kind.CODE:
        text = str(raw) if isinstance(raw, str | int) and not isinstance(raw, bool) else None
        return (text is not None and text in rule.codes), text
    if kind is Kind.BOOLEAN:
        value = parse_boolean(raw)
        return value is not None, value
    if kind is Kind.INTEGER:
        number = parse_integer(raw)
        return number is not None, number
    if kind is Kind.STRING:
        ok = isinstance(raw, str | int | float) and not isinstance(raw, bool)
        return ok, str(raw) if ok else None
    if kind is Kind.INTEGER_LIST:
        if not isinstance(raw, list):
            return False, None
        numbers = [parse_integer(item) for item in raw]
        return all(n is not None for n in numbers), numbers
    if kind is Kind.MONEY:
        amount = parse_amount(raw, rule.amount_formats or DEFAULT_AMOUNT_FORMATS)
        return amount is not None, amount
    if isinstance(raw, date | datetime | str):
        parsed = parse_date(
            raw, rule.date_formats or _defaults(rule.timestamp), timestamp=rule.timestamp
        )
        return parsed.value is not None, parsed.value
    return False, None


def _defaults(timestamp: bool) -> tuple[DateFormat, ...]:
    names = DEFAULT_TIMESTAMP_FORMATS if timestamp else DEFAULT_DATE_FORMATS
    return tuple(date_format(name) for name in names)


def parse_rule(
    table: str, name: str, column: Column, node: Node, problems: Problems, where: str
) -> FieldRule | None:
    """Read one field rule; problems are collected, a rule too broken to use gives None."""
    rule = FieldRule(table, name, column, node.line)
    if not node.is_map:
        problems.error(node.line, f'{where}: expected a rule such as {{column: "Name"}}')
        return None
    entries = {key: (line, value) for key, line, value in node.items()}
    for key, (line, _) in entries.items():
        if key not in RULE_KEYS:
            problems.error(line, f"{where}: unknown key {key!r} (known: {', '.join(RULE_KEYS)})")
    given = [key for key in SOURCES if key in entries]
    if len(given) != 1:
        problems.error(
            node.line,
            f"{where}: give exactly one of column, value, precision_of, parent_key"
            + (f" (found {', '.join(given)})" if given else ""),
        )
        if not given:
            return None
    _formats(rule, entries, problems, where)
    if "column" in entries:
        line, value_node = entries["column"]
        text = value_node.value()
        if not isinstance(text, str | int) or isinstance(text, bool) or not str(text).strip():
            problems.error(line, f"{where}: column must be a column name (text)")
        else:
            rule.source_column, rule.column_line = str(text).strip(), value_node.line
    if "value" in entries:
        line, value_node = entries["value"]
        ok, rule.value = convert(rule, value_node.value())
        rule.has_value = True
        if not ok or rule.value is None:
            problems.error(line, f"{where}: value is not a valid {_kind_text(rule)}")
    if "precision_of" in entries:
        line, value_node = entries["precision_of"]
        target = value_node.value()
        if column.codes != "date_precision":
            problems.error(line, f"{where}: precision_of is for birth_date_precision")
        elif not isinstance(target, str):
            problems.error(line, f"{where}: precision_of names a date field")
        else:
            rule.precision_of = target
    if "parent_key" in entries:
        line, value_node = entries["parent_key"]
        if value_node.value() is not True:
            problems.error(line, f"{where}: parent_key can only be true")
        rule.parent_key = True
    if "extract" in entries:
        line, value_node = entries["extract"]
        pattern = value_node.value()
        try:
            rule.extract = re.compile(pattern) if isinstance(pattern, str) and pattern else None
        except re.error as exc:
            problems.error(line, f"{where}: extract is not a regular expression ({exc.msg})")
        except (OverflowError, RecursionError):  # `a{99999999999}`, thousands of nested groups
            problems.error(line, f"{where}: extract is a regular expression too large to use")
        else:
            if rule.extract is None:
                problems.error(line, f"{where}: extract must be a regular expression (text)")
        if rule.source_column is None and "column" not in entries:
            problems.error(line, f"{where}: extract needs a column")
    if "map" in entries:
        line, value_node = entries["map"]
        map_name = value_node.value()
        if not isinstance(map_name, str):
            problems.error(line, f"{where}: map names a value map (text)")
        elif column.kind not in MAPPABLE:
            problems.error(line, f"{where}: a value map is for code, boolean, integer or text")
        else:
            rule.map_name, rule.map_line = map_name, line
        if "column" not in entries:
            problems.error(line, f"{where}: map needs a column")
    if "default" in entries:
        line, value_node = entries["default"]
        ok, rule.default = convert(rule, value_node.value())
        if not ok:
            problems.error(line, f"{where}: default is not a valid {_kind_text(rule)}")
        if "column" not in entries:
            problems.error(line, f"{where}: default needs a column")
    return rule


def _formats(
    rule: FieldRule, entries: dict[str, tuple[int, Node]], problems: Problems, where: str
) -> None:
    kind = rule.kind
    if "format" in entries:
        line, node = entries["format"]
        raw = node.value()
        names = raw if isinstance(raw, list) else [raw]
        if not names or not all(isinstance(n, str) and n for n in names):
            problems.error(line, f"{where}: format is a text or a list of texts")
            names = []
        try:
            if kind in (Kind.DATE, Kind.TIMESTAMP):
                rule.date_formats = tuple(date_format(n) for n in names)
            elif kind is Kind.MONEY:
                rule.amount_formats = tuple(check_amount_format(n) for n in names)
            else:
                problems.error(line, f"{where}: format is for date, timestamp and amount fields")
        except ConfigurationError as exc:
            problems.error(line, f"{where}: {exc.message}")
    if "day" in entries:
        line, node = entries["day"]
        if node.value() != "last":
            problems.error(line, f"{where}: day can only be 'last'")
        elif kind is not Kind.DATE or not any(f.precision == "month" for f in rule.date_formats):
            problems.error(line, f"{where}: day: last needs a month format such as MM.YYYY")
        else:
            rule.day_last = True


def _kind_text(rule: FieldRule) -> str:
    if rule.kind is Kind.CODE:
        shown = ", ".join(rule.codes[:12]) + (", …" if len(rule.codes) > 12 else "")
        return f"code of {rule.column.codes} ({shown})"
    names = {
        Kind.BOOLEAN: "boolean (true or false)",
        Kind.INTEGER: "integer",
        Kind.INTEGER_LIST: "list of integers",
        Kind.MONEY: f"amount (formats {', '.join(AMOUNT_FORMATS)})",
        Kind.DATE: "date in the rule's format",
        Kind.TIMESTAMP: "timestamp in the rule's format",
    }
    return names.get(rule.kind, "text")


def attach_map(
    rule: FieldRule,
    entries: dict[str, tuple[Any, int]],
    problems: Problems,
    reported: set[tuple[str, int, str]],
) -> None:
    """Convert a value map for this field: every target must be a value of its type."""
    where = f"value_maps.{rule.map_name}"
    table: dict[str, Any] = {}
    for source, (target, line) in entries.items():
        ok, value = convert(rule, target)
        if ok and value is not None:
            table[source] = value
            continue
        what = _kind_text(rule)
        marker = (where, line, what)
        if marker not in reported:
            reported.add(marker)
            problems.error(
                line,
                f"{where}: target {target!r} of {source!r} is not a {what}, "
                f"as {rule.table}.{rule.name} needs",
            )
    rule.map_table = table


__all__ = ["FieldRule", "attach_map", "convert", "parse_rule"]
