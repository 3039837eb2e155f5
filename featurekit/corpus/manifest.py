"""CSV or Parquet manifests listing labelled audio files.

Columns ``path, label`` (required), ``group``, ``split`` and ``library``
(optional), matched case-insensitively; relative paths are relative to the
manifest's folder.  Further columns are kept as metadata, typed by
:data:`featurekit.schema.ARROW_TYPES` when featurekit knows them.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pyarrow as pa

from ..errors import CorpusError
from ..schema import ARROW_TYPES, COLUMN_SEPARATOR, LAYOUT_COLUMNS, RESERVED_COLUMNS
from .base import Corpus, relative_id

__all__ = ["read_corpus_manifest", "MANIFEST_SUFFIXES", "MANIFEST_COLUMNS"]

#: File endings read as a manifest.
MANIFEST_SUFFIXES = (".csv", ".parquet", ".pq")

#: Manifest columns with a meaning (matched case-insensitively); the first two are required.
MANIFEST_COLUMNS = ("path", "label", "group", "split", "library")


def _load_table(path: Path) -> pd.DataFrame:
    try:
        if path.suffix.lower() == ".csv":
            # Only blank cells are missing: labels like "NA" or "None" stay text.
            return pd.read_csv(path, keep_default_na=False, na_values=[""], skipinitialspace=True)
        if path.suffix.lower() in (".parquet", ".pq"):
            return pd.read_parquet(path)
    except Exception as exc:  # pandas/pyarrow raise many types for a bad file
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise CorpusError(f"cannot read manifest {path}: {msg}") from None
    raise CorpusError(f"manifest {path} must end in {', '.join(MANIFEST_SUFFIXES)}")


def _where(rows, csv: bool) -> str:
    """Human row references: CSV line numbers (header = line 1) or Parquet rows."""
    rows = list(rows)
    shown = ", ".join(str(r + 2 if csv else r) for r in rows[:5])
    more = f" (+{len(rows) - 5} more)" if len(rows) > 5 else ""
    return f"{'line' if csv else 'row'}{'s' if len(rows) > 1 else ''} {shown}{more}"


def _is_blank(v) -> bool:
    return v is None or (isinstance(v, float) and v != v)


def _text_column(df: pd.DataFrame, name: str, manifest: Path, csv: bool) -> pd.Series:
    """Column ``name`` as stripped text; blank or missing cells are an error."""
    text = df[name].map(lambda v: "" if _is_blank(v) else str(v).strip())
    blank = text.index[text == ""]
    if len(blank):
        raise CorpusError(f"manifest {manifest}: empty {name!r} at {_where(blank, csv)}")
    return text


def _optional_text(df: pd.DataFrame, name: str) -> pd.Series:
    """Column ``name`` as stripped text, blank cells None."""
    return df[name].map(lambda v: None if _is_blank(v) or not str(v).strip() else str(v).strip())


def _extra_column(df: pd.DataFrame, name: str, manifest: Path) -> pd.Series:
    """An extra manifest column, checked against the names featurekit uses."""
    if name in RESERVED_COLUMNS or COLUMN_SEPARATOR in name:
        raise CorpusError(
            f"manifest {manifest}: column {name!r} clashes with featurekit's own columns "
            f"({', '.join(sorted(RESERVED_COLUMNS))} and names with '{COLUMN_SEPARATOR}' "
            "are reserved); rename it"
        )
    kind = ARROW_TYPES.get(name)
    if kind is None:
        return df[name]
    if kind == pa.string():
        return df[name].map(lambda v: None if _is_blank(v) else str(v))
    if kind == pa.int64():
        values = pd.to_numeric(df[name], errors="coerce")
        if values.isna().any() or (values % 1 != 0).any():
            raise CorpusError(f"manifest {manifest}: column {name!r} must hold whole numbers")
        return values.astype("int64")
    raise CorpusError(f"manifest {manifest}: column {name!r} is reserved by featurekit; rename it")


def read_corpus_manifest(path) -> Corpus:
    """List the files of a CSV or Parquet corpus manifest.

    Parameters
    ----------
    path : path-like
        ``.csv`` or ``.parquet`` with columns ``path`` and ``label`` (required),
        ``group``, ``split`` and ``library`` (optional), any others kept as
        metadata.  Relative paths are relative to the manifest's folder.
        Column names are matched case-insensitively.

    Returns
    -------
    Corpus
        Rows :data:`~featurekit.schema.LAYOUT_COLUMNS` plus the extra
        columns; ``group`` defaults to the file's ``note_id``, ``split`` to
        ``"all"``, ``library`` to None (also for blank cells).  Listed files
        that do not exist stay rows and become "file not found" failures when
        extracted.  ``root`` is the manifest file; layout ``"manifest"``.

    Raises
    ------
    CorpusError
        Unreadable manifest; a missing ``path``/``label`` column; an empty
        path, label, group or split cell (named by line); a file listed twice;
        no listed file exists (the paths are then almost surely relative to
        another folder); an extra column clashing with featurekit's own.
    """
    manifest = Path(path).expanduser()
    if not manifest.is_file():
        raise CorpusError(f"manifest not found: {manifest}")
    manifest = manifest.resolve()
    csv = manifest.suffix.lower() == ".csv"
    df = _load_table(manifest).reset_index(drop=True)
    names = {str(c).strip().lower(): c for c in df.columns}
    df = df.rename(columns={names[k]: k for k in MANIFEST_COLUMNS if k in names})
    missing = [c for c in ("path", "label") if c not in df.columns]
    if missing:
        raise CorpusError(
            f"manifest {manifest} lacks column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(map(repr, missing))}; found {[str(c) for c in df.columns]}, "
            "expected path,label[,group][,split][,library]"
        )
    if df.empty:
        raise CorpusError(f"manifest {manifest} lists no files")
    base = manifest.parent
    paths = [Path(os.path.normpath(base / Path(p).expanduser()))
             for p in _text_column(df, "path", manifest, csv)]
    note_ids = pd.Series([relative_id(p, base) for p in paths])
    dup = note_ids[note_ids.duplicated(keep=False)]
    if len(dup):
        first = dup.iloc[0]
        raise CorpusError(
            f"manifest {manifest}: {first!r} is listed more than once "
            f"({_where(dup.index[dup == first], csv)})"
        )
    exists = [p.exists() for p in paths]
    if not any(exists):
        raise CorpusError(
            f"manifest {manifest}: none of its {len(paths)} files exist (first: {paths[0]}); "
            f"relative paths are read relative to {base}"
        )
    notes = pd.DataFrame({
        "note_id": note_ids,
        "label": _text_column(df, "label", manifest, csv),
        "group": _text_column(df, "group", manifest, csv) if "group" in df else note_ids,
        "split": _text_column(df, "split", manifest, csv) if "split" in df else "all",
        "library": _optional_text(df, "library") if "library" in df else None,
        "path": [str(p) for p in paths],
    }, columns=LAYOUT_COLUMNS)
    for name in df.columns:
        if name not in notes.columns:
            notes[str(name)] = _extra_column(df, name, manifest).to_numpy()
    return Corpus(notes=notes, problems=[], root=manifest, layout="manifest")
