"""Amplitude-envelope features (family ``envelope``), one value per clip.

All read the RMS envelope of :attr:`Analysis.envelope
<featurekit.features.analysis.Analysis.envelope>`: the RMS of consecutive,
non-overlapping 4 ms blocks of the clip (64 samples at 16 kHz), shape
``(B, n_blocks)``, ``envelope_rate`` blocks per second.  Times are in seconds
with the resolution of one block; levels are relative to the envelope's peak.
A silent clip gives 0 for every feature but the log attack time (its floor).
Every function returns shape ``(B, 1)``.
"""

from __future__ import annotations

import numpy as np

from .analysis import EPS, Analysis
from .registry import register

#: Attack runs from this share of the peak envelope ...
ATTACK_START = 0.1
#: ... to this one.
ATTACK_END = 0.9
#: Effective duration: time above this share of the peak.
EFFECTIVE_LEVEL = 0.4
#: Decay slope: fit from the peak down to this level (dB re the peak).
DECAY_FLOOR_DB = -60.0
#: Sustain: mean envelope over this window after the peak (s).
SUSTAIN_WINDOW_S = (0.5, 1.5)
#: Release runs from the last block above this share of the peak ...
RELEASE_START = 0.5
#: ... to the last block above this one.
RELEASE_END = 0.05


def _env_stats(a: Analysis):
    env = a.envelope
    peak = env.max(axis=1)
    return env, peak, np.maximum(peak, EPS)


def _first_at_least(env, level):
    """Index of the first block reaching ``level`` (per clip)."""
    return np.argmax(env >= level[:, None], axis=1)


def _last_at_least(env, level):
    """Index of the last block reaching ``level`` (per clip)."""
    rev = env[:, ::-1] >= level[:, None]
    return env.shape[1] - 1 - np.argmax(rev, axis=1)


@register("envelope_attack_time", kind="clip", unit="s",
          doc="Time from 10 % to 90 % of the peak RMS envelope (4 ms blocks).")
def envelope_attack_time(a: Analysis):
    """Attack time.

    Parameters
    ----------
    a : Analysis
        A batch of B clips; reads its 4 ms RMS envelope.

    Returns
    -------
    ndarray, shape (B, 1)
        Seconds from the first block reaching :data:`ATTACK_START` (10 %) of
        the peak envelope to the first reaching :data:`ATTACK_END` (90 %); a
        linear fade-in of ``d`` seconds gives ``0.8 d``.
    """
    env, peak, _ = _env_stats(a)
    t = (_first_at_least(env, ATTACK_END * peak)
         - _first_at_least(env, ATTACK_START * peak)) / a.envelope_rate
    return np.where(peak > 0, t, 0.0)[:, None]


@register("envelope_log_attack_time", kind="clip", unit="log10 s",
          doc="log10 of the attack time, floored at one 4 ms block.")
def envelope_log_attack_time(a: Analysis):
    """Log attack time.

    Returns
    -------
    ndarray, shape (B, 1)
        ``log10(max(attack_time, 1 block))``, in log10 seconds; about -2.4
        (one 4 ms block) for an instant onset or silence.
    """
    t = envelope_attack_time(a)
    return np.log10(np.maximum(t, 1.0 / a.envelope_rate))


@register("envelope_peak_time", kind="clip", unit="s", doc="Time of the envelope's maximum.")
def envelope_peak_time(a: Analysis):
    """Peak time.

    Returns
    -------
    ndarray, shape (B, 1)
        Start (s) of the loudest envelope block (the first one on ties).
    """
    return (np.argmax(a.envelope, axis=1) / a.envelope_rate)[:, None]


@register("envelope_temporal_centroid", kind="clip", unit="s",
          doc="Energy-weighted mean time of the envelope.")
def envelope_temporal_centroid(a: Analysis):
    """Temporal centroid.

    Returns
    -------
    ndarray, shape (B, 1)
        ``sum_n t_n e_n / sum_n e_n`` over envelope blocks ``e_n`` starting at
        ``t_n`` seconds (amplitude-weighted, so a constant tone of ``d`` s
        gives about ``d / 2``).
    """
    env = a.envelope
    t = np.arange(env.shape[1]) / a.envelope_rate
    return ((env @ t) / np.maximum(env.sum(axis=1), EPS))[:, None]


