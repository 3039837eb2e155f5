"""Which reader fits a path, and :func:`read_corpus`, the one entry point."""

from __future__ import annotations

from pathlib import Path

from ..errors import ConfigError, CorpusError
from ..schema import DEFAULT_LIBRARY, NSYNTH_COLUMNS
from .base import (
    FAMILIES,
    NOTE_RE,
    NSYNTH_AUDIO_EXTENSIONS,
    SOURCES,
    Corpus,
    check_names,
    has_audio,
    list_audio_files,
    visible_subdirs,
)
from .folders import read_label_folders
from .manifest import MANIFEST_SUFFIXES, read_corpus_manifest
from .nsynth import read_nsynth
from .segments import segment_corpus

__all__ = ["read_corpus", "detect_layout", "check_layout", "LAYOUTS"]

#: Values of ``read_corpus(layout=...)``.
LAYOUTS = ("auto", "nsynth", "folders", "manifest")


def check_layout(layout: str) -> str:
    """Validate a ``layout=`` value (one of :data:`LAYOUTS`)."""
    if layout not in LAYOUTS:
        raise ConfigError(f"unknown layout {layout!r}; choose from {list(LAYOUTS)}")
    return layout


def _nsynth_named(path: Path) -> bool:
    return path.suffix.lower() in NSYNTH_AUDIO_EXTENSIONS and NOTE_RE.match(path.stem) is not None


def detect_layout(root) -> str:
    """Which reader fits ``root``: ``"manifest"``, ``"nsynth"`` or ``"folders"``.

    A ``.csv``/``.parquet`` file is a manifest; a folder with NSynth markers
    (``nsynth-*/``, ``examples.json``, ``audio/``) is NSynth; a folder whose
    subfolders hold audio is label folders, unless every file looked at is
    NSynth-named (then labels come from the names); anything else is read as
    a folder of NSynth-named files.

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
    labelled = [d for d in visible_subdirs(root) if has_audio(d)]
    if not labelled:
        return "nsynth"
    sample = [p for d in labelled[:5] for p in list_audio_files(d)[:4]]
    if all(_nsynth_named(p) for p in sample):
        return "nsynth"
    return "folders"


def read_corpus(root, *, families=None, sources=None, exclude_sources=None,
                layout: str = "auto", segment_seconds=None, hop_seconds=None) -> Corpus:
    """List the notes (files, or windows of files) of a corpus.

    Parameters
    ----------
    root : path-like
        NSynth root, one NSynth split directory (WAV or FLAC audio), a folder
        of NSynth-named files, a folder-per-label corpus
        (``ROOT/<label>/*.wav``), or a CSV/Parquet manifest.
    families, sources : list of str, optional
        Keep only these instrument families / sources (NSynth names; NSynth
        layouts only).
    exclude_sources : list of str, optional
        Drop these sources (e.g. ``["synthetic"]``).
    layout : {"auto", "nsynth", "folders", "manifest"}
        How to read ``root``; ``"auto"`` uses :func:`detect_layout`.
    segment_seconds, hop_seconds : float, optional
        Cut every file into windows of this length (s) every ``hop_seconds``
        (default: no overlap), one row per window with ``source_path``,
        ``start``, ``end`` (see :mod:`featurekit.corpus.segments`).

    Returns
    -------
    Corpus

    Raises
    ------
    CorpusError
        ``root`` does not exist or holds no notes at all (the message lists
        every layout accepted); a bad manifest.
    ConfigError
        An unknown family, source or layout name; NSynth filters on another
        layout; a non-positive window length or hop.
    """
    root = Path(root).expanduser()
    families = check_names(families, FAMILIES, "families")
    sources = check_names(sources, SOURCES, "sources")
    excluded = check_names(exclude_sources, SOURCES, "sources") or set()
    from ..tfrecord import is_tfrecord_corpus, read_nsynth_tfrecords  # NSynth as TFRecords

    if layout == "auto" and is_tfrecord_corpus(root):
        notes, problems, base = read_nsynth_tfrecords(root, families, sources, excluded,
                                                      segment_seconds=segment_seconds, hop_seconds=hop_seconds)
        notes = notes.reindex(columns=NSYNTH_COLUMNS)
        notes["library"] = notes["library"].fillna(DEFAULT_LIBRARY)
        return Corpus(notes, problems, base, "nsynth-tfrecord")
    kind = detect_layout(root) if check_layout(layout) == "auto" else layout
    if kind == "nsynth":
        corpus = read_nsynth(root, families, sources, excluded)
    elif families is not None or sources is not None or excluded:
        raise ConfigError(
            f"families/sources filters need NSynth labels; {root} is read as a {kind} corpus"
        )
    else:
        corpus = read_corpus_manifest(root) if kind == "manifest" else read_label_folders(root)
    if segment_seconds is not None or hop_seconds is not None:
        corpus = segment_corpus(corpus, segment_seconds, hop_seconds)
    return corpus
