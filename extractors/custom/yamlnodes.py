"""A YAML file as a tree of nodes that know their line: for messages that point at it.

`yaml.compose` (safe loader) gives the node graph with marks; scalars are built with
the safe constructor, so a tag such as `!!python/object` is refused, never run.
Duplicate keys (which `safe_load` would silently overwrite) and oversized alias graphs
(the "billion laughs") are reported as problems, not followed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.constructor import ConstructorError, SafeConstructor

#: Nodes visited at most: a mapping file has a few thousand; aliases could multiply them.
MAX_NODES = 200_000


@dataclass(frozen=True, order=True)
class MappingProblem:
    """One problem of a mapping file: the line (1-based, 0 = the file) and what is wrong."""

    line: int
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line else "file"
        return f"{where}: {self.severity}: {self.message}"


@dataclass
class Problems:
    """Collects problems; every check adds to it and goes on."""

    items: list[MappingProblem] = field(default_factory=list)

    def error(self, line: int, message: str) -> None:
        """Add an error (the mapping is refused)."""
        self.items.append(MappingProblem(line, message))

    def warning(self, line: int, message: str) -> None:
        """Add a warning (the mapping works, but look at it)."""
        self.items.append(MappingProblem(line, message, "warning"))

    @property
    def errors(self) -> list[MappingProblem]:
        """The errors only."""
        return [p for p in self.items if p.severity == "error"]

    def sorted(self) -> list[MappingProblem]:
        """Every problem, by line, without repeats."""
        return sorted(set(self.items))


class Budget:
    """Counts visited nodes, so that aliases cannot blow a small file up."""

    def __init__(self) -> None:
        self.left = MAX_NODES

    def spend(self) -> bool:
        """False once the budget is used up."""
        self.left -= 1
        return self.left >= 0


@dataclass
class Node:
    """A YAML node with its 1-based line."""

    node: yaml.Node
    budget: Budget
    problems: Problems

    @property
    def line(self) -> int:
        """The line the node starts on (1-based)."""
        return int(self.node.start_mark.line) + 1

    @property
    def is_map(self) -> bool:
        """True for a mapping."""
        return isinstance(self.node, yaml.MappingNode)

    @property
    def is_seq(self) -> bool:
        """True for a sequence."""
        return isinstance(self.node, yaml.SequenceNode)

    @property
    def is_scalar(self) -> bool:
        """True for a scalar."""
        return isinstance(self.node, yaml.ScalarNode)

    @property
    def raw(self) -> str:
        """A scalar's text as written (keys of value maps are compared as written)."""
        return str(self.node.value) if self.is_scalar else ""

    @property
    def is_null(self) -> bool:
        """True for an empty value or `null`/`~`."""
        return self.is_scalar and self.node.tag == "tag:yaml.org,2002:null"

    def value(self) -> Any:
        """The node as a plain Python value (scalars, lists, dicts), or None on a problem."""
        if not self.budget.spend():
            self.problems.error(self.line, "the file is too large (aliases?); not read further")
            return None
        if self.is_scalar:
            try:
                return SafeConstructor().construct_object(self.node, deep=True)
            except (ConstructorError, ValueError, OverflowError):
                self.problems.error(self.line, f"unsupported value (YAML tag {self.node.tag!r})")
                return None
        if self.is_seq:
            return [item.value() for item in self.children()]
        return {key: item.value() for key, _, item in self.items()}

    def children(self) -> list[Node]:
        """The items of a sequence."""
        if not self.is_seq:
            return []
        return [Node(item, self.budget, self.problems) for item in self.node.value]

    def items(self) -> list[tuple[str, int, Node]]:
        """The entries of a mapping: (key as written, key line, value); duplicates reported."""
        if not self.is_map:
            return []
        seen: dict[str, int] = {}
        result = []
        for key_node, value_node in self.node.value:
            if not self.budget.spend():
                self.problems.error(self.line, "the file is too large (aliases?); not read further")
                break
            line = int(key_node.start_mark.line) + 1
            if not isinstance(key_node, yaml.ScalarNode):
                self.problems.error(line, "a key must be a plain value, not a list or mapping")
                continue
            key = str(key_node.value)
            if key in seen:
                self.problems.error(line, f"{key!r} is given twice (first on line {seen[key]})")
                continue
            seen[key] = line
            result.append((key, line, Node(value_node, self.budget, self.problems)))
        return result


def compose(text: str, problems: Problems) -> Node | None:
    """The root node of a YAML text, or None (with a problem) when it is not valid YAML."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = int(mark.line) + 1 if mark is not None else 0
        problems.error(line, f"not valid YAML: {exc.problem or exc.context}")
        return None
    except yaml.YAMLError as exc:
        problems.error(0, f"not valid YAML: {type(exc).__name__}")
        return None
    if root is None:
        problems.error(0, "the file is empty")
        return None
    return Node(root, Budget(), problems)


__all__ = ["MappingProblem", "Node", "Problems", "compose"]
