"""Filterbanks and windows, computed with numpy alone.

These reproduce librosa's definitions (``librosa.filters.mel`` with the Slaney
mel scale and norm, ``librosa.filters.chroma``, a periodic Hann window and
``librosa.feature.delta``); the test-suite checks them against librosa.  They
live here so that extraction workers import neither librosa nor numba nor
scipy.signal, which would cost about a second of start-up per process.
"""

from __future__ import annotations

import numpy as np

_F_SP = 200.0 / 3  # Slaney mel scale: linear below 1 kHz ...
_MIN_LOG_HZ = 1000.0
_MIN_LOG_MEL = _MIN_LOG_HZ / _F_SP
_LOGSTEP = np.log(6.4) / 27.0  # ... logarithmic above


def hz_to_mel(f):
    """Slaney mel value of frequencies ``f`` (Hz)."""
    f = np.asanyarray(f, dtype=float)
    mel = f / _F_SP
    log = f >= _MIN_LOG_HZ
    return np.where(log, _MIN_LOG_MEL + np.log(np.maximum(f, 1e-10) / _MIN_LOG_HZ) / _LOGSTEP, mel)


def mel_to_hz(m):
    """Frequencies (Hz) of Slaney mel values ``m``."""
    m = np.asanyarray(m, dtype=float)
    return np.where(m >= _MIN_LOG_MEL, _MIN_LOG_HZ * np.exp(_LOGSTEP * (m - _MIN_LOG_MEL)), _F_SP * m)


def mel_filterbank(sr: int, n_fft: int, n_mels: int, fmin: float = 0.0, fmax: float | None = None):
    """Slaney-normalised triangular mel filters, shape (n_mels, n_fft // 2 + 1)."""
    fmax = sr / 2 if fmax is None else fmax
    fft_freqs = np.fft.rfftfreq(n_fft, 1.0 / sr)
    mel_f = mel_to_hz(np.linspace(hz_to_mel(fmin), hz_to_mel(fmax), n_mels + 2))
    fdiff = np.diff(mel_f)
    ramps = np.subtract.outer(mel_f, fft_freqs)
    lower = -ramps[:-2] / fdiff[:-1, None]
    upper = ramps[2:] / fdiff[1:, None]
    weights = np.maximum(0, np.minimum(lower, upper))
    return weights * (2.0 / (mel_f[2:] - mel_f[:-2]))[:, None]


def chroma_filterbank(sr: int, n_fft: int, n_chroma: int = 12, tuning: float = 0.0,
                      ctroct: float = 5.0, octwidth: float = 2.0):
    """Gaussian pitch-class filters starting at C, shape (n_chroma, n_fft // 2 + 1)."""
    freqs = np.linspace(0, sr, n_fft, endpoint=False)[1:]
    a440 = 440.0 * 2.0 ** (tuning / n_chroma)
    frqbins = n_chroma * np.log2(freqs / (a440 / 16))
    frqbins = np.concatenate(([frqbins[0] - 1.5 * n_chroma], frqbins))
    binwidth = np.concatenate((np.maximum(frqbins[1:] - frqbins[:-1], 1.0), [1]))
    d = np.subtract.outer(frqbins, np.arange(0, n_chroma, dtype="d")).T
    half = np.round(n_chroma / 2)
    d = np.remainder(d + half + 10 * n_chroma, n_chroma) - half
    wts = np.exp(-0.5 * (2 * d / binwidth[None, :]) ** 2)
    wts /= np.maximum(np.linalg.norm(wts, axis=0, keepdims=True), np.finfo(float).tiny)
    wts *= np.exp(-0.5 * ((frqbins / n_chroma - ctroct) / octwidth) ** 2)[None, :]
    wts = np.roll(wts, -3 * (n_chroma // 12), axis=0)
    return np.ascontiguousarray(wts[:, : n_fft // 2 + 1])


def hann(n: int):
    """Periodic Hann window (as ``scipy.signal.get_window('hann', n)``)."""
    return 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n) / n)


def delta(x, order: int = 1, axis: int = 1):
    """librosa.feature.delta (width 9, ``mode='interp'``) along ``axis``.

    Savitzky-Golay derivative of a degree-``order`` local fit over 9 frames;
    within 4 frames of either end the fit of the first/last full window is
    used, which for these degrees is a constant equal to its centre value.
    """
    k = np.arange(-4, 5, dtype=float)
    if order == 1:
        coef = k / np.sum(k**2)
    elif order == 2:
        q = k**2 - np.mean(k**2)
        coef = 2 * q / np.sum(q**2)
    else:
        raise ValueError(f"delta order must be 1 or 2, got {order!r}")
    x = np.moveaxis(np.asarray(x), axis, -1)
    n = x.shape[-1]
    if n < 9:
        return np.moveaxis(np.zeros_like(x), -1, axis)
    windows = np.lib.stride_tricks.sliding_window_view(x, 9, axis=-1)
    centre = windows @ coef.astype(x.dtype)
    out = np.concatenate([np.repeat(centre[..., :1], 4, -1), centre,
                          np.repeat(centre[..., -1:], 4, -1)], axis=-1)
    return np.moveaxis(out.astype(x.dtype), -1, axis)
