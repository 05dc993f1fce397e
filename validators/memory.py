"""How much memory validation may use: the budget, how it is written, and its default.

The budget bounds the decoded table data validation holds at once, plus what the checks
compute from it; the interpreter and its libraries (about 170 MiB) come on top. Given as
bytes or a human size (`1.5G`, `800M`, `2GiB`; units of 1024), from the caller, else
the environment (`NFFS_VALIDATE_MEMORY`), else the machine: an eighth of its memory, at
most 768 MiB (`DEFAULT_CAP`), at least 256 MiB (`FLOOR`).

    memory_budget("1.5G")   # 1610612736
    memory_budget(None)     # $NFFS_VALIDATE_MEMORY, or the machine's default
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager

import pyarrow as pa

from nffs_migration.errors import ConfigurationError

#: The environment variable that sets the budget when the caller does not.
ENV = "NFFS_VALIDATE_MEMORY"
#: The default is at most this: a 10-million-row package validates in about 1.35 GiB
#: peak (at 1 GiB it took 1.50 to 1.54 GiB, and no less time).
DEFAULT_CAP = 768 << 20
#: The default takes at most this share of the machine's memory (1/8).
DEFAULT_SHARE = 8
#: No default below this, even on a small machine (the checks need some room).
FLOOR = 256 << 20
#: A budget given explicitly may be as small as this: tables are then streamed in small
#: batches and little is held (slow, but the same findings).
MINIMUM = 1 << 20

_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*([KMGT]?)(?:I?B)?", re.IGNORECASE)


def parse_size(text: str) -> int:
    """Bytes of a size written as `1.5G`, `800M`, `2GiB`, `512MB` or `1073741824`.

    The units are binary (K = 1024 bytes); a budget below `MINIMUM` is refused.
    """
    match = _SIZE.fullmatch(text.strip())
    if match is None:
        raise ConfigurationError(
            f"memory budget {text!r} is not a size; write it like 1.5G, 800M or 2GiB"
        )
    number, unit = match.groups()
    size = int(float(number) * _UNITS[unit.upper()])
    if size < MINIMUM:
        raise ConfigurationError(f"memory budget {text!r} is below the minimum of 1M")
    return size


def machine_memory() -> int | None:
    """The machine's physical memory in bytes (None where the system does not say)."""
    try:
        pages, page_size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None
    return pages * page_size if pages > 0 and page_size > 0 else None


def default_budget(total: int | None = None) -> int:
    """The budget when none is given: an eighth of the memory, within FLOOR and DEFAULT_CAP."""
    total = machine_memory() if total is None else total
    if total is None:
        return DEFAULT_CAP
    return max(FLOOR, min(DEFAULT_CAP, total // DEFAULT_SHARE))


def memory_budget(value: int | str | None = None) -> int:
    """The budget in bytes: `value` if given, else `NFFS_VALIDATE_MEMORY`, else the default."""
    if isinstance(value, int):
        if value < MINIMUM:
            raise ConfigurationError(f"memory budget {value} bytes is below the minimum of 1M")
        return value
    if value is None:
        value = os.environ.get(ENV) or None
        if value is None:
            return default_budget()
    return parse_size(value)


@contextmanager
def arrow_pool() -> Iterator[None]:
    """Arrow allocates from its jemalloc pool meanwhile, where there is one.

    pyarrow's default, mimalloc, keeps much of what one thread frees when another one
    allocated it (Parquet is decoded on Arrow's threads, the checks free on theirs):
    on 10 million rows the peak RSS was 1.5 GiB with it and 1.25 GiB with jemalloc.
    `ARROW_DEFAULT_MEMORY_POOL`, when set, is left to decide.
    """
    if os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
        yield
        return
    try:
        pool = pa.jemalloc_memory_pool()
    except NotImplementedError:
        yield
        return
    previous = pa.default_memory_pool()
    pa.set_memory_pool(pool)
    try:
        yield
    finally:
        pa.set_memory_pool(previous)


def format_size(size: int) -> str:
    """A size for people: `1.0 GiB`, `512 MiB`."""
    if size >= 1 << 30:
        return f"{size / (1 << 30):.1f} GiB"
    return f"{size / (1 << 20):.0f} MiB"


__all__ = [
    "DEFAULT_CAP",
    "ENV",
    "FLOOR",
    "MINIMUM",
    "arrow_pool",
    "default_budget",
    "format_size",
    "machine_memory",
    "memory_budget",
    "parse_size",
]
