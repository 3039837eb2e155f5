"""What every corpus reader shares: the :class:`Corpus` listing, NSynth's vocabulary, audio files.

A corpus reader returns a :class:`Corpus`: one row per note to extract
(metadata, ``path`` and a unique ``note_id``), plus problems found while
listing (a malformed ``examples.json``, a file name that is not a note name),
which the extractor records as failures instead of stopping.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pandas as pd

from ..errors import ConfigError, CorpusError

FAMILIES = ["bass", "brass", "flute", "guitar", "keyboard", "mallet", "organ",
            "reed", "string", "synth_lead", "vocal"]
SOURCES = ["acoustic", "electronic", "synthetic"]
QUALITIES = ["bright", "dark", "distortion", "fast_decay", "long_release",
             "multiphonic", "nonlinear_env", "percussive", "reverb", "tempo-synced"]
SPLITS = ["train", "valid", "test"]

#: ``<family>_<source>_<NNN>-<pitch>-<velocity>``; family may contain '_' (synth_lead).
NOTE_RE = re.compile(
    r"^(?P<family>" + "|".join(FAMILIES) + r")_(?P<source>" + "|".join(SOURCES)
    + r")_(?P<number>\d+)-(?P<pitch>\d{3})-(?P<velocity>\d{3})$"
)

#: File name endings listed as audio (the formats libsndfile decodes).
AUDIO_EXTENSIONS = frozenset({
    ".wav", ".wave", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".aif", ".aiff",
    ".aifc", ".au", ".snd", ".caf", ".w64", ".rf64",
})

#: Endings of NSynth note files (``audio/<note_str>.wav`` or ``.flac``).
NSYNTH_AUDIO_EXTENSIONS = (".wav", ".flac")

#: Every layout :func:`featurekit.read_corpus` accepts, for error messages.
LAYOUT_HELP = (
    "featurekit reads a folder per label (ROOT/<label>/<audio file>, optionally under "
    "ROOT/<split>/), a CSV or Parquet manifest (columns path,label[,group][,split][,library]), "
    "an NSynth root (ROOT/nsynth-<split>/examples.json + audio/), one NSynth split "
    "(ROOT/examples.json + audio/<note_str>.wav or .flac), or NSynth-named audio files "
    "(ROOT/guitar_acoustic_012-060-100.wav or .flac)"
)


class Corpus:
    """Notes to extract and problems met while listing them.

    A reader gives the rows either as a DataFrame or as a pyarrow Table (the
    NSynth reader: its strings stay in Arrow buffers, ~5x smaller than Python
    strings, so a 306k-note listing stays small); :attr:`notes` is always a
    DataFrame, made on first use.

    Attributes
    ----------
    notes : pandas.DataFrame
        One row per note: the layout's metadata columns
        (:data:`featurekit.schema.NSYNTH_COLUMNS` or
        :data:`featurekit.schema.LAYOUT_COLUMNS`); ``note_id`` is unique.
    problems : list of (note_id, path, error)
        Entries that cannot become notes; recorded as failures.
    root : Path
    layout : str
    """

    def __init__(self, notes=None, problems=None, root=Path("."), layout: str = "nsynth"):
        import pyarrow as pa

        if isinstance(notes, pa.Table):
            self._table, self._notes = notes, None
        else:
            self._table, self._notes = None, (notes if notes is not None else pd.DataFrame())
        self.problems = list(problems or [])
        self.root = Path(root)
        self.layout = layout

    @property
    def notes(self) -> pd.DataFrame:
        if self._notes is None:
            self._notes = rows_to_pandas(self._table, self.root)
        return self._notes

    def __len__(self) -> int:
        return self._table.num_rows if self._table is not None else len(self._notes)

    def note_ids(self):
        """The ``note_id`` column (a pyarrow array or a pandas Series), without building :attr:`notes`."""
        return self._table.column("note_id") if self._table is not None else self._notes["note_id"]

    def isin(self, note_ids) -> "np.ndarray":
        """Boolean mask: which rows' ``note_id`` is in ``note_ids`` (a sequence of str)."""
        import numpy as np

        if self._table is not None:
            import pyarrow as pa
            import pyarrow.compute as pc

            values = pa.array(list(note_ids) if not isinstance(note_ids, (list, np.ndarray)) else note_ids,
                              pa.string())
            mask = pc.is_in(self._table.column("note_id"), value_set=values)
            return mask.to_numpy(zero_copy_only=False).astype(bool)
        return self._notes["note_id"].isin(note_ids).to_numpy()

    def take(self, indices) -> pd.DataFrame:
        """Rows ``indices`` (positions) as a DataFrame, as :attr:`notes` would hold them."""
        if self._table is not None:
            return rows_to_pandas(self._table.take(indices), self.root)
        return self._notes.iloc[indices].reset_index(drop=True)

    def __repr__(self) -> str:
        return f"Corpus({len(self):,} notes, {len(self.problems)} problems, root={str(self.root)!r}, layout={self.layout!r})"