@register("envelope_effective_duration", kind="clip", unit="s",
          doc="Time the envelope stays above 40 % of its peak.")
def envelope_effective_duration(a: Analysis):
    """Effective duration.

    Returns
    -------
    ndarray, shape (B, 1)
        Seconds (number of blocks / ``envelope_rate``) with the envelope above
        :data:`EFFECTIVE_LEVEL` (40 %) of its peak, counted wherever they lie.
    """
    env, peak, _ = _env_stats(a)
    n = np.sum(env > EFFECTIVE_LEVEL * peak[:, None], axis=1)
    return np.where(peak > 0, n / a.envelope_rate, 0.0)[:, None]


@register("envelope_decay_slope", kind="clip", unit="dB/s",
          doc="Least-squares slope of the dB envelope from the peak down to -60 dB.")
def envelope_decay_slope(a: Analysis):
    """Decay slope.

    Returns
    -------
    ndarray, shape (B, 1)
        Least-squares slope (dB/s) of ``20 log10(envelope / peak)`` over the
        blocks from the peak on that lie above :data:`DECAY_FLOOR_DB`
        (-60 dB); an exponential decay ``exp(-t / tau)`` gives
        ``-20 / (tau ln 10)``.  0 for silence or a single block.
    """
    env, peak, safe = _env_stats(a)
    db = 20 * np.log10(np.maximum(env, EPS) / safe[:, None])
    idx = np.arange(env.shape[1])
    mask = (idx[None, :] >= np.argmax(env, axis=1)[:, None]) & (db > DECAY_FLOOR_DB)
    w = mask.astype(np.float64)
    n = np.maximum(w.sum(axis=1, keepdims=True), 1)
    t = idx / a.envelope_rate
    tm = (w * t).sum(axis=1, keepdims=True) / n
    dm = (w * db).sum(axis=1, keepdims=True) / n
    cov = (w * (t - tm) * (db - dm)).sum(axis=1)
    var = (w * (t - tm) ** 2).sum(axis=1)
    slope = np.where(var > 0, cov / np.maximum(var, EPS), 0.0)
    return np.where(peak > 0, slope, 0.0)[:, None]


@register("envelope_sustain_ratio", kind="clip", unit="ratio",
          doc="Mean envelope 0.5-1.5 s after the peak, relative to the peak.")
def envelope_sustain_ratio(a: Analysis):
    """Sustain level.

    Returns
    -------
    ndarray, shape (B, 1)
        Mean envelope over the blocks :data:`SUSTAIN_WINDOW_S` (0.5 to 1.5 s)
        after the peak block, over the peak; 1 for a constant tone, 0 when
        the clip ends less than 0.5 s after its peak.
    """
    env, peak, safe = _env_stats(a)
    rate = a.envelope_rate
    idx = np.arange(env.shape[1])[None, :]
    start = np.argmax(env, axis=1)[:, None]
    lo, hi = SUSTAIN_WINDOW_S
    mask = (idx >= start + lo * rate) & (idx < start + hi * rate)
    mean = (env * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1)
    return (mean / safe)[:, None]


@register("envelope_release_time", kind="clip", unit="s",
          doc="Time from the last block above 50 % of the peak to the last above 5 %.")
def envelope_release_time(a: Analysis):
    """Release time.

    Returns
    -------
    ndarray, shape (B, 1)
        Seconds from the last block reaching :data:`RELEASE_START` (50 %) of
        the peak to the last reaching :data:`RELEASE_END` (5 %); a linear
        fade-out of ``d`` seconds gives ``0.45 d``.
    """
    env, peak, _ = _env_stats(a)
    t = (_last_at_least(env, RELEASE_END * peak)
         - _last_at_least(env, RELEASE_START * peak)) / a.envelope_rate
    return np.where(peak > 0, t, 0.0)[:, None]


@register("envelope_crest", kind="clip", unit="ratio", doc="Peak over mean of the envelope.")
def envelope_crest(a: Analysis):
    """Envelope crest factor.

    Returns
    -------
    ndarray, shape (B, 1)
        Peak block RMS over the mean block RMS of the whole clip (1 for a
        constant tone, ``n_blocks / k`` for a burst of ``k`` equal blocks).
    """
    env, peak, _ = _env_stats(a)
    return (peak / np.maximum(env.mean(axis=1), EPS))[:, None]
