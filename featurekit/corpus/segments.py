"""Cutting long recordings into fixed-length analysis windows.

A corpus row normally stands for a whole file cut (or padded) to the clip
length.  For long recordings (songs, AudioSet clips, GTZAN excerpts) each file
is instead expanded, when the corpus is listed, into windows of
``segment_seconds`` every ``hop_seconds``: one row per window, carrying
``source_path`` (the file), ``start`` and ``end`` (seconds in the file), and a
``note_id`` that names the window (``rel/path.wav@12.000``).  The extractor
reads only each window's frames (:func:`featurekit.audio.read_clip` with
``start``), so a window costs the same as a short clip.

Window rule
-----------
Full windows start at ``0, hop, 2 hop, ...`` while they fit in the file.  The
first window that runs past the end is kept, zero-padded (and flagged
``padded``), when it holds at least half a window of audio *and* reaches audio
that no full window covered; otherwise it is dropped.  A file shorter than one
window gives a single padded window, so no readable file silently vanishes.
"""

from __future__ import annotations

import math
import numpy as np
import pandas as pd

from ..audio import audio_duration
from ..errors import AudioError, ConfigError
from ..schema import SEGMENT_COLUMNS
from .base import Corpus

__all__ = ["SEGMENT_COLUMNS", "audio_duration", "check_segment_args", "segment_corpus",
           "window_id", "windows"]

#: Tolerance (s) for "the window fits": absorbs float steps like 3 * 0.1.
_EPS = 1e-6


def check_segment_args(segment_seconds, hop_seconds=None) -> tuple[float, float]:
    """Validate a window length and hop (seconds); the hop defaults to the length.

    Raises
    ------
    ConfigError
        A length or hop that is not a positive finite number, or a hop given
        without a length.
    """
    if segment_seconds is None:
        if hop_seconds is not None:
            raise ConfigError(f"hop_seconds={hop_seconds!r} needs segment_seconds as well")
        raise ConfigError("segment_seconds is required to cut files into windows")
    for name, value in (("segment_seconds", segment_seconds), ("hop_seconds", hop_seconds)):
        if value is None:
            continue
        try:
            ok = math.isfinite(float(value)) and float(value) > 0
        except (TypeError, ValueError):
            ok = False
        if not ok:
            raise ConfigError(f"{name} must be a positive number of seconds, got {value!r}")
    segment = float(segment_seconds)
    return segment, float(hop_seconds) if hop_seconds is not None else segment


def windows(duration: float, segment_seconds: float, hop_seconds: float | None = None) -> np.ndarray:
    """Analysis windows of a recording (see the module's window rule).

    Parameters
    ----------
    duration : float
        Length of the recording in seconds.
    segment_seconds : float
        Window length in seconds.
    hop_seconds : float, optional
        Distance between window starts in seconds (default: ``segment_seconds``,
        no overlap).

    Returns
    -------
    ndarray, shape (n_windows, 2), float64
        ``start, end`` of each window in seconds; ``end`` is where the audio
        stops (``start + segment_seconds`` unless the window is padded).  Empty
        only when ``duration <= 0``.

    Examples
    --------
    >>> windows(9.0, 4.0).tolist()    # 1 s left over: dropped
    [[0.0, 4.0], [4.0, 8.0]]
    >>> windows(11.0, 4.0).tolist()   # 3 s left over: a padded window
    [[0.0, 4.0], [4.0, 8.0], [8.0, 11.0]]
    >>> windows(1.5, 4.0).tolist()    # shorter than a window: one padded window
    [[0.0, 1.5]]
    """
    segment, hop = check_segment_args(segment_seconds, hop_seconds)
    if not duration > 0:
        return np.zeros((0, 2))
    n_full = 0 if duration + _EPS < segment else int(math.floor((duration - segment) / hop + _EPS)) + 1
    starts = [round(k * hop, 6) for k in range(n_full)]
    rows = [(s, s + segment) for s in starts]
    covered = rows[-1][1] if rows else 0.0
    tail_start = round(n_full * hop, 6)
    if not rows:
        rows.append((0.0, duration))
    elif duration - covered > _EPS and duration - tail_start >= segment / 2 - _EPS:
        rows.append((tail_start, duration))
    return np.array(rows, dtype=np.float64).reshape(-1, 2)


def window_id(note_id: str, start: float) -> str:
    """``note_id`` of a window: the file's id and its start (ms precision)."""
    return f"{note_id}@{start:.3f}"


def segment_corpus(corpus, segment_seconds: float, hop_seconds: float | None = None):
    """Expand every file of a corpus into its analysis windows.

    Parameters
    ----------
    corpus : featurekit.corpus.Corpus
        Rows with ``note_id`` and ``path`` (any layout).
    segment_seconds, hop_seconds : float
        Window length and hop in seconds (hop defaults to the length).

    Returns
    -------
    Corpus
        One row per window: the file's metadata plus ``source_path`` (the
        file), ``start``, ``end`` (s); ``path`` stays the file and ``note_id``
        becomes :func:`window_id`.  A ``group`` column, when present, is kept
        (by default it already names the source file, so windows of one file
        never straddle a train/test split).  Files whose header cannot be read
        become problems, with the reason.
    """
    segment, hop = check_segment_args(segment_seconds, hop_seconds)
    notes = corpus.notes
    problems = list(corpus.problems)
    index, starts, ends = [], [], []
    for i, (note_id, path) in enumerate(zip(notes["note_id"], notes["path"])):
        try:
            duration = audio_duration(path)
        except AudioError as exc:
            problems.append((note_id, path, str(exc)))
            continue
        w = windows(duration, segment, hop)
        index.extend([i] * len(w))
        starts.extend(w[:, 0])
        ends.extend(w[:, 1])
    rows = notes.iloc[index].reset_index(drop=True)
    rows["source_path"] = rows["path"]
    rows["start"] = np.asarray(starts, dtype=np.float64)
    rows["end"] = np.asarray(ends, dtype=np.float64)
    rows["note_id"] = [window_id(n, s) for n, s in zip(rows["note_id"], rows["start"])]
    if rows.empty:
        rows = pd.DataFrame(columns=[*notes.columns, *SEGMENT_COLUMNS])
    return Corpus(rows, problems, corpus.root, corpus.layout)
