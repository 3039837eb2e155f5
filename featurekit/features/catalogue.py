"""The feature catalogue: pure, documented functions with a family tag.

Each entry maps an :class:`~featurekit.features.analysis.Analysis` (a batch of
clips whose STFT is computed once) to an array:

* ``kind="frames"``: shape ``(batch, frames, size)``, summarised over frames by
  the statistics a preset asks for (``mean``, ``std``, ``min``, ``max``,
  ``median``);
* ``kind="clip"``: shape ``(batch, size)``, one value per clip (statistic
  ``value``).

Column names are ``<feature>__<statistic>__<index:02d>``, and every feature's
name starts with its family (``mfcc``, ``spectral``, ``chroma``, ``temporal``,
``envelope``, ``harmonic``, ``mel``), so :func:`parse_column` recovers
``(group, feature, statistic, index)`` from a column name alone.

Presets are plain mappings ``{feature: statistics}``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, NamedTuple

import numpy as np

from .analysis import EPS, Analysis, power_to_db

__all__ = [
    "Feature", "FEATURES", "PRESETS", "PRESET_MFCC", "STATISTICS",
    "ColumnName", "parse_column", "is_feature_column",
]


@dataclass(frozen=True)
class Feature:
    """One catalogue entry.

    Attributes
    ----------
    name : str
        Column prefix; its first ``_``-separated token is the family.
    family : str
        Group used by importances (``mfcc``, ``spectral``, ...).
    kind : {"frames", "clip"}
    func : callable
        ``func(analysis) -> ndarray`` (see module docstring for shapes).
    unit : str
        Unit of the values, for documentation and plots.
    doc : str
        One-line description.
    """

    name: str
    family: str
    kind: str
    func: Callable[[Analysis], np.ndarray]
    unit: str
    doc: str


FEATURES: dict[str, Feature] = {}


def _feature(name, kind, unit, doc):
    family = name.split("_")[0]

    def register(func):
        FEATURES[name] = Feature(name, family, kind, func, unit, doc)
        return func

    return register


# --- MFCC family ------------------------------------------------------------
@_feature("mfcc", "frames", "dB (DCT)", "Mel-frequency cepstral coefficients.")
def mfcc(a: Analysis):
    return a.mfcc


@_feature("mfcc_delta", "frames", "dB/frame", "First-order MFCC deltas (width 9).")
def mfcc_delta(a: Analysis):
    return a.mfcc_delta


@_feature("mfcc_delta2", "frames", "dB/frame^2", "Second-order MFCC deltas (width 9).")
def mfcc_delta2(a: Analysis):
    return a.mfcc_delta2


@_feature("mel", "frames", "dB", "Log-mel band energies.")
def mel(a: Analysis):
    return a.mel_db


# --- spectral shape ---------------------------------------------------------
@_feature("spectral_centroid", "frames", "Hz", "Magnitude-weighted mean frequency.")
def spectral_centroid(a: Analysis):
    return a.centroid


@_feature("spectral_bandwidth", "frames", "Hz",
          "Magnitude-weighted standard deviation of frequency around the centroid.")
def spectral_bandwidth(a: Analysis):
    dev = (a.plan.freqs.astype(np.float32)[None, None, :] - a.centroid) ** 2
    var = np.einsum("btf,btf->bt", a.magnitude, dev)[..., None]
    return np.sqrt(var / np.maximum(a.magnitude_sum, EPS))


@_feature("spectral_rolloff", "frames", "Hz",
          "Frequency below which 85 % of the magnitude lies.")
def spectral_rolloff(a: Analysis):
    cum = np.cumsum(a.magnitude, axis=-1)
    idx = np.argmax(cum >= 0.85 * cum[..., -1:], axis=-1)
    return a.plan.freqs[idx][..., None].astype(np.float32)


@_feature("spectral_flatness", "frames", "ratio",
          "Geometric over arithmetic mean of the power spectrum (0 tonal, 1 noise).")
def spectral_flatness(a: Analysis):
    p = np.maximum(a.power, 1e-10)
    gmean = np.exp(np.mean(np.log(p), axis=-1))
    return (gmean / np.mean(p, axis=-1))[..., None]


@_feature("spectral_contrast", "frames", "dB",
          "Peak-minus-valley level in 7 octave bands from 200 Hz (librosa's definition).")
def spectral_contrast(a: Analysis):
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


@_feature("spectral_flux", "frames", "dB/frame",
          "Mean positive change of the log-mel spectrum between frames.")
def spectral_flux(a: Analysis):
    d = np.diff(a.mel_db, axis=1, prepend=a.mel_db[:, :1])
    return np.maximum(d, 0).mean(axis=-1, keepdims=True)


# --- chroma -----------------------------------------------------------------
@_feature("chroma", "frames", "ratio",
          "12 pitch-class energies per frame, max-normalised (tuning fixed at A440).")
def chroma(a: Analysis):
    c = a.power @ a.plan.chroma_fb
    return c / np.maximum(c.max(axis=-1, keepdims=True), 1e-10)


# --- MFCC over the note's phases (clip level) -------------------------------
#: Frames (~32 ms each at the default hop) averaged for the onset timbre.
ONSET_FRAMES = 5


def _active_frames(a: Analysis):
    """Mask of frames within 60 dB of the clip's loudest frame, shape (B, T)."""
    energy = a.power.sum(axis=-1)
    return energy >= 1e-6 * energy.max(axis=1, keepdims=True)


