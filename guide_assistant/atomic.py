"""Atomic file writes: the new content goes to a temporary file in the target's folder
(".<name>.<random>.tmp"), which is flushed, fsynced and renamed over the target (os.replace);
then the folder itself is fsynced where the system allows it. A crash or a full disk leaves the
old file or the new one, never a part of one. A leaf module: it imports nothing of the package.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO


def fsync_dir(folder: Path) -> None:
    """Make a rename inside `folder` durable; a no-op where folders cannot be opened (Windows)
    or fsynced (some network file systems)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A temporary path beside `path` for a writer that opens the file itself (llama.cpp's
    state saver). When the block ends normally the file is fsynced and replaces `path`, and
    the folder is fsynced; when it raises, the temporary file is removed and the exception goes
    on. The parent folder is created. Raises OSError (folder not writable, disk full); the
    previous `path`, if any, is then unchanged."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    fsync_dir(path.parent)


@contextmanager
def atomic_open(path: Path, mode: str = "w") -> Iterator[IO]:
    """`open(path, mode)` ("w": UTF-8 text, "wb": bytes) whose content replaces `path` only when
    the block ends normally (see `atomic_path`). Raises OSError as `atomic_path` does."""
    encoding = None if "b" in mode else "utf-8"
    with atomic_path(path) as tmp, open(tmp, mode, encoding=encoding) as f:
        yield f


def write_atomic(path: Path, data: str | bytes) -> None:
    """Replace `path` by `data` (str: written as UTF-8) atomically (see `atomic_path`)."""
    with atomic_open(path, "wb" if isinstance(data, bytes) else "w") as f:
        f.write(data)
