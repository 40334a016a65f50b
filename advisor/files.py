"""Atomic file writing, shared by the command line and the library.

A report or a plot that lands half-written (a full disk, a Ctrl-C, a crash in the
renderer) is worse than none: a reader cannot tell it is incomplete. Every file the
advisor writes therefore goes to a temporary file in the target's folder, is flushed
to disk and then renamed over the target with :func:`os.replace`, so the target is
either the whole new file or unchanged, and the temporary file never outlives an
error. A target that exists but is no regular file (``/dev/null``, a named pipe, a
terminal) is written in place instead: replacing it would swap a device node for a
file. A failure raises :class:`OutputError`, an :class:`OSError` whose message reads
"cannot write PATH: reason", which the command line prints as its one-line error.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:  # matplotlib is imported only by the code that draws
    from matplotlib.figure import Figure

Fill = Callable[[IO[bytes]], None]


class OutputError(OSError):
    """A file the advisor cannot write; ``str(error)`` is "cannot write PATH: reason"."""

    def __init__(self, path: str | Path, reason: str) -> None:
        """Record the ``path`` that cannot be written and the ``reason`` why."""
        super().__init__(f"cannot write {path}: {reason}")
        self.path = Path(path)
        self.reason = reason


def _reason(error: OSError) -> str:
    return error.strerror or str(error)


def _file_path(path: str | Path) -> Path:
    """``path`` as a Path, unless its text names a folder (``out/``, ``out/.``).

    :class:`~pathlib.Path` drops a trailing separator, so ``out/sub/`` would otherwise
    become a file named ``sub``.
    """
    text = os.fspath(path)
    if not text:
        raise OutputError("''", "the file name is empty")
    if os.path.basename(text) in ("", ".", ".."):
        end = text[-1:] if text.endswith((os.sep, os.altsep or os.sep)) else "."
        raise OutputError(path, f"it names a folder (it ends in {end!r}), not a file")
    return Path(text)


def check_writable(path: str | Path) -> Path:
    """``path`` as a Path if its folder exists and is writable; else :class:`OutputError`.

    A check before a long computation, so that a mistyped folder fails in a second,
    not after the solve; the write itself can still fail (a full disk) and says so.
    A name ending in a separator (``out/sub/``) is a folder's, never a file's.
    """
    target = _file_path(path)
    parent = target.parent
    if target.is_dir():
        raise OutputError(path, "it is a folder")
    if not parent.is_dir():
        what = "is not a folder" if parent.exists() else "does not exist"
        raise OutputError(path, f"the folder {parent} {what}")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(path, f"the folder {parent} is not writable")
    return target


def _umask() -> int:
    """The process's umask (os.umask can only be read by setting it)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _write_in_place(path: Path, fill: Fill) -> None:
    """Write to a device or pipe that must not be replaced (no fsync: it has no disk)."""
    try:
        with os.fdopen(os.open(path, os.O_WRONLY), "wb") as handle:
            fill(handle)
    except OSError as error:
        raise OutputError(path, _reason(error)) from None


def replace_atomically(path: str | Path, fill: Fill) -> Path:
    """Make ``path`` with ``fill(handle)``, which writes bytes to an open binary file.

    The bytes go to a temporary file in ``path``'s folder, which is flushed, given
    the permissions of a new file (0666 less the umask) and renamed onto ``path``:
    either the whole file lands there or nothing changes, and the temporary file is
    removed on any error (an exception from ``fill`` is raised again unchanged; an
    :class:`OSError` becomes :class:`OutputError`). A path that exists but is no
    regular file is written in place. Returns ``path`` as a Path.
    """
    target = _file_path(path)
    if target.exists() and not target.is_file():
        _write_in_place(target, fill)
        return target
    try:
        fd, temporary = tempfile.mkstemp(
            dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"
        )
    except OSError as error:
        raise OutputError(path, _reason(error)) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            fill(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, target)
    except BaseException as error:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        if isinstance(error, OSError) and not isinstance(error, OutputError):
            raise OutputError(path, _reason(error)) from None
        raise
    return target


def write_atomically(path: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8, newlines as given) to ``path`` atomically; return the Path."""
    data = text.encode("utf-8")

    def fill(handle: IO[bytes]) -> None:
        handle.write(data)

    return replace_atomically(path, fill)


def save_figure(figure: Figure, path: str | Path) -> Path:
    """Save a matplotlib ``figure`` to ``path`` atomically, in the format its suffix names.

    The suffix is ``.png``, ``.svg``, ``.pdf``, ...; without one, matplotlib's default (PNG).
    """
    fmt = Path(path).suffix.lower().lstrip(".") or None

    def fill(handle: IO[bytes]) -> None:
        figure.savefig(handle, format=fmt)

    return replace_atomically(path, fill)
