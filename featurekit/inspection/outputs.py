"""Output files of the analysis commands: written atomically, replaced only if featurekit wrote them.

The rule, for every file a user names (``importances --out/--plot``,
``report --out``, ``plot_importances``, ``write_html_report``, ...):

* a new file is written atomically (:func:`featurekit.fileio.atomic_path`);
* an existing file is replaced only when it carries featurekit's mark (a file
  an earlier run wrote), or when the caller passes ``overwrite=True``
  (``--overwrite``); anything else is refused with one line and left untouched.

The mark travels inside the file, in each format's own metadata:
:data:`MARK` in the PNG ``Software`` / SVG and PDF ``Creator`` field of
plots, an HTML comment at the end of reports, ``df.attrs["importance"]`` in
Parquet tables and featurekit's exact header in CSV tables.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from ..errors import ConfigError, OutputError

__all__ = ["MARK", "REPORT_MARK", "check_output_file", "check_suffix", "plot_metadata",
           "written_by_featurekit"]

#: The mark featurekit leaves in the metadata of the files it writes.
MARK = "featurekit"
#: Last line of every report page featurekit writes (an HTML comment, hidden in Markdown too).
REPORT_MARK = "<!-- written by featurekit -->"
#: Header of the CSV importance tables featurekit writes (``class,`` first with per_class).
IMPORTANCE_CSV_HEADER = "feature,group,importance_mean,importance_std,n_columns"

_MAX_SNIFF = 64 * 2**20


def plot_metadata(suffix: str) -> dict:
    """``savefig(metadata=...)`` carrying :data:`MARK` for a ``.png``, ``.svg`` or ``.pdf`` file."""
    suffix = suffix.lower()
    if suffix == ".png":
        return {"Software": MARK}
    return {"Creator": MARK} if suffix in (".svg", ".pdf") else {}


def written_by_featurekit(path) -> bool:
    """True when the file at ``path`` carries featurekit's mark (see the module docstring)."""
    path = Path(path)
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            import pyarrow.parquet as pq

            meta = pq.read_schema(path).metadata or {}
            attrs = json.loads(meta.get(b"PANDAS_ATTRS", b"{}"))
            return isinstance(attrs, dict) and "importance" in attrs
        if suffix == ".csv":
            with open(path, encoding="utf-8") as fh:
                header = fh.readline().rstrip("\r\n")
            return header in (IMPORTANCE_CSV_HEADER, "class," + IMPORTANCE_CSV_HEADER)
        if path.stat().st_size > _MAX_SNIFF:
            return False
        data = path.read_bytes()
        if suffix in (".html", ".htm", ".md", ".markdown"):
            return data.rstrip().endswith(REPORT_MARK.encode())
        if suffix == ".png":
            return b"tEXtSoftware\x00" + MARK.encode() in data
        if suffix == ".svg":
            return re.search(rb"<dc:creator>\s*<cc:Agent>\s*<dc:title>" + MARK.encode()
                             + rb"</dc:title>", data) is not None
        if suffix == ".pdf":
            return f"/Creator ({MARK})".encode() in data
    except (OSError, ValueError, UnicodeDecodeError):
        return False
    return False


def check_output_file(path, *, overwrite: bool = False) -> Path:
    """Raise :class:`OutputError` unless featurekit may write ``path``.

    ``path`` may be new, a file featurekit wrote (its mark), or any file
    when ``overwrite`` is true; a directory is always refused.
    """
    path = Path(path)
    if path.is_dir():
        raise OutputError(f"refusing to write {path}: it is a directory")
    if path.exists() and not overwrite and not written_by_featurekit(path):
        raise OutputError(f"refusing to replace {path}: it exists and featurekit did not write "
                          f"it (choose another name, or allow overwrite to replace it)")
    return path


def check_suffix(path, suffixes, what: str) -> Path:
    """Raise :class:`ConfigError` unless ``path`` ends in one of ``suffixes`` (any case).

    ``what`` completes "cannot {what} {path}", e.g. ``"plot to"``.
    """
    path = Path(path)
    if path.suffix.lower() not in suffixes:
        names = ", ".join(suffixes[:-1]) + " or " if len(suffixes) > 1 else ""
        raise ConfigError(f"cannot {what} {path}: the file name must end in "
                          f"{names}{suffixes[-1]}")
    return path
