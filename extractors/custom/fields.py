"""Field rules at work: the cells of one column into the values of one field, with reasons.

`Evaluator.run()` applies a `FieldRule` to a column of cells: `extract`, then `default`
for a blank cell, then `map` (exact after trimming, never guessed, every unmapped value
counted in the run's `CodeMapper`), then the reading by kind (text, code, date,
timestamp, integer, boolean, amount). It returns the values and, per cell, the rule id
of what went wrong (`unmapped-code`, `date-format`, `date-impossible`, `amount-format`,
`value-format`) so that the table decides: a finding, or a reject for a required field.
Nothing here raises for bad data, and no value appears in a message.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from nffs_migration.extractors import normalise
from nffs_migration.extractors.custom.fieldrules import (
    DEFAULT_AMOUNT_FORMATS,
    DEFAULT_DATE_FORMATS,
    DEFAULT_TIMESTAMP_FORMATS,
    FieldRule,
)
from nffs_migration.extractors.custom.values import (
    AMOUNT_FORMAT,
    VALUE_FORMAT,
    DateFormat,
    cell_text,
    date_format,
    parse_amount,
    parse_boolean,
    parse_date,
    parse_integer,
)
from nffs_migration.intermediate_format.model import Kind

UNMAPPED = "unmapped-code"
#: Cached cell outcomes per rule before the cache is emptied (high-cardinality columns).
CACHE_LIMIT = 100_000

#: What a problem means, for messages (no values).
MESSAGES = {
    UNMAPPED: "no value map covers the source value",
    "date-format": "the date matches none of the rule's formats",
    "date-impossible": "the date does not exist",
    AMOUNT_FORMAT: "not an amount in the rule's formats",
    VALUE_FORMAT: "the value is not in the form the rule says",
}


@dataclass
class Outcome:
    """The outcome of one field rule over a chunk of cells."""

    values: list[Any]
    problems: list[str | None]
    precision: list[str] | None = None

    def mask(self, problem: str) -> list[bool]:
        """Where a given problem occurred."""
        return [p == problem for p in self.problems]

    def arrow(self, type_: pa.DataType) -> pa.Array:
        """The values as an Arrow array of the field's type."""
        return pa.array(self.values, type=type_)


def _collapse(text: str | None) -> str | None:
    return " ".join(text.split()) or None if text is not None else None


class Evaluator:
    """Applies one field rule to cells, memoising outcomes of repeated cells."""

    def __init__(
        self,
        rule: FieldRule,
        unmapped: Counter[tuple[str, str]] | None,
        mapped: Counter[str] | None = None,
    ) -> None:
        self.rule = rule
        self.unmapped = unmapped
        self.mapped = mapped
        self.cache: dict[Any, tuple[Any, str | None, str | None, str | None]] = {}
        kind = rule.kind
        self.dates: tuple[DateFormat, ...] = rule.date_formats or tuple(
            date_format(f)
            for f in (DEFAULT_TIMESTAMP_FORMATS if kind is Kind.TIMESTAMP else DEFAULT_DATE_FORMATS)
        )
        self.amounts = rule.amount_formats or DEFAULT_AMOUNT_FORMATS
        self.map_name = rule.map_name or f"{rule.table}.{rule.name}"
        self.codes = frozenset(rule.codes)
        # Text is not worth caching (names, notes); codes, dates and numbers repeat.
        self.cached = (
            kind is not Kind.STRING or rule.map_name is not None or rule.extract is not None
        )
        self.is_reference = rule.column.foreign_key is not None or rule.name in ("file", "ahvn13")

    def run(self, cells: list[Any]) -> Outcome:
        """The field's values for a column of cells."""
        rule = self.rule
        if not self.cached and rule.default is None:
            # Plain text (names, notes, references): no problem can occur, no counting.
            texts = [c.strip() or None if type(c) is str else cell_text(c) for c in cells]
            if self.is_reference:
                plain: list[Any] = texts
            elif rule.name == "text":
                plain = [normalise.plain_text(t) if t is not None else None for t in texts]
            else:
                plain = [" ".join(t.split()) if t is not None else None for t in texts]
            return Outcome(plain, [None] * len(cells))
        values: list[Any] = []
        problems: list[str | None] = []
        precision: list[str] = []
        cache, cached, counts = self.cache, self.cached, self.unmapped
        translated = 0
        coded = rule.map_name is not None or rule.kind is Kind.CODE
        for cell in cells:
            if cached:
                # Text cells are their own cache key; others carry their type (1 != True).
                marker = cell if type(cell) is str else (type(cell), cell)
                outcome = cache.get(marker)
                if outcome is None:
                    if len(cache) >= CACHE_LIMIT:
                        cache.clear()
                    outcome = cache[marker] = self.one(cell)
            else:
                outcome = self.one(cell)
            value, problem, level, unmapped_key = outcome
            if unmapped_key is not None and counts is not None:
                counts[(self.map_name, unmapped_key)] += 1
            elif coded and value is not None:
                translated += 1
            values.append(value)
            problems.append(problem)
            precision.append(level or "unknown")
        if translated and self.mapped is not None:
            self.mapped[self.map_name] += translated
        dated = rule.kind in (Kind.DATE, Kind.TIMESTAMP)
        return Outcome(values, problems, precision if dated else None)

    def one(self, cell: Any) -> tuple[Any, str | None, str | None, str | None]:
        """(value, problem, precision, unmapped source value) of one cell."""
        rule = self.rule
        if rule.extract is not None:
            text = cell_text(cell)
            if text is not None:
                match = rule.extract.search(text)
                if match is None:
                    return None, VALUE_FORMAT, None, None
                group = match.group(1) if rule.extract.groups else match.group(0)
                cell = group.strip() if group else None
        text = cell_text(cell)
        if text is None:
            return rule.default, None, "day" if rule.default is not None else None, None
        if rule.map_name is not None:
            target = rule.map_table.get(text)
            if target is None:
                return None, UNMAPPED, None, text
            return target, None, None, None
        kind = rule.kind
        if kind is Kind.STRING:
            if self.is_reference:
                return text, None, None, None
            if rule.name == "text":
                return normalise.plain_text(text), None, None, None
            return _collapse(text), None, None, None
        if kind is Kind.CODE:
            if text in self.codes:
                return text, None, None, None
            return None, UNMAPPED, None, text
        if kind in (Kind.DATE, Kind.TIMESTAMP):
            parsed = parse_date(
                cell, self.dates, timestamp=kind is Kind.TIMESTAMP, last_day=rule.day_last
            )
            return parsed.value, parsed.problem, parsed.precision, None
        if kind is Kind.INTEGER:
            number = parse_integer(cell)
            return number, None if number is not None else VALUE_FORMAT, None, None
        if kind is Kind.BOOLEAN:
            flag = parse_boolean(cell)
            return flag, None if flag is not None else VALUE_FORMAT, None, None
        if kind is Kind.MONEY:
            amount = parse_amount(cell, self.amounts)
            return amount, None if amount is not None else AMOUNT_FORMAT, None, None
        return None, VALUE_FORMAT, None, None


__all__ = ["MESSAGES", "UNMAPPED", "Evaluator", "Outcome"]
