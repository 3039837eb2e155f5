"""Finding the notes of a corpus and their labels.

A corpus reader returns a :class:`Corpus`: one row per note to extract
(metadata, ``path`` and a unique ``note_id``), plus problems found while
listing (a malformed ``examples.json``, a file name that is not a note name),
which the extractor records as failures instead of stopping.

Supported layouts
-----------------
* NSynth jsonwav root holding ``nsynth-train/``, ``nsynth-valid/``,
  ``nsynth-test/`` (each ``examples.json`` + ``audio/<note_str>.wav``);
* one such split directory;
* a folder of NSynth-named WAVs (``guitar_acoustic_012-060-100.wav``), labels
  parsed from the names;
* folder-per-label corpora and CSV/Parquet manifests (:mod:`featurekit.layouts`).

Any layout can be cut into fixed-length windows (:mod:`featurekit.segments`).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .errors import ConfigError, CorpusError

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

#: Metadata columns every NSynth row carries, in table order.
NSYNTH_COLUMNS = [
    "note_id", "split", "note_str", "instrument", "instrument_str",
    "instrument_family", "instrument_family_str", "instrument_source",
    "instrument_source_str", "pitch", "velocity", "qualities", "qualities_str", "path",
]


@dataclass
class Corpus:
    """Notes to extract and problems met while listing them.

    Attributes
    ----------
    notes : pandas.DataFrame
        One row per note: :data:`NSYNTH_COLUMNS` (``note_id`` is the audio
        path relative to ``root``, unique).
    problems : list of (note_id, path, error)
        Entries that cannot become notes; recorded as failures.
    root : Path
    layout : str
    """

    notes: pd.DataFrame
    problems: list = field(default_factory=list)
    root: Path = Path(".")
    layout: str = "nsynth"


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


def _split_name(directory: Path) -> str:
    name = directory.name
    return name[len("nsynth-"):] if name.startswith("nsynth-") else name


def _rel(path: Path, root: Path) -> str:
    return Path(os.path.relpath(path, root)).as_posix()


def _read_examples(split_dir: Path, root: Path, problems: list) -> list[dict]:
    """Rows of one NSynth split directory (``examples.json`` + ``audio/``)."""
    split = _split_name(split_dir)
    audio = split_dir / "audio"
    meta_path = split_dir / "examples.json"
    try:
        with open(meta_path, encoding="utf-8") as fh:
            examples = json.load(fh)
        if not isinstance(examples, dict):
            raise ValueError("top level is not an object keyed by note_str")
    except (OSError, ValueError) as exc:
        reason = str(exc).splitlines()[0]
        problems.append((_rel(meta_path, root), str(meta_path),
                         f"malformed examples.json ({reason}); labels taken from file names"))
        return _read_wav_folder(audio, root, split, problems)
    rows = []
    for key in sorted(examples):
        ex = examples[key]
        path = audio / f"{key}.wav"
        try:
            row = {
                "note_str": str(ex.get("note_str", key)),
                "instrument": int(ex["instrument"]),
                "instrument_str": str(ex["instrument_str"]),
                "instrument_family": int(ex["instrument_family"]),
                "instrument_family_str": str(ex["instrument_family_str"]),
                "instrument_source": int(ex["instrument_source"]),
                "instrument_source_str": str(ex["instrument_source_str"]),
                "pitch": int(ex["pitch"]),
                "velocity": int(ex["velocity"]),
                "qualities": [int(q) for q in ex.get("qualities", [])],
                "qualities_str": [str(q) for q in ex.get("qualities_str", [])],
            }
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            problems.append((_rel(path, root), str(path),
                             f"bad examples.json entry {key!r}: {type(exc).__name__} {exc}"))
            continue
        row.update(note_id=_rel(path, root), split=split, path=str(path))
        rows.append(row)
    return rows


def _read_wav_folder(folder: Path, root: Path, split: str, problems: list) -> list[dict]:
    """Rows for NSynth-named WAVs under ``folder`` (labels from names)."""
    rows = []
    for path in sorted(folder.rglob("*.wav")) if folder.is_dir() else []:
        try:
            row = parse_note_str(path.stem)
        except ValueError as exc:
            problems.append((_rel(path, root), str(path), str(exc)))
            continue
        row.update(note_id=_rel(path, root), split=split, path=str(path))
        rows.append(row)
    return rows


def _check_names(values, allowed, what):
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


def read_corpus(root, *, families=None, sources=None, exclude_sources=None,
                layout: str = "auto", segment_seconds=None, hop_seconds=None) -> Corpus:
    """List the notes (files, or windows of files) of a corpus.

    Parameters
    ----------
    root : path-like
        NSynth jsonwav root, one split directory, a folder of NSynth-named
        WAVs, a folder-per-label corpus (``ROOT/<label>/*.wav``), or a
        CSV/Parquet manifest (see :mod:`featurekit.layouts`).
    families, sources : list of str, optional
        Keep only these instrument families / sources (NSynth names; NSynth
        layouts only).
    exclude_sources : list of str, optional
        Drop these sources (e.g. ``["synthetic"]``).
    layout : {"auto", "nsynth", "folders", "manifest"}
        How to read ``root``; ``"auto"`` uses
        :func:`featurekit.layouts.detect_layout`.
    segment_seconds, hop_seconds : float, optional
        Cut every file into windows of this length (s) every ``hop_seconds``
        (default: no overlap), one row per window with ``source_path``,
        ``start``, ``end`` (see :mod:`featurekit.segments`).

    Returns
    -------
    Corpus

    Raises
    ------
    CorpusError
        ``root`` does not exist or holds no notes at all; a bad manifest.
    ConfigError
        An unknown family, source or layout name; NSynth filters on another
        layout; a non-positive window length or hop.
    """
    from .layouts import check_layout, detect_layout, read_label_folders, read_manifest

    root = Path(root).expanduser()
    families = _check_names(families, FAMILIES, "families")
    sources = _check_names(sources, SOURCES, "sources")
    excluded = _check_names(exclude_sources, SOURCES, "sources") or set()
    kind = detect_layout(root) if check_layout(layout) == "auto" else layout
    if kind == "nsynth":
        corpus = _read_nsynth(root, families, sources, excluded)
    elif families is not None or sources is not None or excluded:
        raise ConfigError(
            f"families/sources filters need NSynth labels; {root} is read as a {kind} corpus"
        )
    else:
        corpus = read_manifest(root) if kind == "manifest" else read_label_folders(root)
    if segment_seconds is not None or hop_seconds is not None:
        from .segments import segment_corpus

        corpus = segment_corpus(corpus, segment_seconds, hop_seconds)
    return corpus


def _read_nsynth(root: Path, families, sources, excluded) -> Corpus:
    """Rows of the NSynth layouts (jsonwav root, one split, NSynth-named WAVs)."""
    if not root.is_dir():
        raise CorpusError(f"corpus directory not found: {root}")
    root = root.resolve()
    problems: list = []
    split_dirs = sorted(d for d in root.glob("nsynth-*") if d.is_dir())
    if split_dirs:
        layout = "nsynth"
        rows = [r for d in split_dirs for r in _read_examples(d, root, problems)]
    elif (root / "examples.json").exists() or (root / "audio").is_dir():
        layout = "nsynth-split"
        rows = _read_examples(root, root, problems)
    else:
        layout = "nsynth-wavs"
        rows = _read_wav_folder(root, root, "all", problems)
    notes = pd.DataFrame(rows, columns=NSYNTH_COLUMNS)
    if notes.empty and not problems:
        raise CorpusError(
            f"no notes found in {root}: expected an NSynth corpus (nsynth-<split>/examples.json, "
            "an examples.json, or NSynth-named .wav files), a folder per label "
            "(<label>/*.wav|flac|ogg) or a CSV/Parquet manifest (path,label[,group][,split])"
        )
    keep = pd.Series(True, index=notes.index)
    if families is not None:
        keep &= notes["instrument_family_str"].isin(families)
    if sources is not None:
        keep &= notes["instrument_source_str"].isin(sources)
    if excluded:
        keep &= ~notes["instrument_source_str"].isin(excluded)
    notes = notes[keep].drop_duplicates("note_id").reset_index(drop=True)
    return Corpus(notes=notes, problems=problems, root=root, layout=layout)
