"""Spectral-shape features (family ``spectral``) and chroma (family ``chroma``).

Frame-level descriptors of one STFT per clip (periodic Hann window of
``n_fft`` samples, hop ``hop_length``, centred frames), defined as in librosa so
the test-suite can check them against it.  Every function returns shape
``(B, T, k)``: ``B`` clips, ``T = 1 + n_samples // hop_length`` frames.
"""

from __future__ import annotations

import numpy as np

from .analysis import EPS, Analysis, power_to_db
from .registry import register

#: Share of the magnitude below the roll-off frequency (librosa's ``roll_percent``).
ROLL_PERCENT = 0.85
#: Power floor of the flatness' geometric mean (librosa's ``amin``).
FLATNESS_AMIN = 1e-10
#: Floor of the chroma normaliser.
CHROMA_FLOOR = 1e-10


@register("spectral_centroid", kind="frames", unit="Hz", doc="Magnitude-weighted mean frequency.")
def spectral_centroid(a: Analysis):
    """Spectral centroid.

    Parameters
    ----------
    a : Analysis
        A batch of B clips of T frames; reads its magnitude STFT.

    Returns
    -------
    ndarray, shape (B, T, 1), float32
        ``sum_f f |X_f| / sum_f |X_f|`` in Hz (0 for a silent frame), as
        ``librosa.feature.spectral_centroid``.
    """
    return a.centroid


@register("spectral_bandwidth", kind="frames", unit="Hz",
          doc="Magnitude-weighted standard deviation of frequency around the centroid.")
def spectral_bandwidth(a: Analysis):
    """Spectral bandwidth (order 2).

    Returns
    -------
    ndarray, shape (B, T, 1), float32
        ``sqrt(sum_f |X_f| (f - centroid)^2 / sum_f |X_f|)`` in Hz, as
        ``librosa.feature.spectral_bandwidth(p=2)``.
    """
    dev = (a.plan.freqs.astype(np.float32)[None, None, :] - a.centroid) ** 2
    var = np.einsum("btf,btf->bt", a.magnitude, dev)[..., None]
    return np.sqrt(var / np.maximum(a.magnitude_sum, EPS))


@register("spectral_rolloff", kind="frames", unit="Hz",
          doc="Frequency below which 85 % of the magnitude lies.")
def spectral_rolloff(a: Analysis):
    """Spectral roll-off.

    Returns
    -------
    ndarray, shape (B, T, 1), float32
        Centre frequency (Hz) of the first bin where the cumulative magnitude
        reaches :data:`ROLL_PERCENT` (0.85) of the frame's total, as
        ``librosa.feature.spectral_rolloff(roll_percent=0.85)``.
    """
    return a.plan.freqs[rolloff_bins(a.magnitude, ROLL_PERCENT)][..., None].astype(np.float32)


#: Bins per block of :func:`rolloff_bins`' coarse pass.
ROLLOFF_BLOCK = 32


