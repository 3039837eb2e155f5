"""Frame-level time-domain features (family ``temporal``).

Computed on the centred, zero-padded frames of ``n_fft`` samples every
``hop_length`` samples (no window), as librosa's ``rms`` and
``zero_crossing_rate`` with ``frame_length=n_fft``.
"""

from __future__ import annotations

import numpy as np

from .analysis import Analysis
from .registry import register


@register("temporal_zcr", kind="frames", unit="crossings/sample", doc="Zero-crossing rate per frame.")
def temporal_zcr(a: Analysis):
    """Zero-crossing rate.

    Parameters
    ----------
    a : Analysis
        A batch of B clips of T frames; reads its unwindowed frames.

    Returns
    -------
    ndarray, shape (B, T, 1), float32
        Share of the ``n_fft - 1`` neighbouring sample pairs of each frame
        whose sign bits differ (0 and +0.0 count as positive), in crossings
        per sample: about ``2 f / sample_rate`` for a sine of ``f`` Hz.
    """
    sb = np.signbit(a.frames)
    return np.mean(sb[..., 1:] != sb[..., :-1], axis=-1, keepdims=True, dtype=np.float32)


@register("temporal_rms", kind="frames", unit="amplitude", doc="Root-mean-square level per frame.")
def temporal_rms(a: Analysis):
    """Frame RMS level.

    Returns
    -------
    ndarray, shape (B, T, 1), float32
        ``sqrt(mean(frame**2))`` of each unwindowed frame, in full-scale
        amplitude (a sine of amplitude ``A`` gives ``A / sqrt(2)``).
    """
    return a.rms
