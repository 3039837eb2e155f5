"""One home for writing files safely: atomic files, staged directories, owner markers.

Every writer in featurekit goes through these helpers, so that

* a file appears under its real name only once it is complete (temporary file
  in the same directory + :func:`os.replace`, atomic on POSIX and Windows);
* a directory that featurekit replaces as a whole (a model, a report, a demo's
  output) is one that featurekit provably wrote: it carries an *owner marker*
  (:data:`MARKER`) naming its kind and every file featurekit put there.  A
  directory holding anything else is refused with a one-line
  :class:`~featurekit.errors.OutputError`, and nothing is touched.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Iterable, Iterator

from .errors import OutputError

__all__ = [
    "MARKER",
    "atomic_path",
    "write_text_atomic",
    "write_bytes_atomic",
    "write_json_atomic",
    "read_marker",
    "mark_output",
    "check_replaceable",
    "staged_dir",
    "remove_owned",
]

#: Name of the owner marker featurekit leaves in every directory it may later replace.
MARKER = ".featurekit-output.json"

#: The file that makes a directory a featurekit model (:mod:`featurekit.models.artifact`);
#: here, so that extraction can refuse a model directory without importing the models.
MODEL_META_FILE = "model.json"


def _file_mode(path: Path) -> int:
    """The mode a new ``path`` would get from ``open`` (mkstemp's is 0600), or its own."""
    try:
        return os.stat(path).st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


@contextlib.contextmanager
def atomic_path(path) -> Iterator[Path]:
    """Yield a temporary file name beside ``path``; on success it replaces ``path``.

    On error (including ``KeyboardInterrupt``) the temporary file is removed and
    ``path`` is untouched.  An unwritable destination is a one-line
    :class:`OutputError`.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        os.close(fd)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None
    tmp = Path(tmp)
    try:
        yield tmp
        os.chmod(tmp, _file_mode(path))
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def write_bytes_atomic(path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically; returns ``path``."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def write_text_atomic(path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically; returns ``path``."""
    return write_bytes_atomic(path, text.encode("utf-8"))


def write_json_atomic(path, obj, *, indent: int | None = 2) -> Path:
    """Write ``obj`` as JSON to ``path`` atomically (keys sorted, slashes unescaped)."""
    return write_text_atomic(path, json.dumps(obj, indent=indent, sort_keys=True) + "\n")


def _listing(directory: Path) -> list[str]:
    """Every file under ``directory`` (relative POSIX paths), the marker excluded."""
    return sorted(p.relative_to(directory).as_posix() for p in directory.rglob("*")
                  if (p.is_file() or p.is_symlink()) and p.name != MARKER)


def read_marker(directory) -> dict | None:
    """The owner marker of ``directory`` (``{"kind": ..., "files": [...]}``), or ``None``."""
    p = Path(directory) / MARKER
    if not p.is_file():
        return None
    try:
        marker = json.loads(p.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(marker, dict) or not isinstance(marker.get("files"), list):
        return None
    return marker


def mark_output(directory, kind: str, files: Iterable[str] | None = None) -> None:
    """Record that featurekit wrote ``directory`` as a ``kind`` output.

    ``files`` defaults to every file now under ``directory``; only those files
    are ever removed or replaced by a later run (see :func:`check_replaceable`).
    """
    directory = Path(directory)
    listed = sorted(files) if files is not None else _listing(directory)
    write_json_atomic(directory / MARKER, {"kind": kind, "files": listed})


def check_replaceable(target, kind: str, *, legacy: Iterable[str] = ()) -> Path:
    """Raise :class:`OutputError` unless featurekit may replace ``target``.

    ``target`` may be missing, an empty directory, or a directory whose owner
    marker says ``kind`` and which holds no file the marker does not list (a
    file a user added is never deleted).  ``legacy`` names the files an older
    featurekit wrote without a marker: a directory holding only those (and at
    least one) is accepted too.
    """
    target = Path(target)
    if not target.exists() and not target.is_symlink():
        return target
    if not target.is_dir() or target.is_symlink():
        raise OutputError(f"refusing to replace {target}: it exists and is not a directory featurekit wrote")
    present = _listing(target)
    marker = read_marker(target)
    if marker is None:
        legacy = set(legacy)
        if not present and not (target / MARKER).exists() and not any(target.iterdir()):
            return target
        if legacy and present and set(present) <= legacy:
            return target
        raise OutputError(f"refusing to replace {target}: it is not empty and featurekit did not write it "
                          f"as a {kind} (choose an empty or new directory)")
    if marker.get("kind") != kind:
        raise OutputError(f"refusing to replace {target}: it holds a featurekit {marker.get('kind')} "
                          f"output, not a {kind}")
    foreign = sorted(set(present) - set(marker["files"]))
    if foreign:
        more = f" and {len(foreign) - 1} more" if len(foreign) > 1 else ""
        raise OutputError(f"refusing to replace {target}: it holds {foreign[0]}{more}, "
                          f"which featurekit did not write; move it away or choose another directory")
    return target


def remove_owned(target, kind: str, *, legacy: Iterable[str] = ()) -> None:
    """Delete ``target`` after :func:`check_replaceable` proved featurekit wrote all of it."""
    target = check_replaceable(target, kind, legacy=legacy)
    if target.exists():
        shutil.rmtree(target)


@contextlib.contextmanager
def staged_dir(target, kind: str, *, legacy: Iterable[str] = ()) -> Iterator[Path]:
    """Yield a temporary directory beside ``target``; on success it replaces ``target``.

    ``target`` is checked with :func:`check_replaceable` first (so nothing of
    the user's is ever replaced); the new directory gets an owner marker of
    ``kind``.  On error the temporary directory is removed and ``target`` is
    untouched.
    """
    target = check_replaceable(target, kind, legacy=legacy)
    parent = target.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=parent))
    except OSError as exc:
        raise OutputError(f"cannot write {target}: {exc.strerror or exc}") from None
    try:
        yield tmp
        mark_output(tmp, kind)
        os.chmod(tmp, 0o777 & ~_umask())
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=parent))
            os.replace(target, old / "x")
            os.replace(tmp, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask
