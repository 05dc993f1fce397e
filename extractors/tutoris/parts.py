"""Reading the export: in one pass, or a large export in two parts on two cores.

`read_in_one` reads the whole export in this process: each record element into the
index and the collector (`index`, `rows`), each full chunk parked (`spill`).

Reading is most of a Tutoris extraction's time (lxml makes a Python object per element)
and runs on one core. An export of at least `split_bytes()`, on a machine with two cores
or more, is cut at the start of a `Fall` element about half-way (`plan`): this process
reads the first part (the staff, the persons and the first cases) while a second
process, spawned, reads the rest (`read_in_two`). Each part is read as a document of its
own, with the same parser settings:

- the first: the file's bytes up to the cut, then `</Faelle></TutorisExport>`;
- the second: the file's prolog and the root's start tag, `<Faelle>`, then the file's
  bytes from the cut to the end.

The cut is found by a byte search, which cannot tell markup from the inside of a
comment, a CDATA section or a processing instruction. The first part's parse proves it:
that part is well-formed only when the cut is at a `Fall` directly under `Faelle` under
the root, outside any comment, CDATA section or tag. Both parts well-formed is then the
whole file well-formed. Anything else (a cut in the wrong place, broken XML on either
side, a second process that cannot start or dies) discards both parts' work, and the
whole file is read in this process, which reports an error with the file's own line
numbers. A broken export thus costs up to one and a half readings before it is refused.

The second process parks every chunk it fills, its last partial ones too, in the same
folder, and hands back only its index and its records' ids: this process notes those
ids after its own (`SourceIndex.extend`), so that positions, later-wins duplicates and
statuses are those one reading of the whole file gives. The second part's chunks come
after the first part's, their records' positions shifted by the first part's counts:
each table's rows keep the file's order, and the package is the same.
"""

from __future__ import annotations

import os
import pickle
import re
import subprocess
import sys
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, BinaryIO

from nffs_migration.errors import ConfigurationError, SourceError
from nffs_migration.extractors.tutoris.index import SourceIndex
from nffs_migration.extractors.tutoris.rows import RECORD_OF, TABLE_ORDER, Collector
from nffs_migration.extractors.tutoris.source import PROLOG_LIMIT, ROOT, prolog_end, records
from nffs_migration.extractors.tutoris.spill import Parked, Spill
from nffs_migration.log import get_logger

log = get_logger(__name__)

#: An export of at least this many bytes is read in two parts (`NFFS_TUTORIS_SPLIT_BYTES`
#: overrides it; `off` reads every export in one). Below it, starting the second process
#: (about half a second) costs about what it saves.
SPLIT_BYTES = 64 << 20
#: Where the cut is looked for, as a share of the file: the second process starts later
#: (spawning, imports), so its part is a little smaller.
CUT_AT = 0.55
#: What reading the export gives: the index, the collector, the chunks in the order to build.
Read = tuple[SourceIndex, Collector, list[Parked]]

