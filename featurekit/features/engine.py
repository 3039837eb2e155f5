"""Turn a batch of clips into a feature matrix for a preset."""

from __future__ import annotations

import numpy as np

from ..schema import feature_column
from .analysis import Analysis, AnalysisPlan
from .presets import PRESETS
from .registry import FEATURES, STATISTICS

#: Clips analysed together; bounds the size of the (batch, frames, bins)
#: intermediates (~16 MB each at the default config) while amortising
#: Python overhead.
BATCH_SIZE = 32


def _blocks(a: Analysis, preset: str):
    """Yield (column names, values (B, k)) per feature and statistic, in preset order."""
    for name, stats in PRESETS[preset].items():
        feat = FEATURES[name]
        x = np.asarray(feat.func(a))
        for stat in stats:
            if feat.kind == "clip":
                values = x
            else:
                values = STATISTICS[stat](x)
            cols = [feature_column(name, stat, i) for i in range(values.shape[1])]
            yield cols, values


def compute_features(y: np.ndarray, plan: AnalysisPlan, *, return_frames: bool = False):
    """Features of equal-length clips.

    Parameters
    ----------
    y : ndarray, shape (n_clips, config.n_samples), float
        Mono clips at the configured sample rate.
    plan : AnalysisPlan
    return_frames : bool, default=False
        Also return the time-frequency matrices of ``config.frames``
        (:func:`featurekit.frames.compute_frames`, from the same analysis).

    Returns
    -------
    features : ndarray, shape (n_clips, n_features), float32
        Columns in the order of :func:`feature_names`.  Non-finite values
        (which only degenerate inputs could produce) are replaced by 0.
    frames : ndarray, shape (n_clips, F, T), float32, or None
        Only with ``return_frames``; ``None`` when ``config.frames`` is None.
    """
    y = np.atleast_2d(np.asarray(y, dtype=np.float32))
    want_frames = return_frames and plan.config.frames is not None
    if want_frames:
        from ..frames import compute_frames, frame_shape
    out, mats = [], []
    for start in range(0, len(y), BATCH_SIZE):
        a = Analysis(y[start : start + BATCH_SIZE], plan)
        out.append(np.concatenate([v for _, v in _blocks(a, plan.config.preset)], axis=1))
        if want_frames:
            mats.append(compute_frames(a))
    if not out:
        x = np.zeros((0, len(feature_names(plan))), dtype=np.float32)
        frames = np.zeros((0, *frame_shape(plan.config)), np.float32) if want_frames else None
    else:
        x = np.concatenate(out, axis=0).astype(np.float32)
        x = np.nan_to_num(x, nan=0.0, posinf=0.0, neginf=0.0, copy=False)
        frames = np.concatenate(mats) if want_frames else None
    return (x, frames) if return_frames else x


def feature_names(plan: AnalysisPlan) -> list[str]:
    """Column names of :func:`compute_features` for ``plan``'s config.

    Computed once per plan (from one silent clip) and kept in
    ``plan.feature_names``.
    """
    if plan.feature_names is None:
        a = Analysis(np.zeros((1, plan.config.n_samples), np.float32), plan)
        plan.feature_names = [c for cols, _ in _blocks(a, plan.config.preset) for c in cols]
    return list(plan.feature_names)