def _masked_mean(x, mask):
    w = mask / np.maximum(mask.sum(axis=1, keepdims=True), 1)
    return np.einsum("bt,btk->bk", w, x)


@_feature("mfcc_onset", "clip", "dB (DCT)",
          "Mean MFCCs of the first five active frames (~160 ms): the attack's timbre.")
def mfcc_onset(a: Analysis):
    active = _active_frames(a)
    first = np.argmax(active, axis=1)[:, None]
    t = np.arange(active.shape[1])[None, :]
    return _masked_mean(a.mfcc, active & (t >= first) & (t < first + ONSET_FRAMES))


@_feature("mfcc_tail", "clip", "dB (DCT)",
          "Mean MFCCs of the last quarter of the active frames: the decay/release timbre.")
def mfcc_tail(a: Analysis):
    active = _active_frames(a)
    order = np.cumsum(active, axis=1)
    return _masked_mean(a.mfcc, active & (order > 0.75 * active.sum(axis=1, keepdims=True)))


# --- temporal (frame level) -------------------------------------------------
@_feature("temporal_zcr", "frames", "crossings/sample", "Zero-crossing rate per frame.")
def temporal_zcr(a: Analysis):
    sb = np.signbit(a.frames)
    return np.mean(sb[..., 1:] != sb[..., :-1], axis=-1, keepdims=True, dtype=np.float32)


@_feature("temporal_rms", "frames", "amplitude", "Root-mean-square level per frame.")
def temporal_rms(a: Analysis):
    return a.rms


# --- envelope (clip level) --------------------------------------------------
def _env_stats(a: Analysis):
    env = a.envelope
    peak = env.max(axis=1)
    return env, peak, np.maximum(peak, EPS)


def _first_at_least(env, level):
    """Index of the first block reaching ``level`` (per clip)."""
    return np.argmax(env >= level[:, None], axis=1)


def _last_at_least(env, level):
    rev = env[:, ::-1] >= level[:, None]
    return env.shape[1] - 1 - np.argmax(rev, axis=1)


@_feature("envelope_attack_time", "clip", "s",
          "Time from 10 % to 90 % of the peak RMS envelope (4 ms blocks).")
def envelope_attack_time(a: Analysis):
    env, peak, _ = _env_stats(a)
    t = (_first_at_least(env, 0.9 * peak) - _first_at_least(env, 0.1 * peak)) / a.envelope_rate
    return np.where(peak > 0, t, 0.0)[:, None]


@_feature("envelope_log_attack_time", "clip", "log10 s",
          "log10 of the attack time, floored at one 4 ms block.")
def envelope_log_attack_time(a: Analysis):
    t = envelope_attack_time(a)
    return np.log10(np.maximum(t, 1.0 / a.envelope_rate))