def rolloff_bins(mag, roll_percent: float, block: int = ROLLOFF_BLOCK):
    """First bin where the cumulative magnitude reaches ``roll_percent`` of the total.

    Parameters
    ----------
    mag : ndarray, shape (..., F), non-negative
    roll_percent : float in (0, 1]
    block : int
        Bins per block of the coarse pass.

    Returns
    -------
    ndarray of int, shape (...)
        ``argmax(cumsum(mag) >= roll_percent * sum(mag))``: 0 for an all-zero row.

    Notes
    -----
    A full ``cumsum`` over (B, T, F) costs 15x a sum; this sums blocks of
    ``block`` bins, finds the block where the threshold is crossed and
    accumulates inside that one block only (sums differ from a sequential
    cumsum by float rounding, ~1e-7 of the total).
    """
    lead, n_bins = mag.shape[:-1], mag.shape[-1]
    n_blocks = n_bins // block
    body = mag[..., : n_blocks * block].reshape(*lead, n_blocks, block)
    ones = np.zeros((n_blocks * block, n_blocks), mag.dtype)  # block sums as one matmul (BLAS)
    ones[np.arange(n_blocks * block), np.arange(n_blocks * block) // block] = 1
    cum_blocks = np.cumsum(mag[..., : n_blocks * block] @ ones, axis=-1)  # (..., n_blocks)
    before_tail = cum_blocks[..., -1:] if n_blocks else np.zeros((*lead, 1), mag.dtype)
    tail_cum = before_tail + np.cumsum(mag[..., n_blocks * block:], axis=-1)  # (..., F mod block)
    total = tail_cum[..., -1:] if tail_cum.shape[-1] else before_tail
    threshold = roll_percent * total  # (..., 1)
    k = np.sum(cum_blocks < threshold, axis=-1)  # block holding the crossing; n_blocks: the tail
    inside = np.minimum(k, max(n_blocks - 1, 0))
    if n_blocks:
        base = np.where(inside > 0, np.take_along_axis(
            cum_blocks, np.maximum(inside - 1, 0)[..., None], axis=-1)[..., 0], 0)
        cells = np.take_along_axis(body, inside[..., None, None], axis=-2)[..., 0, :]
        within = base[..., None] + np.cumsum(cells, axis=-1)
        idx = inside * block + np.argmax(within >= threshold, axis=-1)
    else:
        idx = np.zeros(lead, np.intp)
    if tail_cum.shape[-1]:
        in_tail = n_blocks * block + np.argmax(tail_cum >= threshold, axis=-1)
        idx = np.where(k >= n_blocks, in_tail, idx)
    return idx


@register("spectral_flatness", kind="frames", unit="ratio",
          doc="Geometric over arithmetic mean of the power spectrum (0 tonal, 1 noise).")
def spectral_flatness(a: Analysis):
    """Spectral flatness (Wiener entropy).

    Returns
    -------
    ndarray, shape (B, T, 1)
        Geometric over arithmetic mean of the power spectrum, each bin floored
        at :data:`FLATNESS_AMIN` (1e-10); in (0, 1]: near 0 for a pure tone, about
        0.56 for white noise.  As ``librosa.feature.spectral_flatness``.
    """
    p = np.maximum(a.power, FLATNESS_AMIN)
    gmean = np.exp(np.mean(np.log(p), axis=-1))
    return (gmean / np.mean(p, axis=-1))[..., None]


@register("spectral_contrast", kind="frames", unit="dB",
          doc="Peak-minus-valley level in 7 octave bands from 200 Hz (librosa's definition).")
def spectral_contrast(a: Analysis):
    """Spectral contrast.

    Returns
    -------
    ndarray, shape (B, T, 7)
        In each of 7 bands (below 200 Hz, then 6 octaves from 200 Hz, the last
        open to Nyquist), the dB level of the mean of the top 2 % magnitudes
        minus that of the bottom 2 %, as ``librosa.feature.spectral_contrast``
        (``fmin=200, n_bands=6, quantile=0.02``).
    """
    mag = a.magnitude
    peaks, valleys = [], []
    for sel, count in a.plan.contrast_bands:
        sub = mag[..., sel]
        if count == 1:  # most bands: a plain min/max is cheapest
            valleys.append(sub.min(axis=-1))
            peaks.append(sub.max(axis=-1))
            continue
        # numpy's SIMD sort beats a two-sided partition by ~10x here.
        srt = np.sort(sub, axis=-1)
        valleys.append(srt[..., :count].mean(axis=-1))
        peaks.append(srt[..., -count:].mean(axis=-1))
    peak = np.stack(peaks, axis=-1)
    valley = np.stack(valleys, axis=-1)
    return power_to_db(peak, axis_max=(1, 2)) - power_to_db(valley, axis_max=(1, 2))


@register("spectral_flux", kind="frames", unit="dB/frame",
          doc="Mean positive change of the log-mel spectrum between frames.")
def spectral_flux(a: Analysis):
    """Spectral flux (half-wave rectified, on the log-mel spectrum).

    Returns
    -------
    ndarray, shape (B, T, 1)
        ``mean_m max(0, M[t, m] - M[t-1, m])`` over the ``n_mels`` bands of
        the log-mel spectrogram ``M`` (dB); 0 for the first frame.  A level
        step of ``g`` dB at every band gives one frame of value ``g``.
    """
    d = np.diff(a.mel_db, axis=1, prepend=a.mel_db[:, :1])
    return np.maximum(d, 0).mean(axis=-1, keepdims=True)


@register("chroma", kind="frames", unit="ratio",
          doc="12 pitch-class energies per frame, max-normalised (tuning fixed at A440).")
def chroma(a: Analysis):
    """Chromagram.

    Returns
    -------
    ndarray, shape (B, T, 12)
        Power in each pitch class C, C#, ..., B (librosa's Gaussian chroma
        filters, tuning fixed at A440), divided by the frame's largest class
        (floor :data:`CHROMA_FLOOR`), as ``librosa.feature.chroma_stft(tuning=0)``.
    """
    c = a.power @ a.plan.chroma_fb
    return c / np.maximum(c.max(axis=-1, keepdims=True), CHROMA_FLOOR)
