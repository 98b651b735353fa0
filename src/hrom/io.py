"""Atomic file writes: a temp file in the target folder, then ``os.replace``.

Every result, checkpoint, report and export goes through here, so an interrupted run never
leaves a half-written file under the final name.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator


def _new_temp(path: Path) -> str:
    """An empty, new temp file next to ``path``. Created with mode 0666 so the kernel applies
    the umask (mkstemp would make it 0600, and reading the umask means changing it, which is
    not thread-safe)."""
    while True:
        tmp = str(path.parent / f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
        try:
            os.close(os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
            return tmp
        except FileExistsError:  # pragma: no cover - 32 random bits
            continue


def atomic_write(path: str | Path, write: Callable[[str], None]) -> Path:
    """Call ``write(tmp_path)`` then rename the temp file to ``path`` (mode 0666 & ~umask)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _new_temp(path)
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    return atomic_write(path, lambda tmp: Path(tmp).write_bytes(data))


def atomic_write_text(path: str | Path, text: str) -> Path:
    return atomic_write(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


def _nearest_existing(path: Path) -> Path:
    """The path itself or its closest ancestor that exists (what a later ``mkdir -p`` starts from)."""
    probe = path
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    return probe


def _probe_dir(folder: Path, target: Path, what: str) -> None:
    """Create and remove a temp file in ``folder``: the only test that also holds for root and
    read-only mounts (``os.access`` says yes to root everywhere)."""
    from hrom.errors import HromError

    if not folder.is_dir():
        raise HromError(f"{what}: cannot write {target}: {folder} is a file, not a folder")
    try:
        fd, tmp = tempfile.mkstemp(prefix=".hrom-write-check.", dir=folder)
    except OSError as e:
        reason = e.strerror or str(e)
        raise HromError(f"{what}: cannot write {target}: {folder} is not writable ({reason})") from None
    os.close(fd)
    os.unlink(tmp)


def check_writable_file(path: str | Path, what: str) -> Path:
    """Fail now, with one line, if ``path`` cannot be written later by :func:`atomic_write`.

    Called before long work so a bad ``--out`` is found in a second, not after hours. Creates
    nothing: a missing parent is fine when its nearest existing ancestor is a writable folder.
    """
    from hrom.errors import HromError

    path = Path(path)
    if str(path) == "" or path.name in ("", ".", ".."):
        raise HromError(f"{what}: {str(path)!r} is not a file name")
    if path.is_dir():
        raise HromError(f"{what}: {path} is a folder; give a file path")
    _probe_dir(_nearest_existing(path.parent), path, what)
    return path


def check_writable_dir(path: str | Path, what: str) -> Path:
    """Fail now, with one line, if files cannot be created in folder ``path`` (made later if missing)."""
    from hrom.errors import HromError

    path = Path(path)
    if path.exists() and not path.is_dir():
        raise HromError(f"{what}: {path} exists and is not a directory; give a folder")
    _probe_dir(_nearest_existing(path), path, what)
    return path


def _new_temp_dir(path: Path) -> Path:
    """A new, empty hidden folder next to ``path`` (mode 0777 & ~umask, applied by the kernel)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        tmp = path.parent / f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
        try:
            os.mkdir(tmp, 0o777)
            return tmp
        except FileExistsError:  # pragma: no cover - 32 random bits
            continue


@contextmanager
def atomic_output(path: str | Path) -> Iterator[Path]:
    """A temp path to write ``path``'s content to, for writers that open the file themselves
    (``cv2.VideoWriter`` picks the container by the file name, so the name is ``path``'s, in a
    hidden folder beside it).  It replaces ``path`` when the block ends without error; otherwise
    nothing is left behind."""
    path = Path(path)
    folder = _new_temp_dir(path)
    try:
        yield folder / path.name
        os.replace(folder / path.name, path)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def atomic_dir(path: str | Path) -> Iterator[Path]:
    """A new folder to fill; when the block ends without error it becomes ``path`` in one rename
    (``OSError`` if ``path`` exists and is not empty), otherwise it is deleted."""
    path = Path(path)
    folder = _new_temp_dir(path)
    try:
        yield folder
        os.rename(folder, path)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