@_feature("envelope_peak_time", "clip", "s", "Time of the envelope's maximum.")
def envelope_peak_time(a: Analysis):
    return (np.argmax(a.envelope, axis=1) / a.envelope_rate)[:, None]


@_feature("envelope_temporal_centroid", "clip", "s", "Energy-weighted mean time of the envelope.")
def envelope_temporal_centroid(a: Analysis):
    env = a.envelope
    t = np.arange(env.shape[1]) / a.envelope_rate
    return ((env @ t) / np.maximum(env.sum(axis=1), EPS))[:, None]


@_feature("envelope_effective_duration", "clip", "s",
          "Time the envelope stays above 40 % of its peak.")
def envelope_effective_duration(a: Analysis):
    env, peak, _ = _env_stats(a)
    n = np.sum(env > 0.4 * peak[:, None], axis=1)
    return np.where(peak > 0, n / a.envelope_rate, 0.0)[:, None]


@_feature("envelope_decay_slope", "clip", "dB/s",
          "Least-squares slope of the dB envelope from the peak down to -60 dB.")
def envelope_decay_slope(a: Analysis):
    env, peak, safe = _env_stats(a)
    db = 20 * np.log10(np.maximum(env, EPS) / safe[:, None])
    idx = np.arange(env.shape[1])
    mask = (idx[None, :] >= np.argmax(env, axis=1)[:, None]) & (db > -60)
    w = mask.astype(np.float64)
    n = np.maximum(w.sum(axis=1, keepdims=True), 1)
    t = idx / a.envelope_rate
    tm = (w * t).sum(axis=1, keepdims=True) / n
    dm = (w * db).sum(axis=1, keepdims=True) / n
    cov = (w * (t - tm) * (db - dm)).sum(axis=1)
    var = (w * (t - tm) ** 2).sum(axis=1)
    slope = np.where(var > 0, cov / np.maximum(var, EPS), 0.0)
    return np.where(peak > 0, slope, 0.0)[:, None]


@_feature("envelope_sustain_ratio", "clip", "ratio",
          "Mean envelope 0.5-1.5 s after the peak, relative to the peak.")
def envelope_sustain_ratio(a: Analysis):
    env, peak, safe = _env_stats(a)
    rate = a.envelope_rate
    idx = np.arange(env.shape[1])[None, :]
    start = np.argmax(env, axis=1)[:, None]
    mask = (idx >= start + 0.5 * rate) & (idx < start + 1.5 * rate)
    mean = (env * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1)
    return (mean / safe)[:, None]


@_feature("envelope_release_time", "clip", "s",
          "Time from the last block above 50 % of the peak to the last above 5 %.")
def envelope_release_time(a: Analysis):
    env, peak, _ = _env_stats(a)
    t = (_last_at_least(env, 0.05 * peak) - _last_at_least(env, 0.5 * peak)) / a.envelope_rate
    return np.where(peak > 0, t, 0.0)[:, None]


@_feature("envelope_crest", "clip", "ratio", "Peak over mean of the envelope.")
def envelope_crest(a: Analysis):
    env, peak, _ = _env_stats(a)
    return (peak / np.maximum(env.mean(axis=1), EPS))[:, None]


# --- harmonic (clip level, from the active-frame mean spectrum) -------------
N_HARMONICS = 10