_ROOT_TAG = re.compile(
    rb"<" + ROOT.encode() + rb"""(?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*\s*>"""
)
_FALL = re.compile(rb"<Fall[\s/>]")
_SECTION = b"<Faelle>"
_END = b"</Faelle></" + ROOT.encode() + b">"
_DECLARED = re.compile(rb"""<\?xml[^>]*?\sencoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
#: Encodings in which markup is ASCII, byte for byte (a byte search finds it).
_ASCII_MARKUP = re.compile(
    r"utf-?8|(us-)?ascii|iso[-_]?8859[-_]?\d+|latin-?[1-9]|(windows|cp)-?125\d", re.IGNORECASE
)
_BLOCK = 1 << 20


@dataclass(frozen=True)
class Cut:
    """Where an export is cut in two (see the module's docstring)."""

    #: The file's bytes up to the end of the root's start tag.
    head: bytes
    #: The offset of the `<Fall` that starts the second part.
    at: int


@dataclass(frozen=True)
class _SecondPart:
    """What the second process hands back (its chunks are files in the shared folder)."""

    index: SourceIndex
    person_ids: list[str]
    case_numbers: list[str]
    case_retention: list[int]
    parked: list[tuple[str, str]]


def split_bytes() -> int | None:
    """The size from which an export is read in two parts; None: never."""
    value = os.environ.get("NFFS_TUTORIS_SPLIT_BYTES", "").strip()
    if not value:
        return SPLIT_BYTES
    if value.lower() == "off":
        return None
    try:
        return max(int(value), 1)
    except ValueError:
        raise ConfigurationError(
            f"NFFS_TUTORIS_SPLIT_BYTES={value!r}: give a number of bytes, or off"
        ) from None


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def plan(path: Path) -> Cut | None:
    """Where to cut the export in two; None where it is read in one.

    In one: an export smaller than `split_bytes()`, a machine with one core, an encoding
    whose markup is not ASCII (UTF-16), a root element with namespace declarations, or
    no `Fall` after the middle of the file.
    """
    threshold, size = split_bytes(), path.stat().st_size
    if threshold is None or size < threshold or _cores() < 2:
        return None
    with path.open("rb") as handle:
        head = handle.read(PROLOG_LIMIT)
        start = prolog_end(head)
        root = _ROOT_TAG.match(head, start) if start is not None else None
        if root is None or b"xmlns" in root.group():
            return None
        declared = _DECLARED.match(head, 3 if head.startswith(b"\xef\xbb\xbf") else 0)
        if declared and not _ASCII_MARKUP.fullmatch(declared.group(1).decode("ascii")):
            return None
        position = max(int(size * CUT_AT), root.end())
        handle.seek(position)
        carry = b""
        while block := handle.read(_BLOCK):
            found = _FALL.search(carry + block)
            if found:
                return Cut(head[: root.end()], position - len(carry) + found.start())
            position += len(block)
            carry = block[-5:]  # a `<Fall` cut by the block's end
    return None


class _Part:
    """A document made of byte strings and ranges of a file, read one after the other.

    lxml reads it with `read(size)`; a range `(start, None)` runs to the file's end.
    """

    def __init__(self, handle: BinaryIO, pieces: Iterable[bytes | tuple[int, int | None]]) -> None:
        self._handle = handle
        self._pieces = deque(pieces)

    def read(self, size: int = -1) -> bytes:
        if size < 0:
            return b"".join(iter(lambda: self.read(_BLOCK), b""))
        while self._pieces and size:
            piece = self._pieces[0]
            if isinstance(piece, bytes):
                taken = piece[:size]
                if len(taken) < len(piece):
                    self._pieces[0] = piece[size:]
                else:
                    self._pieces.popleft()
                if taken:
                    return taken
                continue
            start, end = piece
            want = size if end is None else min(size, end - start)
            self._handle.seek(start)
            taken = self._handle.read(want) if want > 0 else b""
            if taken:
                self._pieces[0] = (start + len(taken), end)
                return taken
            self._pieces.popleft()
        return b""


def _collect(
    elements: Iterable[Any],
    index: SourceIndex,
    collector: Collector,
    spill: Spill,
    limit: int,
    parked: list[Parked],
) -> None:
    """Read record elements into the index and the collector, parking each full chunk."""
    for element in elements:
        index.add(element)
        collector.add(element)
        for table in TABLE_ORDER:
            while collector.pending(table) >= limit:
                parked.append(spill.park(table, collector.take(table, limit)))


def _rest(
    collector: Collector,
    store: Callable[[str, list[list[Any]]], Parked],
    parked: list[Parked],
    *,
    every: bool,
) -> None:
    """The rows not yet in a chunk, per table; with `every`, a chunk for each table."""
    for table in TABLE_ORDER:
        if collector.pending(table) or (every and all(c.table != table for c in parked)):
            parked.append(store(table, collector.take(table)))


def read_in_one(path: Path, cutoff: date, limit: int, spill: Spill) -> Read:
    """Read the whole export in this process."""
    index, collector = SourceIndex(cutoff), Collector(cutoff)
    parked: list[Parked] = []
    _collect(records(path), index, collector, spill, limit, parked)
    _rest(collector, spill.keep, parked, every=True)
    return index, collector, parked


def read_in_two(path: Path, cut: Cut, cutoff: date, limit: int, spill: Spill) -> Read | None:
    """Read the export in two parts at once; None where it must be read in one.

    The second part is read by `python -m nffs_migration.extractors.tutoris.parts`, a
    fresh interpreter that imports only what reading needs (not the caller's main
    module, as `multiprocessing` would, nor a copy of its threads, as a fork would). The
    caller clears `spill`'s folder before reading in one: both parts may have parked
    chunks there.
    """
    request = pickle.dumps((str(path), cut, cutoff, limit, str(spill.folder)))
    try:
        process = subprocess.Popen(  # noqa: S603 - this interpreter, our own module
            # -P: the working folder is not put first on the path (nothing there shadows us).
            [sys.executable, "-P", "-m", __name__],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
    except OSError as exc:
        log.info("export read in one: no second process (%s)", type(exc).__name__)
        return None
    answered = False
    try:
        assert process.stdin is not None and process.stdout is not None  # noqa: S101 - piped
        try:
            with process.stdin:
                process.stdin.write(request)
        except OSError as exc:  # the interpreter ended at once (a broken pipe)
            log.info("export read in one: no second process (%s)", type(exc).__name__)
            return None
        index, collector = SourceIndex(cutoff), Collector(cutoff)
        parked: list[Parked] = []
        try:
            with path.open("rb") as handle:
                first = _Part(handle, [(0, cut.at), _END])
                _collect(records(path, stream=first), index, collector, spill, limit, parked)
        except SourceError:
            log.info("export read in one: its first part is not well-formed on its own")
            return None
        _rest(collector, spill.keep, parked, every=False)
        try:
            ok, second = pickle.load(process.stdout)  # noqa: S301 - our own child's answer
        except (EOFError, pickle.UnpicklingError):
            ok, second = False, "no answer"
        answered = True
        if not ok:
            log.info("export read in one: its second part was not read (%s)", second)
            return None
        shift = {"person": len(collector.person_ids), "case": len(collector.case_numbers)}
        index.extend(second.index, second.person_ids, second.case_numbers)
        collector.person_ids += second.person_ids
        collector.case_numbers += second.case_numbers
        collector.case_retention += second.case_retention
        for table, file in second.parked:
            parked.append(Parked(table, None, Path(file), shift.get(RECORD_OF.get(table, ""), 0)))
        _rest(collector, spill.keep, parked, every=True)
        log.info("export read in two parts, cut at byte %d", cut.at)
        return index, collector, parked
    finally:
        if not answered:
            process.kill()
        process.wait()
        if process.stdout is not None:
            process.stdout.close()


def _read_second(path: str, cut: Cut, cutoff: date, limit: int, folder: str) -> tuple[bool, Any]:
    """The second process's work: read the second part, park all of it; the ids.

    A failure comes back as its exception's class name only (never a value read).
    """
    try:
        export = Path(path)
        index, collector = SourceIndex(cutoff), Collector(cutoff)
        parked: list[Parked] = []
        spill = Spill(Path(folder), prefix="second-")
        with export.open("rb") as handle:
            second = _Part(handle, [cut.head, _SECTION, (cut.at, None)])
            _collect(records(export, stream=second), index, collector, spill, limit, parked)
        _rest(collector, spill.park, parked, every=False)
    except Exception as exc:  # noqa: BLE001 - handed back by name; the file is read again
        return False, type(exc).__name__
    return True, _SecondPart(
        index,
        collector.person_ids,
        collector.case_numbers,
        collector.case_retention,
        [(chunk.table, str(chunk.path)) for chunk in parked],
    )


def _main() -> None:
    """The second process: the request on stdin, the answer on stdout, both pickled."""
    request = pickle.load(sys.stdin.buffer)  # noqa: S301 - from the process that started us
    pickle.dump(_read_second(*request), sys.stdout.buffer, pickle.HIGHEST_PROTOCOL)
    sys.stdout.buffer.flush()


__all__ = ["CUT_AT", "SPLIT_BYTES", "Cut", "plan", "read_in_one", "read_in_two", "split_bytes"]


if __name__ == "__main__":
    # Run from the module's own name, so that what is pickled names its classes there.
    from nffs_migration.extractors.tutoris.parts import _main as main

    main()