def rows_to_pandas(table, root=None) -> pd.DataFrame:
    """A listing's pyarrow Table as the DataFrame a reader returns.

    Known columns get the schema's types (:data:`featurekit.schema.ARROW_TYPES`:
    dictionaries back to strings, narrow integers to int64), list cells become
    Python lists, and a listing stored without ``path`` gets ``root/note_id``.
    """
    import pyarrow as pa

    from ..schema import ARROW_TYPES

    columns, names = [], []
    for name, column in zip(table.column_names, table.columns):
        typ = ARROW_TYPES.get(name)
        columns.append(column.cast(typ) if typ is not None and column.type != typ else column)
        names.append(name)
    if "path" not in names and root is not None and "note_id" in names:
        base = os.fspath(root)
        ids = table.column("note_id").to_pylist()
        columns.append(pa.array([os.path.normpath(os.path.join(base, i)) for i in ids], pa.string()))
        names.append("path")
    table = pa.Table.from_arrays(columns, names=names)
    df = table.to_pandas()
    for name, typ in zip(table.column_names, table.schema.types):
        if pa.types.is_list(typ) or pa.types.is_large_list(typ):
            df[name] = table.column(name).to_pylist()
    return df


def parse_note_str(note_str: str) -> dict:
    """Labels of an NSynth note name.

    Examples
    --------
    >>> parse_note_str("synth_lead_synthetic_000-048-127")["instrument_family_str"]
    'synth_lead'

    Raises
    ------
    ValueError
        If ``note_str`` is not ``<family>_<source>_<NNN>-<pitch>-<velocity>``.
    """
    m = NOTE_RE.match(note_str)
    if m is None:
        raise ValueError(f"not an NSynth note name: {note_str!r}")
    family, source = m["family"], m["source"]
    return {
        "note_str": note_str,
        "instrument": -1,  # NSynth's global id is only in examples.json
        "instrument_str": f"{family}_{source}_{m['number']}",
        "instrument_family": FAMILIES.index(family),
        "instrument_family_str": family,
        "instrument_source": SOURCES.index(source),
        "instrument_source_str": source,
        "pitch": int(m["pitch"]),
        "velocity": int(m["velocity"]),
        "qualities": None,
        "qualities_str": None,
    }


def is_audio(path) -> bool:
    """True for a visible file name whose ending is in :data:`AUDIO_EXTENSIONS`."""
    from ..decode import extra_suffixes  # what PyAV adds (AAC, WMA, video containers) when installed

    path = Path(path)
    suffix = path.suffix.lower()
    return not path.name.startswith(".") and (suffix in AUDIO_EXTENSIONS or suffix in extra_suffixes())


def iter_audio_files(folder):
    """Audio files under ``folder``, lazily (hidden files and folders skipped)."""
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if is_audio(name):
                yield Path(dirpath) / name


def list_audio_files(folder) -> list[Path]:
    """Every audio file under ``folder``, recursively, sorted by path.

    Parameters
    ----------
    folder : path-like

    Returns
    -------
    list of Path
        Files whose ending is one libsndfile decodes (:data:`AUDIO_EXTENSIONS`:
        WAV, FLAC, OGG/Opus, MP3, AIFF, ...; any case); hidden files and
        everything inside hidden folders (names starting with ``.``) are
        skipped.  Empty when the folder holds none.

    Raises
    ------
    CorpusError
        ``folder`` is not a directory.
    """
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise CorpusError(f"not a folder: {folder}")
    return sorted(iter_audio_files(folder))


def has_audio(folder) -> bool:
    """True when ``folder`` holds at least one (visible) audio file, at any depth."""
    return next(iter_audio_files(folder), None) is not None


def visible_subdirs(folder: Path) -> list[Path]:
    """Sub-folders of ``folder`` whose names do not start with ``.``, sorted."""
    return sorted(d for d in folder.iterdir() if d.is_dir() and not d.name.startswith("."))


def relative_id(path, root) -> str:
    """``path`` relative to ``root``, with ``/`` separators (a row's ``note_id``)."""
    return Path(os.path.relpath(path, root)).as_posix()


def check_names(values, allowed, what):
    """``values`` (a name or names) as a set, each in ``allowed``; ``None`` passes through.

    Raises
    ------
    ConfigError
        Naming the unknown values and the allowed ones.
    """
    if values is None:
        return None
    values = [values] if isinstance(values, str) else list(values)
    if not values or "" in values:
        raise ConfigError(f"empty {what} selection: name at least one of "
                          f"{', '.join(allowed)}, or leave the filter out")
    bad = [v for v in values if v not in allowed]
    if bad:
        raise ConfigError(f"unknown {what} {bad}; choose from {allowed}")
    return set(values)
