"""NSynth corpora: jsonwav roots, single splits and folders of NSynth-named files.

Layouts
-------
* an NSynth root holding ``nsynth-train/``, ``nsynth-valid/``, ``nsynth-test/``
  (each ``examples.json`` + ``audio/<note_str>.wav``);
* one such split directory;
* a folder of NSynth-named files (``guitar_acoustic_012-060-100.wav``), labels
  parsed from the names.

Audio may be WAV or FLAC (``audio/<note_str>.flac``, as in
``nsynth-test-dev``): a note whose ``.wav`` and ``.flac`` both exist is
recorded as a failure naming both files, never guessed.  Every row carries
``library``: the ``examples.json`` entry's ``library`` field (written by
``featurekit synth``), else :data:`featurekit.schema.DEFAULT_LIBRARY`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd

from ..errors import CorpusError
from ..schema import DEFAULT_LIBRARY, NSYNTH_COLUMNS
from .base import (
    LAYOUT_HELP,
    NSYNTH_AUDIO_EXTENSIONS,
    Corpus,
    parse_note_str,
    relative_id,
)

__all__ = ["read_nsynth", "NSYNTH_COLUMNS"]


def _split_name(directory: Path) -> str:
    name = directory.name
    return name[len("nsynth-"):] if name.startswith("nsynth-") else name


def _note_files(folder: Path) -> dict[str, list[str]]:
    """``{stem: [file names]}`` of the NSynth audio (WAV, FLAC) directly in ``folder``."""
    found: dict[str, list[str]] = {}
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return found
    for name in names:
        stem, ext = os.path.splitext(name)
        if ext.lower() in NSYNTH_AUDIO_EXTENSIONS and not name.startswith("."):
            found.setdefault(stem, []).append(name)
    return found


def _both_formats(files: list[str]) -> str:
    return (f"both {' and '.join(files)} exist for one note; keep one of them "
            "(featurekit does not guess which)")


def _library(ex: dict) -> str:
    value = ex.get("library")
    if value is None or not str(value).strip():
        return DEFAULT_LIBRARY
    return str(value).strip()


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
        problems.append((relative_id(meta_path, root), str(meta_path),
                         f"malformed examples.json ({reason}); labels taken from file names"))
        return _read_named_files(audio, root, split, problems, recursive=True)
    files = _note_files(audio)
    rows = []
    for key in sorted(examples):
        ex = examples[key]
        present = files.get(key, [])
        path = audio / (present[0] if len(present) == 1 else f"{key}.wav")
        if len(present) > 1:
            problems.append((relative_id(path, root), str(path), _both_formats(present)))
            continue
        try:
            row = {
                "note_str": str(ex.get("note_str", key)),
                "library": _library(ex),
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
            problems.append((relative_id(path, root), str(path),
                             f"bad examples.json entry {key!r}: {type(exc).__name__} {exc}"))
            continue
        row.update(note_id=relative_id(path, root), split=split, path=str(path))
        rows.append(row)
    return rows


def _read_named_files(folder: Path, root: Path, split: str, problems: list,
                      recursive: bool) -> list[dict]:
    """Rows for NSynth-named WAV/FLAC files in ``folder`` (labels from names)."""
    if not folder.is_dir():
        return []
    dirs = [Path(d) for d, _, _ in os.walk(folder)] if recursive else [folder]
    rows = []
    for directory in sorted(dirs):
        if any(part.startswith(".") for part in directory.relative_to(folder).parts):
            continue
        for stem, names in sorted(_note_files(directory).items()):
            path = directory / names[0]
            if len(names) > 1:
                problems.append((relative_id(path, root), str(path), _both_formats(names)))
                continue
            try:
                row = parse_note_str(stem)
            except ValueError as exc:
                problems.append((relative_id(path, root), str(path), str(exc)))
                continue
            row.update(library=DEFAULT_LIBRARY, note_id=relative_id(path, root), split=split,
                       path=str(path))
            rows.append(row)
    return rows


def read_nsynth(root, families=None, sources=None, excluded=()) -> Corpus:
    """Rows of the NSynth layouts (root, one split, NSynth-named files).

    Parameters
    ----------
    root : path-like
    families, sources : set of str, optional
        Keep only these families / sources (already validated).
    excluded : set of str
        Drop these sources.

    Returns
    -------
    Corpus
        Rows :data:`~featurekit.schema.NSYNTH_COLUMNS`; layout ``"nsynth"``,
        ``"nsynth-split"`` or ``"nsynth-wavs"`` (named files, WAV or FLAC).

    Raises
    ------
    CorpusError
        ``root`` is not a folder, or it holds no notes at all (the message
        lists every layout featurekit reads).
    """
    root = Path(root).expanduser()
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
        rows = _read_named_files(root, root, "all", problems, recursive=True)
    notes = pd.DataFrame(rows, columns=NSYNTH_COLUMNS)
    if notes.empty and not problems:
        raise CorpusError(f"no notes found in {root}: {LAYOUT_HELP}")
    keep = pd.Series(True, index=notes.index)
    if families is not None:
        keep &= notes["instrument_family_str"].isin(families)
    if sources is not None:
        keep &= notes["instrument_source_str"].isin(sources)
    if excluded:
        keep &= ~notes["instrument_source_str"].isin(excluded)
    notes = notes[keep].drop_duplicates("note_id").reset_index(drop=True)
    return Corpus(notes=notes, problems=problems, root=root, layout=layout)
