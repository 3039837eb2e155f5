"""Corpora of labelled audio beyond NSynth: label folders and manifests.

Two layouts real music datasets ship in, read into the same
:class:`~featurekit.corpus.Corpus` as NSynth:

* **label folders** -- ``ROOT/<label>/**/*.wav`` (GTZAN's ``genres/``, IRMAS's
  training data), optionally under split folders
  ``ROOT/<split>/<label>/...`` when every top-level folder is a split name
  (``train``, ``valid``, ``validation``, ``val``, ``test``);
* **manifest** -- a CSV or Parquet file with columns ``path, label`` and
  optional ``group`` and ``split``; relative paths are relative to the
  manifest's folder.  Further columns are kept as metadata.

Every row carries ``note_id`` (the file's path relative to the root or
manifest folder, unique), ``label`` (str), ``group`` (str: the manifest's
group, else the file's ``note_id``, so that evaluation never puts one
recording, or its windows, in both train and test), ``split`` (the split
folder or column, else ``"all"``) and ``path``.  Any format libsndfile reads is
accepted, at any rate, channel count and length (see :data:`AUDIO_EXTENSIONS`).
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from .corpus import NOTE_RE, Corpus
from .decode import extra_suffixes
from .errors import ConfigError, CorpusError

#: File name endings listed as audio (the formats libsndfile decodes).
AUDIO_EXTENSIONS = frozenset({
    ".wav", ".wave", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".aif", ".aiff",
    ".aifc", ".au", ".snd", ".caf", ".w64", ".rf64",
})

#: Values of ``read_corpus(layout=...)``.
LAYOUTS = ("auto", "nsynth", "folders", "manifest")

#: File endings read as a manifest.
MANIFEST_SUFFIXES = (".csv", ".parquet", ".pq")

#: Folder names read as splits in ``ROOT/<split>/<label>/`` layouts.
SPLIT_FOLDERS = ("train", "valid", "validation", "val", "test")

#: Columns every label-folder or manifest row carries, in table order.
LAYOUT_COLUMNS = ["note_id", "label", "group", "split", "path"]

#: Manifest column names featurekit writes itself (an error in a manifest).
_RESERVED = {"note_id", "padded", "notes", "error", "source_path", "start", "end"}


def is_audio(path) -> bool:
    """True for a visible file whose ending is in :data:`AUDIO_EXTENSIONS`."""
    path = Path(path)
    suffix = path.suffix.lower()
    return not path.name.startswith(".") and (suffix in AUDIO_EXTENSIONS or suffix in extra_suffixes())


def _audio_files(folder: Path):
    """Audio files under ``folder`` (recursive, sorted, hidden folders skipped)."""
    found = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        found.extend(Path(dirpath) / f for f in sorted(filenames) if is_audio(f))
    return found


def _subdirs(folder: Path) -> list[Path]:
    return sorted(d for d in folder.iterdir() if d.is_dir() and not d.name.startswith("."))


def _has_audio(folder: Path) -> bool:
    return any(is_audio(p) for p in folder.rglob("*") if p.is_file())


def detect_layout(root) -> str:
    """Which reader fits ``root``: ``"manifest"``, ``"nsynth"`` or ``"folders"``.

    A ``.csv``/``.parquet`` file is a manifest; a folder with NSynth markers
    (``nsynth-*/``, ``examples.json``, ``audio/``) is NSynth; a folder whose
    subfolders hold audio is label folders, unless every file looked at is
    NSynth-named (then labels come from the names); anything else is read as
    a folder of NSynth-named WAVs.

    Raises
    ------
    CorpusError
        ``root`` does not exist, or is a file that is not a manifest.
    """
    root = Path(root).expanduser()
    if root.is_file():
        if root.suffix.lower() in MANIFEST_SUFFIXES:
            return "manifest"
        raise CorpusError(
            f"{root} is a file but not a manifest (expected {', '.join(MANIFEST_SUFFIXES)}) "
            "or a corpus folder"
        )
    if not root.is_dir():
        what = "manifest" if root.suffix.lower() in MANIFEST_SUFFIXES else "corpus directory"
        raise CorpusError(f"{what} not found: {root}")
    if any(root.glob("nsynth-*")) or (root / "examples.json").exists() or (root / "audio").is_dir():
        return "nsynth"
    labelled = [d for d in _subdirs(root) if _has_audio(d)]
    if not labelled:
        return "nsynth"
    sample = [p for d in labelled[:5] for p in _audio_files(d)[:4]]
    if all(p.suffix.lower() == ".wav" and NOTE_RE.match(p.stem) for p in sample):
        return "nsynth"
    return "folders"


def _rel(path: Path, root: Path) -> str:
    return Path(os.path.relpath(path, root)).as_posix()


def read_label_folders(root) -> Corpus:
    """List a folder-per-label corpus (``ROOT/<label>/*.wav``, GTZAN/IRMAS style).

    Parameters
    ----------
    root : path-like
        Folder whose subfolders are labels (files may be nested deeper in a
        label folder), or whose subfolders are all split names
        (:data:`SPLIT_FOLDERS`) each holding label folders.

    Returns
    -------
    Corpus
        Rows :data:`LAYOUT_COLUMNS`; ``group`` is the file's ``note_id``.
        Audio files lying directly in ``root`` (or a split folder) have no
        label and become problems.  Layout ``"folders"``.

    Raises
    ------
    CorpusError
        ``root`` is not a folder, or no label folder holds audio.
    """
    root = Path(root).expanduser()
    if not root.is_dir():
        raise CorpusError(f"corpus folder not found: {root}")
    root = root.resolve()
    tops = [d for d in _subdirs(root) if _has_audio(d)]
    by_split = bool(tops) and all(d.name.lower() in SPLIT_FOLDERS for d in tops) and all(
        any(_has_audio(s) for s in _subdirs(d)) for d in tops)
    bases = [(d, d.name) for d in tops] if by_split else [(root, "all")]
    rows, problems = [], []
    for base, split in bases:
        for path in _audio_files(base):
            note_id = _rel(path, root)
            parts = Path(os.path.relpath(path, base)).parts
            if len(parts) < 2:
                problems.append((note_id, str(path), "not inside a label folder (ROOT/<label>/file)"))
                continue
            rows.append({"note_id": note_id, "label": parts[0], "group": note_id,
                         "split": split, "path": str(path)})
    if not rows:
        raise CorpusError(
            f"no labelled audio in {root}: expected ROOT/<label>/<file> with endings "
            f"{', '.join(sorted(AUDIO_EXTENSIONS))}"
        )
    notes = pd.DataFrame(rows, columns=LAYOUT_COLUMNS)
    return Corpus(notes=notes, problems=problems, root=root, layout="folders")


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


def _text_column(df: pd.DataFrame, name: str, manifest: Path, csv: bool) -> pd.Series:
    """Column ``name`` as stripped text; blank or missing cells are an error."""
    col = df[name]
    text = col.map(lambda v: "" if v is None or (isinstance(v, float) and v != v) else str(v).strip())
    blank = text.index[text == ""]
    if len(blank):
        raise CorpusError(f"manifest {manifest}: empty {name!r} at {_where(blank, csv)}")
    return text


def _extra_column(df: pd.DataFrame, name: str, manifest: Path) -> pd.Series:
    """An extra manifest column, checked against the names featurekit uses."""
    import pyarrow as pa

    from .table import KNOWN_TYPES

    if name in _RESERVED or "__" in name:
        raise CorpusError(
            f"manifest {manifest}: column {name!r} clashes with featurekit's own columns "
            f"({', '.join(sorted(_RESERVED))} and names with '__' are reserved); rename it"
        )
    kind = KNOWN_TYPES.get(name)
    if kind is None:
        return df[name]
    if kind == pa.string():
        return df[name].map(lambda v: None if v is None or (isinstance(v, float) and v != v) else str(v))
    if kind == pa.int64():
        values = pd.to_numeric(df[name], errors="coerce")
        if values.isna().any() or (values % 1 != 0).any():
            raise CorpusError(f"manifest {manifest}: column {name!r} must hold whole numbers")
        return values.astype("int64")
    raise CorpusError(f"manifest {manifest}: column {name!r} is reserved by featurekit; rename it")


def read_manifest(path) -> Corpus:
    """List the files of a CSV or Parquet manifest.

    Parameters
    ----------
    path : path-like
        ``.csv`` or ``.parquet`` with columns ``path`` and ``label`` (required),
        ``group`` and ``split`` (optional), any others kept as metadata.
        Relative paths are relative to the manifest's folder.  Column names
        are matched case-insensitively.

    Returns
    -------
    Corpus
        Rows :data:`LAYOUT_COLUMNS` plus the extra columns; ``group`` defaults
        to the file's ``note_id``, ``split`` to ``"all"``.  Listed files that do
        not exist stay rows and become "file not found" failures when
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
    df = df.rename(columns={names[k]: k for k in ("path", "label", "group", "split") if k in names})
    missing = [c for c in ("path", "label") if c not in df.columns]
    if missing:
        raise CorpusError(
            f"manifest {manifest} lacks column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(map(repr, missing))}; found {[str(c) for c in df.columns]}, "
            "expected path,label[,group][,split]"
        )
    if df.empty:
        raise CorpusError(f"manifest {manifest} lists no files")
    base = manifest.parent
    paths = [Path(os.path.normpath(base / Path(p).expanduser()))
             for p in _text_column(df, "path", manifest, csv)]
    note_ids = pd.Series([_rel(p, base) for p in paths])
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
        "path": [str(p) for p in paths],
    })
    for name in df.columns:
        if name not in notes.columns:
            notes[str(name)] = _extra_column(df, name, manifest).to_numpy()
    return Corpus(notes=notes, problems=[], root=manifest, layout="manifest")


def check_layout(layout: str) -> str:
    """Validate a ``layout=`` value (one of :data:`LAYOUTS`)."""
    if layout not in LAYOUTS:
        raise ConfigError(f"unknown layout {layout!r}; choose from {list(LAYOUTS)}")
    return layout
