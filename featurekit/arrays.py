"""Features of audio already in memory: NumPy arrays in, pandas out.

:func:`extract_features` is the array counterpart of :func:`featurekit.extract`
(a corpus on disk) and :func:`featurekit.extract_files` (a list of files): the
clip is conformed exactly as :func:`featurekit.audio.read_clip` conforms a
decoded file (non-finite samples zeroed, resampled with soxr HQ, zero-padded
or cut to the clip length) and analysed by the same engine, so the values
equal the ones ``extract`` writes for the same audio.

Why ``extract_features`` and not ``featurekit.features(...)``: the name
``featurekit.features`` is the feature subpackage (catalogue, presets,
engine).  Python binds a subpackage as an attribute of its parent whenever it
is imported, which happens on every extraction, so a function of that name
would be replaced by the module at the first ``extract``.  Making the module
object itself callable (swapping its class) would work but patches a module
that belongs to the feature engine; a distinct name is plain and lasting.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .audio import scale_to_peak
from .config import ExtractionConfig
from .errors import ConfigError
from .features import AnalysisPlan, compute_features, feature_names

#: Clips per worker task when ``n_jobs != 1``.
CHUNK = 256


def conform(y, sr: int, config: ExtractionConfig) -> np.ndarray:
    """One clip made ready for analysis, as ``read_clip`` does for a file.

    Parameters
    ----------
    y : array-like, shape (n_samples,)
        Mono audio, any rate.
    sr : int
        Rate of ``y`` in Hz.
    config : ExtractionConfig

    Returns
    -------
    ndarray, shape (config.n_samples,), float32
        Non-finite samples zeroed, resampled to ``config.sample_rate``
        (soxr, high quality), zero-padded at the end or cut, and scaled to a
        peak of ``config.peak_db`` dBFS (unless None or silent).
    """
    y = np.asarray(y, dtype=np.float32)
    bad = ~np.isfinite(y)
    if bad.any():
        y = np.where(bad, 0.0, y).astype(np.float32)
    if sr != config.sample_rate:
        import soxr

        y = soxr.resample(y, sr, config.sample_rate, quality="HQ").astype(np.float32)
    n = config.n_samples
    y = np.pad(y, (0, n - y.shape[0])) if y.shape[0] < n else y[:n]
    if config.peak_db is not None:
        y = scale_to_peak(y, config.peak_db)
    return np.ascontiguousarray(y, dtype=np.float32)


def _compute(clips: np.ndarray, plan: AnalysisPlan) -> np.ndarray:
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):  # as extract: bit-identical however clips are chunked
        return compute_features(clips, plan)


def feature_matrix(y, sr: int, config: ExtractionConfig, n_jobs: int = 1) -> np.ndarray:
    """Feature matrix of a batch of equal-length clips.

    Parameters
    ----------
    y : array-like, shape (n_clips, n_samples)
        Mono clips at ``sr`` Hz.
    sr : int
    config : ExtractionConfig
    n_jobs : int
        Worker processes (joblib; 1 computes here, -1 uses all cores).

    Returns
    -------
    ndarray, shape (n_clips, n_features), float32
        Columns :func:`featurekit.features.feature_names` of the config.
    """
    y = np.asarray(y)
    if y.ndim != 2:
        raise ConfigError(f"expected clips of shape (n_clips, n_samples), got shape {y.shape}")
    plan = AnalysisPlan(config)
    clips = np.stack([conform(row, sr, config) for row in y]) if len(y) else \
        np.zeros((0, config.n_samples), np.float32)
    if n_jobs == 1 or len(clips) <= CHUNK:
        return _compute(clips, plan)
    from joblib import Parallel, delayed

    parts = Parallel(n_jobs=n_jobs)(
        delayed(_compute)(clips[i : i + CHUNK], plan) for i in range(0, len(clips), CHUNK))
    return np.concatenate(parts)


def _check_rate(sr) -> int:
    if isinstance(sr, bool) or not isinstance(sr, (int, np.integer)) or sr <= 0:
        raise ConfigError(f"sr must be a positive integer sample rate in Hz, got {sr!r}")
    return int(sr)


def extract_features(y, sr: int, preset: str = "default", *, config: ExtractionConfig | None = None,
                     n_jobs: int = 1):
    """Features of one clip or a batch of clips held in memory.

    Parameters
    ----------
    y : array-like, shape (n_samples,) or (n_clips, n_samples)
        Mono audio (float; int arrays are read as sample values).  A 2-D
        array is a batch of equal-length clips, one per row.
    sr : int
        Sample rate of ``y`` in Hz; resampled to ``config.sample_rate``.
    preset : str
        Feature preset (``mfcc40``, ``default``, ``full`` or one you
        registered); ignored when ``config`` is given.
    config : ExtractionConfig, optional
        Full control over what is computed (clip length ``duration``: clips
        are zero-padded or cut to it, as ``extract`` does).
    n_jobs : int
        Worker processes for a large batch.

    Returns
    -------
    pandas.Series (1-D ``y``) or pandas.DataFrame (2-D ``y``, one row per clip)
        float32 values indexed by the feature column names
        (``<feature>__<statistic>__<NN>``), equal to the columns
        :func:`featurekit.extract` writes for the same audio.

    Raises
    ------
    ConfigError
        ``y`` is not 1-D or 2-D, is empty, or ``sr`` is not a positive integer.

    Examples
    --------
    >>> import numpy as np, featurekit as fk
    >>> y = np.sin(2 * np.pi * 440 * np.arange(16000) / 16000)
    >>> fk.extract_features(y, 16000)["harmonic_f0__value__00"].round(2)  # log2(440)
    np.float32(8.78)
    """
    sr = _check_rate(sr)
    config = config or ExtractionConfig(preset=preset)
    y = np.asarray(y)
    if y.ndim not in (1, 2) or y.shape[-1] == 0:
        raise ConfigError(
            f"y must be one clip (n_samples,) or a batch (n_clips, n_samples), got shape {y.shape}")
    names = feature_names(AnalysisPlan(config))
    x = feature_matrix(np.atleast_2d(y), sr, config, n_jobs=n_jobs)
    if y.ndim == 1:
        return pd.Series(x[0], index=names, name="features")
    return pd.DataFrame(x, columns=names)
