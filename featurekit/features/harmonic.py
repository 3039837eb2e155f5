"""Harmonic features (family ``harmonic``), one value (or vector) per clip.

All read the clip's *mean spectrum* (:attr:`Analysis.mean_spectrum
<featurekit.features.analysis.Analysis.mean_spectrum>`: the power spectrum
averaged over frames within 20 dB of the loudest, shape ``(B, n_fft // 2 + 1)``)
and one pitch estimate per clip, :func:`pitch`, from its autocorrelation.
Partials are the peak power within one bin of ``k * f0``, ``k = 1..10``
(:data:`N_HARMONICS`); those above Nyquist count as 0.  Every function returns
shape ``(B, k)``.
"""

from __future__ import annotations

import numpy as np

from .analysis import EPS, Analysis
from .registry import register

#: Harmonics read by the partial-based features.
N_HARMONICS = 10
#: The period is the first autocorrelation peak within this share of the best one.
PEAK_SHARE = 0.9
#: Harmonicity is clipped to this range before the HNR (dB) is taken ...
HNR_CLIP = (1e-2, 1 - 1e-4)
#: ... which is then clipped to this range (dB).
HNR_RANGE_DB = (-20.0, 40.0)
#: Odd/even ratio range (log10).
ODD_EVEN_RANGE = (-6.0, 6.0)
#: Floor of the partial levels (dB re their sum).
PARTIAL_FLOOR_DB = -80.0
#: Bins one partial peak stands for (the Hann window's main lobe).
BINS_PER_PARTIAL = 3