def _autocorrelation(a: Analysis):
    """Window-corrected, normalised autocorrelation of the mean spectrum, (B, n_fft//2)."""
    cached = a.__dict__.get("_acf")
    if cached is not None:
        return cached
    n_fft = a.config.n_fft
    r = np.fft.irfft(a.mean_spectrum, n=n_fft, axis=-1)[:, : n_fft // 2]
    w = a.plan.window.astype(np.float64)
    wr = np.fft.irfft(np.abs(np.fft.rfft(w)) ** 2, n=n_fft)[: n_fft // 2]
    r = r / np.maximum(r[:, :1], EPS) / (wr / wr[0])[None, :]
    a.__dict__["_acf"] = r
    return r


def _pitch(a: Analysis):
    """(f0 in Hz, harmonicity in [0, 1]) per clip from the autocorrelation.

    The search starts after the autocorrelation first goes negative (past
    the main lobe) and takes the first lag within 90 % of the best peak,
    which avoids picking sub-harmonics.
    """
    cached = a.__dict__.get("_pitch")
    if cached is not None:
        return cached
    r = _autocorrelation(a)
    n = r.shape[1]
    lags = np.arange(n)[None, :]
    neg = r < 0
    first_neg = np.argmax(neg, axis=1)[:, None]
    # Local maxima past the main lobe; the first within 90 % of the best wins.
    inner = np.zeros_like(neg)
    inner[:, 1:-1] = (r[:, 1:-1] >= r[:, :-2]) & (r[:, 1:-1] >= r[:, 2:])
    search = np.where(inner & (lags > first_neg) & neg.any(axis=1)[:, None], r, -np.inf)
    best = search.max(axis=1)
    lag = np.argmax(search >= 0.9 * best[:, None], axis=1)
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
    a.__dict__["_pitch"] = (f0, harmonicity)
    return f0, harmonicity


def _partials(a: Analysis):
    """Peak power near the first ten harmonics of f0, shape (B, 10); 0 above Nyquist."""
    f0, _ = _pitch(a)
    spec = a.mean_spectrum
    df = a.sr / a.config.n_fft
    k = np.arange(1, N_HARMONICS + 1)[None, :]
    centre = np.rint(f0[:, None] * k / df).astype(int)
    valid = (f0[:, None] > 0) & (centre < spec.shape[1] - 1)
    centre = np.clip(centre, 1, spec.shape[1] - 2)
    rows = np.arange(spec.shape[0])[:, None]
    near = np.stack([spec[rows, centre + o] for o in (-1, 0, 1)], axis=-1)
    return np.where(valid, near.max(axis=-1), 0.0)


@_feature("harmonic_f0", "clip", "log2 Hz",
          "Estimated fundamental (log2 Hz; 0 when no periodicity is found).")
def harmonic_f0(a: Analysis):
    f0, _ = _pitch(a)
    return np.where(f0 > 0, np.log2(np.maximum(f0, 1.0)), 0.0)[:, None]


@_feature("harmonic_harmonicity", "clip", "ratio",
          "Height of the normalised autocorrelation peak at the period (0 noise, 1 periodic).")
def harmonic_harmonicity(a: Analysis):
    return _pitch(a)[1][:, None]


@_feature("harmonic_hnr", "clip", "dB", "Harmonic-to-noise ratio from the harmonicity, in [-20, 40] dB.")
def harmonic_hnr(a: Analysis):
    h = np.clip(_pitch(a)[1], 1e-2, 1 - 1e-4)
    return np.clip(10 * np.log10(h / (1 - h)), -20, 40)[:, None]


@_feature("harmonic_odd_even", "clip", "log10 ratio",
          "log10 of odd (3, 5, ...) over even harmonic energy; high for clarinet-like tones.")
def harmonic_odd_even(a: Analysis):
    h = _partials(a)
    odd = h[:, 2::2].sum(axis=1)
    even = h[:, 1::2].sum(axis=1)
    return np.log10((odd + EPS) / (even + EPS)).clip(-6, 6)[:, None]


@_feature("harmonic_tristimulus", "clip", "ratio",
          "Tristimulus: energy share of harmonic 1, harmonics 2-4 and harmonics 5-10.")
def harmonic_tristimulus(a: Analysis):
    h = _partials(a)
    total = np.maximum(h.sum(axis=1), EPS)
    return np.stack(
        [h[:, 0] / total, h[:, 1:4].sum(axis=1) / total, h[:, 4:].sum(axis=1) / total], axis=1
    )


@_feature("harmonic_partials", "clip", "dB",
          "Level of each of the first ten harmonics relative to their sum (pitch-normalised "
          "spectral envelope; -80 dB when absent).")
def harmonic_partials(a: Analysis):
    h = _partials(a)
    total = np.maximum(h.sum(axis=1, keepdims=True), EPS)
    return np.maximum(10 * np.log10(np.maximum(h, EPS) / total), -80.0)


@_feature("harmonic_energy_ratio", "clip", "ratio",
          "Share of the mean spectrum's energy within one bin of the first ten harmonics.")
def harmonic_energy_ratio(a: Analysis):
    spec = a.mean_spectrum
    # Partial peaks stand for about three bins each (main lobe of the Hann window).
    return np.clip(3 * _partials(a).sum(axis=1) / np.maximum(spec.sum(axis=1), EPS), 0, 1)[:, None]


@_feature("harmonic_brightness", "clip", "log2 ratio",
          "log2 of the mean spectrum's centroid over f0: brightness in harmonic numbers.")
def harmonic_brightness(a: Analysis):
    spec = a.mean_spectrum
    mag = np.sqrt(spec)
    centroid = (mag @ a.plan.freqs) / np.maximum(mag.sum(axis=1), EPS)
    f0, _ = _pitch(a)
    return np.where(f0 > 0, np.log2(np.maximum(centroid, 1.0) / np.maximum(f0, 1.0)), 0.0)[:, None]


# --- presets ----------------------------------------------------------------
MS = ("mean", "std")
_ENVELOPE = [n for n in FEATURES if n.startswith("envelope_")]
_HARMONIC = [n for n in FEATURES if n.startswith("harmonic_")]

PRESETS: dict[str, dict[str, tuple]] = {
    # The classic seed recipe: 40 MFCC means.
    "mfcc40": {"mfcc": ("mean",)},
    "default": {
        "mfcc": MS,
        "mfcc_delta": MS,
        "spectral_centroid": MS,
        "spectral_bandwidth": MS,
        "spectral_rolloff": MS,
        "spectral_flatness": MS,
        "spectral_contrast": MS,
        "chroma": MS,
        "temporal_zcr": MS,
        "temporal_rms": MS,
        "mfcc_onset": ("value",),
        "mfcc_tail": ("value",),
        **{n: ("value",) for n in _ENVELOPE + _HARMONIC},
    },
    "full": {
        "mfcc": ("mean", "std", "min", "max", "median"),
        "mfcc_delta": MS,
        "mfcc_delta2": MS,
        "mel": MS,
        "spectral_centroid": ("mean", "std", "min", "max", "median"),
        "spectral_bandwidth": ("mean", "std", "min", "max", "median"),
        "spectral_rolloff": ("mean", "std", "min", "max", "median"),
        "spectral_flatness": ("mean", "std", "min", "max", "median"),
        "spectral_contrast": ("mean", "std", "min", "max", "median"),
        "spectral_flux": MS,
        "chroma": MS,
        "temporal_zcr": ("mean", "std", "min", "max", "median"),
        "temporal_rms": ("mean", "std", "min", "max", "median"),
        "mfcc_onset": ("value",),
        "mfcc_tail": ("value",),
        **{n: ("value",) for n in _ENVELOPE + _HARMONIC},
    },
}

#: MFCC count each preset uses unless the config sets ``n_mfcc``.
PRESET_MFCC = {"mfcc40": 40, "default": 20, "full": 40}

STATISTICS: dict[str, Callable] = {
    "mean": lambda x: x.mean(axis=1),
    "std": lambda x: x.std(axis=1),
    "min": lambda x: x.min(axis=1),
    "max": lambda x: x.max(axis=1),
    "median": lambda x: np.median(x, axis=1),
}


# --- column names -----------------------------------------------------------
class ColumnName(NamedTuple):
    """A feature column name, parsed."""

    group: str
    feature: str
    statistic: str
    index: int

    def __str__(self):
        return f"{self.feature}__{self.statistic}__{self.index:02d}"


def parse_column(name: str) -> ColumnName:
    """Split ``'mfcc_delta__std__03'`` into ``('mfcc', 'mfcc_delta', 'std', 3)``.

    Raises
    ------
    ValueError
        When ``name`` is not a feature column.
    """
    parts = name.split("__")
    if len(parts) != 3 or not parts[2].isdigit() or not parts[0]:
        raise ValueError(f"not a featurekit feature column: {name!r}")
    feature, stat, idx = parts
    return ColumnName(feature.split("_")[0], feature, stat, int(idx))


def is_feature_column(name: str) -> bool:
    """True for columns named ``<feature>__<statistic>__<NN>``."""
    try:
        parse_column(name)
    except ValueError:
        return False
    return True
