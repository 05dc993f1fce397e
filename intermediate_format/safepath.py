"""Relative paths that cannot leave their root: for zip entries, document shares, packages.

A path from outside (a zip entry, a legacy `Ablagepfad`, a Tutoris `datei`) is accepted
only when it is relative, has no `..` segment, no drive letter, no NUL and no empty
name; Windows separators are turned into `/` first where the source uses them.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path, PurePosixPath

_DRIVE = re.compile(r"^[A-Za-z]:")


class UnsafePath(ValueError):
    """A path would leave its root or cannot be used as a relative file name."""


def safe_relative(path: str, *, windows: bool = False) -> PurePosixPath:
    r"""Return `path` as a clean relative POSIX path, or raise UnsafePath.

    Args:
        path: The path as the source gives it.
        windows: Treat `\\` as a separator (legacy shares on Windows servers).
    """
    return PurePosixPath(clean_relative(path, windows=windows))


def clean_relative(path: str, *, windows: bool = False) -> str:
    """`safe_relative` as a string (`a/b`), for checking many paths without Path objects."""
    if windows:
        path = path.replace("\\", "/")
    if not path or "\x00" in path:
        raise UnsafePath("empty path or NUL byte in path")
    if "\\" in path:
        raise UnsafePath("backslash in path")
    if path.startswith("/") or _DRIVE.match(path):
        raise UnsafePath("absolute path")
    parts = [part for part in path.split("/") if part not in ("", ".")]
    if not parts:
        raise UnsafePath("path names no file")
    if any(part == ".." for part in parts):
        raise UnsafePath("path leaves its root (..)")
    return "/".join(parts)


def resolve_within(root: Path, relative: PurePosixPath) -> Path:
    """Join a safe relative path to a root and make sure it stays inside (symlinks included)."""
    root_resolved = _resolved(str(root))
    parent = _resolved(str(root / relative.parent))
    target = os.path.join(parent, relative.name)
    if os.path.islink(target):
        linked = Path(target).resolve()
        if not (linked == Path(root_resolved) or linked.is_relative_to(root_resolved)):
            raise UnsafePath("path leaves its root through a link")
        return linked
    if os.sep != "/":  # Windows compares paths without case: leave it to pathlib
        if not (Path(target) == Path(root_resolved) or Path(target).is_relative_to(root_resolved)):
            raise UnsafePath("path leaves its root through a link")
        return Path(target)
    # Both folders are resolved (absolute, normalised): comparing strings is comparing parts.
    inside = root_resolved if root_resolved.endswith("/") else root_resolved + "/"
    if not (target == root_resolved or parent == root_resolved or parent.startswith(inside)):
        raise UnsafePath("path leaves its root through a link")
    return Path(target)


@lru_cache(maxsize=4096)
def _resolved(path: str) -> str:
    # Folders of a share repeat (one per year or case); resolving each once is enough.
    return str(Path(path).resolve())


__all__ = ["UnsafePath", "clean_relative", "resolve_within", "safe_relative"]
