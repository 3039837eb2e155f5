"""Fixed-size time-frequency matrices ("frames") per note, the input of CNNs.

``featurekit extract CORPUS --out DIR --frames [mfcc|logmel]`` stores, beside
the feature table, one matrix per note computed from the same STFT as the
clip-level features (:class:`~featurekit.features.analysis.Analysis` caches
the log-mel spectrogram; nothing is computed twice).

Kinds (``ExtractionConfig.frames``; ``--frames`` alone means ``mfcc``):

``mfcc`` (default), shape (20, 20)
    20 MFCCs x 20 time steps, the input of the seed-style MFCC CNN.  The
    clip's STFT frames (126 at the default 4 s / 16 kHz / hop 512) are
    mean-pooled into 20 equal, contiguous segments (~200 ms each), so the
    matrix covers the whole note (attack, sustain and release) rather than
    its first 0.6 s; MFCC ``k`` is the orthonormal DCT-II of the pooled log-mel
    spectrum (DCT and mean commute, so this equals pooling the MFCCs).
``logmel``, shape (n_mels, 64)
    The log-mel spectrogram in dB (``n_mels`` = 64 by default), mean-pooled
    the same way into 64 time steps (~62 ms each).

Matrices are laid out ``(frequency, time)``: row 0 is MFCC 0 / the lowest
mel band.

Storage: ``DIR/frames/part-*.parquet`` holds ``note_id`` and ``frames``, a
fixed-size ``list<float32>`` of F*T values (row-major (F, T)), one shard per
feature shard and with the same name.  A frames shard is written before its
feature shard, so every note in the feature table has its matrix; the
(rare) leftovers of an interrupted run are ignored on reading.  Parquet is
columnar, so :func:`featurekit.load_features` never reads the matrices, and
:func:`iter_frames` streams them shard by shard.

This module holds the computation (:func:`compute_frames`) and the storage
(:func:`write_frames` ... :func:`attach_frames`) only; how a model reads frames
is its input adapter, :class:`featurekit.cnn.inputs.FramesInput`.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import scipy.fft

from .errors import ConfigError, CorpusError

__all__ = [
    "FRAME_KINDS", "DEFAULT_FRAMES", "FRAMES_DIR", "FRAMES_COLUMN", "frame_shape",
    "check_frames", "pool_time", "compute_frames", "frames_shard", "write_frames", "iter_frames",
    "load_frames", "frames_kind", "attach_frames",
]

FRAME_KINDS = ("mfcc", "logmel")
#: The kind ``--frames`` stores when given without a value.
DEFAULT_FRAMES = "mfcc"
FRAMES_DIR = "frames"
#: The column holding each note's flattened (F, T) matrix.
FRAMES_COLUMN = "frames"
#: (coefficients, time steps) of the ``mfcc`` kind, as the seed work's CNN.
MFCC_SHAPE = (20, 20)
#: Time steps of the ``logmel`` kind.
LOGMEL_STEPS = 64


def frame_shape(config) -> tuple[int, int]:
    """(F, T) of the matrices ``config`` stores (``config.frames`` must be set)."""
    if config.frames == "mfcc":
        return MFCC_SHAPE
    if config.frames == "logmel":
        return (config.n_mels, LOGMEL_STEPS)
    raise ConfigError(f"unknown frames kind {config.frames!r}; choose one of {', '.join(FRAME_KINDS)}")


def check_frames(config) -> None:
    """Raise :class:`ConfigError` unless ``config`` can produce its frames."""
    if config.frames not in FRAME_KINDS:
        raise ConfigError(f"unknown frames kind {config.frames!r}; "
                          f"choose one of {', '.join(FRAME_KINDS)}")
    n_coef, steps = frame_shape(config)
    if config.frames == "mfcc" and config.n_mels < n_coef:
        raise ConfigError(f"frames 'mfcc' need n_mels >= {n_coef}, got {config.n_mels}")
    if config.n_frames < steps:
        raise ConfigError(
            f"frames {config.frames!r} pool the STFT into {steps} time steps, but a clip has only "
            f"{config.n_frames} frames ({config.duration} s at hop {config.hop_length}); "
            f"use a longer clip or a smaller hop"
        )


def pool_time(x: np.ndarray, steps: int) -> np.ndarray:
    """Mean of ``steps`` equal, contiguous segments along axis 1.

    Parameters
    ----------
    x : ndarray, shape (B, T, C)
    steps : int
        ``1 <= steps <= T``.

    Returns
    -------
    ndarray, shape (B, steps, C)
    """
    n = x.shape[1]
    if not 1 <= steps <= n:
        raise ValueError(f"cannot pool {n} frames into {steps} steps")
    edges = np.round(np.linspace(0, n, steps + 1)).astype(np.intp)
    sums = np.add.reduceat(x, edges[:-1], axis=1)
    return sums / np.diff(edges)[None, :, None].astype(x.dtype)


def compute_frames(analysis) -> np.ndarray:
    """The frames of a batch, from its cached log-mel spectrogram.

    Parameters
    ----------
    analysis : featurekit.features.analysis.Analysis
        A batch whose ``config.frames`` is set.

    Returns
    -------
    ndarray, shape (B, F, T), float32
        See the module docstring for each kind; non-finite values become 0.
    """
    config = analysis.config
    n_coef, steps = frame_shape(config)
    pooled = pool_time(analysis.mel_db, steps)  # (B, T, n_mels)
    if config.frames == "mfcc":
        pooled = scipy.fft.dct(pooled, type=2, norm="ortho", axis=-1, workers=1)[..., :n_coef]
    out = np.ascontiguousarray(np.swapaxes(pooled, 1, 2), dtype=np.float32)
    return np.nan_to_num(out, nan=0.0, posinf=0.0, neginf=0.0, copy=False)


# --- storage (DIR/frames, written by extraction) ----------------------------------------------------------------
def frames_shard(note_ids, frames: np.ndarray) -> pa.Table:
    """Arrow table ``note_id, frames`` (fixed-size float32 lists) of one shard.

    Parameters
    ----------
    note_ids : sequence of str, length n
    frames : ndarray, shape (n, F, T)
    """
    frames = np.ascontiguousarray(frames, dtype=np.float32)
    n, f, t = frames.shape
    values = pa.array(frames.reshape(-1), type=pa.float32())
    column = pa.FixedSizeListArray.from_arrays(values, f * t)
    return pa.table({"note_id": pa.array(list(note_ids), type=pa.string()),
                     FRAMES_COLUMN: column})


def write_frames(note_ids, frames: np.ndarray, out, shard_name: str, metadata: dict) -> Path:
    """Write one frames shard ``out/frames/shard_name`` atomically.

    Parameters
    ----------
    note_ids : sequence of str, length n
    frames : ndarray, shape (n, F, T)
    out : path-like
        The extraction output directory.
    shard_name : str
        The name of the feature shard holding the same notes.
    metadata : dict
        The feature shard's metadata; ``frames`` (kind and shape) is added.
    """
    from .table import write_shard

    frames = np.asarray(frames)
    kind = (metadata.get("config") or {}).get("frames")
    meta = {**metadata, "frames": {"kind": kind, "shape": list(frames.shape[1:])}}
    return write_shard(frames_shard(note_ids, frames), Path(out) / FRAMES_DIR / shard_name, meta)


def _frames_meta(shard: Path) -> dict:
    from .table import METADATA_KEY

    meta = pq.read_schema(shard).metadata or {}
    return json.loads(meta.get(METADATA_KEY, b"{}")).get("frames") or {}


def _frames_dir(path) -> Path:
    from .table import table_dir

    out = table_dir(path)
    if not out.exists():
        raise CorpusError(f"feature directory not found: {out}")
    shards = sorted((out / FRAMES_DIR).glob("part-*.parquet"))
    if not shards:
        raise CorpusError(
            f"{out} holds no time-frequency frames (no {FRAMES_DIR}/ shards); extract them into "
            f"a new directory: featurekit extract CORPUS --out NEW_DIR "
            f"--frames [{'|'.join(FRAME_KINDS)}]"
        )
    return out


def frames_kind(path) -> tuple[str, tuple[int, int]]:
    """The kind and (F, T) shape of the frames stored in a feature directory.

    Raises
    ------
    CorpusError
        No frames in ``path``.
    """
    out = _frames_dir(path)
    meta = _frames_meta(sorted((out / FRAMES_DIR).glob("part-*.parquet"))[0])
    return meta["kind"], tuple(meta["shape"])


def iter_frames(path):
    """Stream the frames of a feature directory, one shard at a time.

    Yields
    ------
    note_ids : ndarray of str, shape (k,)
    frames : ndarray, shape (k, F, T), float32
        Shards in file order; rows in shard order.  Unlike
        :func:`load_frames`, leftovers of an interrupted run are not removed.
    """
    out = _frames_dir(path)
    for shard in sorted((out / FRAMES_DIR).glob("part-*.parquet")):
        shape = tuple(_frames_meta(shard)["shape"])
        table = pq.read_table(shard)
        ids = np.asarray(table.column("note_id").to_pylist(), dtype=object)
        col = table.column(FRAMES_COLUMN).combine_chunks()
        values = col.flatten().to_numpy(zero_copy_only=False)
        yield ids, values.reshape((len(ids), *shape)).astype(np.float32, copy=False)


def load_frames(path, note_ids=None) -> tuple[np.ndarray, np.ndarray]:
    """The frames of a feature directory, row-aligned with :func:`featurekit.load_features`.

    Parameters
    ----------
    path : path-like
        An extraction output directory written with ``frames`` (or its
        ``features/`` folder).
    note_ids : sequence of str, optional
        Return these notes, in this order (e.g. ``table["note_id"]``).
        Default: every note of the feature table, sorted by ``note_id`` (the
        order of ``load_features``).

    Returns
    -------
    note_ids : ndarray of str, shape (n,)
    frames : ndarray, shape (n, F, T), float32

    Raises
    ------
    CorpusError
        No frames stored, or a requested note without frames.
    """
    from . import table as table_mod

    out = _frames_dir(path)
    if note_ids is None:
        wanted = np.asarray(sorted(
            table_mod.load_features(out, columns=["note_id"])["note_id"]), dtype=object)
    else:
        wanted = np.asarray(list(note_ids), dtype=object)
    parts_ids, parts = [], []
    for ids, frames in iter_frames(out):
        keep = np.isin(ids, wanted)
        parts_ids.append(ids[keep])
        parts.append(frames[keep])
    ids = np.concatenate(parts_ids)
    frames = np.concatenate(parts)
    # A re-run after a crash may have written some notes twice: keep one.
    _, first = np.unique(ids, return_index=True)
    index = pd.Index(ids[first])
    pos = index.get_indexer(wanted)
    if (pos < 0).any():
        missing = wanted[pos < 0]
        raise CorpusError(f"{len(missing)} notes of {out} have no frames (e.g. {missing[0]!r}); "
                          f"re-extract into a new directory with --frames")
    return wanted, frames[first][pos]


def attach_frames(table: pd.DataFrame, path, kind: str | None = None) -> pd.DataFrame:
    """``table`` with a ``frames`` column (one (F, T) array per row) read from ``path``.

    Parameters
    ----------
    table : DataFrame
        Rows with a ``note_id`` column (any order, e.g. ``load_features(path)``).
    path : path-like
        The feature directory ``table`` was loaded from.
    kind : str, optional
        The frames kind required (a model's); a different stored kind is an error.

    Returns
    -------
    DataFrame
        A copy of ``table`` plus the ``frames`` column.
    """
    from .table import table_dir

    stored, _ = frames_kind(path)
    if kind is not None and stored != kind:
        raise ConfigError(f"{table_dir(path)} holds {stored!r} frames but {kind!r} frames are "
                          f"needed; extract with --frames {kind} into a new directory")
    if "note_id" not in table.columns:
        raise CorpusError("the table has no note_id column to align frames with")
    _, frames = load_frames(path, table["note_id"].to_numpy())
    out = table.copy()
    out[FRAMES_COLUMN] = list(frames)
    return out
