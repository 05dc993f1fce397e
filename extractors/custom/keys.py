"""Key templates of the mapping: `"{Dossier}/budget/{seq}"` into a record's source key.

A template is text with placeholders in braces: `{Column}` (the cell as key text),
`{seq}` (a running number among records whose key text before it is the same) and
`{parent}` (the parent record's key). `{{` and `}}` are literal braces. A template is
parsed once; rendering never evaluates anything, a column name is only a name.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from nffs_migration.errors import ConfigurationError

SEQ = "seq"
PARENT = "parent"


@dataclass(frozen=True)
class Part:
    """One piece of a template: literal text, a column, `{seq}` or `{parent}`."""

    kind: str  # "text", "column", "seq", "parent"
    text: str


@dataclass(frozen=True)
class KeyTemplate:
    """A parsed key template."""

    text: str
    parts: tuple[Part, ...]

    @property
    def columns(self) -> tuple[str, ...]:
        """The columns the template reads, in order, once each."""
        seen: dict[str, None] = {}
        for part in self.parts:
            if part.kind == "column":
                seen.setdefault(part.text)
        return tuple(seen)

    @property
    def has_seq(self) -> bool:
        """True when the template numbers its records."""
        return any(part.kind == SEQ for part in self.parts)

    @property
    def has_parent(self) -> bool:
        """True when the template uses the parent's key."""
        return any(part.kind == PARENT for part in self.parts)

    @property
    def constant(self) -> bool:
        """True when the template has no placeholder (every record would get the same key)."""
        return all(part.kind == "text" for part in self.parts)


def parse_template(text: str) -> KeyTemplate:
    """Parse a key template.

    Raises:
        ConfigurationError: An unbalanced brace, an empty placeholder or `{seq}` twice.
    """
    if not isinstance(text, str) or not text:
        raise ConfigurationError("a key template must be non-empty text")
    parts: list[Part] = []
    literal: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if text.startswith("{{", index) or text.startswith("}}", index):
            literal.append(char)
            index += 2
            continue
        if char == "}":
            raise ConfigurationError("a '}' without its '{' (write '}}' for a literal brace)")
        if char != "{":
            literal.append(char)
            index += 1
            continue
        end = text.find("}", index + 1)
        if end < 0:
            raise ConfigurationError("a '{' without its '}' (write '{{' for a literal brace)")
        name = text[index + 1 : end]
        if "{" in name:
            raise ConfigurationError("a '{' inside a placeholder")
        if not name.strip():
            raise ConfigurationError("an empty placeholder '{}'")
        if literal:
            parts.append(Part("text", "".join(literal)))
            literal = []
        kind = name if name in (SEQ, PARENT) else "column"
        parts.append(Part(kind, name.strip() if kind == "column" else name))
        index = end + 1
    if literal:
        parts.append(Part("text", "".join(literal)))
    template = KeyTemplate(text, tuple(parts))
    if sum(part.kind == SEQ for part in parts) > 1:
        raise ConfigurationError("{seq} may appear once in a key")
    return template


class KeyMaker:
    """Renders a template row by row and keeps the `{seq}` counters of one table."""

    def __init__(self, template: KeyTemplate) -> None:
        self.template = template
        self.counters: dict[str, int] = {}
        columns = template.columns
        # Parts as (kind, literal text or position in `columns`), resolved once.
        self._parts: list[tuple[str, str | int]] = [
            (part.kind, columns.index(part.text) if part.kind == "column" else part.text)
            for part in template.parts
        ]
        self._needs_parent = template.has_parent

    def render(self, cells: Mapping[str, str | None], parent: str | None = None) -> str | None:
        """The key of one record, or None when a column or the parent it needs is blank.

        `cells` holds the key text of each column the template reads. `{seq}` counts
        per distinct prefix, so call this once per record, in file order.
        """
        return self.render_values([cells.get(c) for c in self.template.columns], parent)

    def render_values(self, values: Sequence[str | None], parent: str | None = None) -> str | None:
        """`render` with the key texts in the order of `template.columns`."""
        if None in values or (parent is None and self._needs_parent):
            return None  # before counting: a record without a key takes no number
        out: list[str] = []
        for kind, item in self._parts:
            if kind == "text":
                out.append(str(item))
            elif kind == "column":
                out.append(values[int(item)] or "")
            elif kind == PARENT:
                out.append(parent or "")
            else:
                prefix = "".join(out)
                number = self.counters.get(prefix, 0) + 1
                self.counters[prefix] = number
                out.append(str(number))
        return "".join(out)


__all__ = ["KeyMaker", "KeyTemplate", "Part", "parse_template"]