def autocorrelation(a: Analysis):
    """Window-corrected, normalised autocorrelation of the mean spectrum.

    Returns
    -------
    ndarray, shape (B, n_fft // 2), float64
        Inverse FFT of the mean power spectrum, divided by its lag-0 value and
        by the Hann window's own (normalised) autocorrelation, so a periodic
        signal scores near 1 at its period.
    """
    n_fft = a.config.n_fft
    r = np.fft.irfft(a.mean_spectrum, n=n_fft, axis=-1)[:, : n_fft // 2]
    w = a.plan.window.astype(np.float64)
    wr = np.fft.irfft(np.abs(np.fft.rfft(w)) ** 2, n=n_fft)[: n_fft // 2]
    return r / np.maximum(r[:, :1], EPS) / (wr / wr[0])[None, :]


def _estimate_pitch(a: Analysis):
    r = a.derived(autocorrelation)
    n = r.shape[1]
    lags = np.arange(n)[None, :]
    neg = r < 0
    first_neg = np.argmax(neg, axis=1)[:, None]
    # Local maxima past the main lobe; the first within 90 % of the best wins.
    inner = np.zeros_like(neg)
    inner[:, 1:-1] = (r[:, 1:-1] >= r[:, :-2]) & (r[:, 1:-1] >= r[:, 2:])
    search = np.where(inner & (lags > first_neg) & neg.any(axis=1)[:, None], r, -np.inf)
    best = search.max(axis=1)
    lag = np.argmax(search >= PEAK_SHARE * best[:, None], axis=1)
    ok = np.isfinite(best) & (best > 0)
    # Parabolic interpolation of the peak for sub-sample period resolution.
    rows = np.arange(len(r))
    li = np.clip(lag, 1, n - 2)
    left, mid, right = r[rows, li - 1], r[rows, li], r[rows, li + 1]
    denom = left - 2 * mid + right
    shift = np.where(np.abs(denom) > EPS, 0.5 * (left - right) / np.where(denom == 0, 1, denom), 0.0)
    period = li + np.clip(shift, -0.5, 0.5)
    f0 = np.where(ok, a.sr / np.maximum(period, 1.0), 0.0)
    harmonicity = np.where(ok, np.clip(best, 0.0, 1.0), 0.0)
    return f0, harmonicity


def pitch(a: Analysis):
    """Fundamental and harmonicity of each clip (computed once per batch).

    The search starts after the autocorrelation first goes negative (past
    the main lobe) and takes the first local maximum within
    :data:`PEAK_SHARE` (90 %) of the best one, which avoids picking
    sub-harmonics; the period is refined by parabolic interpolation.

    Returns
    -------
    f0 : ndarray, shape (B,)
        Hz; 0 when no periodicity is found.
    harmonicity : ndarray, shape (B,)
        Height of the autocorrelation peak at the period, in [0, 1].
    """
    return a.derived(_estimate_pitch)


def partials(a: Analysis):
    """Power of the first ten harmonics (computed once per batch).

    Returns
    -------
    ndarray, shape (B, 10)
        Largest mean-spectrum power within one bin of ``k * f0``; 0 above
        Nyquist or when no f0 was found.
    """
    return a.derived(_find_partials)


def _find_partials(a: Analysis):
    f0, _ = pitch(a)
    spec = a.mean_spectrum
    df = a.sr / a.config.n_fft
    k = np.arange(1, N_HARMONICS + 1)[None, :]
    centre = np.rint(f0[:, None] * k / df).astype(int)
    valid = (f0[:, None] > 0) & (centre < spec.shape[1] - 1)
    centre = np.clip(centre, 1, spec.shape[1] - 2)
    rows = np.arange(spec.shape[0])[:, None]
    near = np.stack([spec[rows, centre + o] for o in (-1, 0, 1)], axis=-1)
    return np.where(valid, near.max(axis=-1), 0.0)


@register("harmonic_f0", kind="clip", unit="log2 Hz",
          doc="Estimated fundamental (log2 Hz; 0 when no periodicity is found).")
def harmonic_f0(a: Analysis):
    """Fundamental frequency.

    Parameters
    ----------
    a : Analysis
        A batch of B clips; reads its mean spectrum and :func:`pitch`.

    Returns
    -------
    ndarray, shape (B, 1)
        ``log2(f0)`` with ``f0`` in Hz from :func:`pitch` (8.78 for 440 Hz);
        0 when no periodicity is found.
    """
    f0, _ = pitch(a)
    return np.where(f0 > 0, np.log2(np.maximum(f0, 1.0)), 0.0)[:, None]


@register("harmonic_harmonicity", kind="clip", unit="ratio",
          doc="Height of the normalised autocorrelation peak at the period (0 noise, 1 periodic).")
def harmonic_harmonicity(a: Analysis):
    """Harmonicity.

    Returns
    -------
    ndarray, shape (B, 1)
        Normalised autocorrelation at the period, in [0, 1]: near 1 for a
        periodic tone, low for noise, 0 when no periodicity is found.
    """
    return pitch(a)[1][:, None]


@register("harmonic_hnr", kind="clip", unit="dB",
          doc="Harmonic-to-noise ratio from the harmonicity, in [-20, 40] dB.")
def harmonic_hnr(a: Analysis):
    """Harmonic-to-noise ratio.

    Returns
    -------
    ndarray, shape (B, 1)
        ``10 log10(h / (1 - h))`` of the harmonicity ``h`` clipped to
        :data:`HNR_CLIP`, then clipped to :data:`HNR_RANGE_DB` (-20 to 40 dB);
        0 dB when ``h = 0.5``.
    """
    h = np.clip(pitch(a)[1], *HNR_CLIP)
    return np.clip(10 * np.log10(h / (1 - h)), *HNR_RANGE_DB)[:, None]


@register("harmonic_odd_even", kind="clip", unit="log10 ratio",
          doc="log10 of odd (3, 5, ...) over even harmonic energy; high for clarinet-like tones.")
def harmonic_odd_even(a: Analysis):
    """Odd-to-even harmonic ratio.

    Returns
    -------
    ndarray, shape (B, 1)
        ``log10`` of the power of harmonics 3, 5, 7, 9 over that of 2, 4, 6,
        8, 10 (the fundamental is left out), clipped to :data:`ODD_EVEN_RANGE`
        (+-6); a square wave, with no even harmonics, gives the upper bound.
    """
    h = partials(a)
    odd = h[:, 2::2].sum(axis=1)
    even = h[:, 1::2].sum(axis=1)
    return np.log10((odd + EPS) / (even + EPS)).clip(*ODD_EVEN_RANGE)[:, None]


@register("harmonic_tristimulus", kind="clip", unit="ratio",
          doc="Tristimulus: energy share of harmonic 1, harmonics 2-4 and harmonics 5-10.")
def harmonic_tristimulus(a: Analysis):
    """Tristimulus.

    Returns
    -------
    ndarray, shape (B, 3)
        Share of the ten partials' power in harmonic 1, in harmonics 2-4 and
        in harmonics 5-10 (they sum to 1 for a pitched clip, 0 otherwise).
    """
    h = partials(a)
    total = np.maximum(h.sum(axis=1), EPS)
    return np.stack(
        [h[:, 0] / total, h[:, 1:4].sum(axis=1) / total, h[:, 4:].sum(axis=1) / total], axis=1
    )


@register("harmonic_partials", kind="clip", unit="dB",
          doc="Level of each of the first ten harmonics relative to their sum (pitch-normalised "
              "spectral envelope; -80 dB when absent).")
def harmonic_partials(a: Analysis):
    """Partial levels (pitch-normalised spectral envelope).

    Returns
    -------
    ndarray, shape (B, 10)
        ``10 log10(P_k / sum_j P_j)`` of the partial powers ``P_k``, floored at
        :data:`PARTIAL_FLOOR_DB` (-80 dB); partials with amplitudes ``A_k``
        give ``20 log10(A_k) - 10 log10(sum_j A_j^2)``.
    """
    h = partials(a)
    total = np.maximum(h.sum(axis=1, keepdims=True), EPS)
    return np.maximum(10 * np.log10(np.maximum(h, EPS) / total), PARTIAL_FLOOR_DB)


@register("harmonic_energy_ratio", kind="clip", unit="ratio",
          doc="Share of the mean spectrum's energy within one bin of the first ten harmonics.")
def harmonic_energy_ratio(a: Analysis):
    """Harmonic energy ratio.

    Returns
    -------
    ndarray, shape (B, 1)
        :data:`BINS_PER_PARTIAL` (3, the Hann main lobe) times the partials'
        peak power over the mean spectrum's total power, clipped to [0, 1]:
        near 1 for a harmonic tone, small for noise.
    """
    spec = a.mean_spectrum
    return np.clip(BINS_PER_PARTIAL * partials(a).sum(axis=1)
                   / np.maximum(spec.sum(axis=1), EPS), 0, 1)[:, None]


@register("harmonic_brightness", kind="clip", unit="log2 ratio",
          doc="log2 of the mean spectrum's centroid over f0: brightness in harmonic numbers.")
def harmonic_brightness(a: Analysis):
    """Brightness relative to the fundamental.

    Returns
    -------
    ndarray, shape (B, 1)
        ``log2(centroid / f0)``, the magnitude centroid (Hz) of the mean
        spectrum in octaves above f0: 0 for a pure tone; 0 when no f0 is found.
    """
    spec = a.mean_spectrum
    mag = np.sqrt(spec)
    centroid = (mag @ a.plan.freqs) / np.maximum(mag.sum(axis=1), EPS)
    f0, _ = pitch(a)
    return np.where(f0 > 0, np.log2(np.maximum(centroid, 1.0) / np.maximum(f0, 1.0)), 0.0)[:, None]
