"""Recording-chain augmentation of rendered notes: room, microphone, noise, level, tuning, length.

SoundFont renders are dry, noiseless, perfectly tuned and all end the same
way; real recordings pass through a room, a microphone and a preamp.  These
pure functions add that variation to a mono note (float, full scale 1.0).
:func:`augment_note` draws one random chain from a seeded generator and
applies it; :func:`note_seed` derives a stable per-note seed, so a corpus is
byte-identical whatever the number of worker processes.

Every function takes and returns a 1-D float array of shape ``(n_samples,)``
at ``sr`` Hz and keeps its length (what is pushed past the end is cut, what
is missing is zero-padded): a note stays NSynth's 4 s.

Examples
--------
>>> import numpy as np
>>> from featurekit.synth.augment import augment_note, note_seed
>>> x = np.sin(2 * np.pi * 440 * np.arange(64000) / 16000).astype(np.float32)
>>> y = augment_note(x, 16000, seed=note_seed(0, "flute_synthetic_000", 69, 100))
>>> y.shape
(64000,)
"""

from __future__ import annotations

import zlib
from dataclasses import asdict, dataclass

import numpy as np

__all__ = [
    "AugmentParams", "room_impulse_response", "reverberate", "shelf_eq", "bandpass",
    "add_noise", "apply_gain", "detune", "shorten_hold", "draw_params", "apply_params",
    "augment_note", "note_seed", "SHORT_SECONDS", "SHORT_FADE_SECONDS", "cut_short",
]

#: Range (s, uniform) of the length of a note's short copy (:func:`cut_short`).
SHORT_SECONDS = (0.3, 1.5)
#: Linear fade-out (s) at the end of a short copy.
SHORT_FADE_SECONDS = 0.02


def room_impulse_response(sr: int, rt60: float, *, rng: np.random.Generator,
                          n_early: int = 6, early_ms: float = 30.0,
                          predelay_ms: float = 0.0) -> np.ndarray:
    """A synthetic room impulse response: direct path, early reflections, diffuse tail.

    Parameters
    ----------
    sr : int
        Sample rate (Hz).
    rt60 : float
        Reverberation time (s): the tail decays 60 dB in ``rt60`` seconds
        (typical rooms 0.1-1.5 s, halls up to 3 s).  Must be > 0.
    rng : numpy.random.Generator
        Source of the reflection times, gains and tail noise.
    n_early : int
        Early reflections (sparse taps, gains 0.2-0.7 with random sign).
    early_ms : float
        Early reflections fall in ``(1, early_ms]`` ms after the direct path.
    predelay_ms : float
        Gap (ms) between the direct path and the diffuse tail.

    Returns
    -------
    ndarray, shape (n,), float64
        ``n = ceil(rt60 * sr) + 1`` samples; sample 0 (the direct path) is 1.0;
        the tail is Gaussian noise times ``10 ** (-3 t / rt60)``, scaled so its
        energy equals that of the direct path (direct-to-reverberant ratio 0 dB;
        :func:`reverberate` sets the wet level).
    """
    if rt60 <= 0:
        raise ValueError(f"rt60 must be > 0 seconds, got {rt60!r}")
    n = int(np.ceil(rt60 * sr)) + 1
    t = np.arange(n) / sr
    tail = rng.standard_normal(n) * 10.0 ** (-3.0 * t / rt60)
    tail[: int(predelay_ms * sr / 1000) + 1] = 0.0
    tail /= max(np.sqrt(np.sum(tail ** 2)), 1e-12)
    h = tail
    taps = rng.integers(max(int(sr / 1000), 1), max(int(early_ms * sr / 1000), 2) + 1, n_early)
    gains = rng.uniform(0.2, 0.7, n_early) * rng.choice([-1.0, 1.0], n_early)
    for tap, g in zip(taps, gains):
        if tap < n:
            h[tap] += g * 10.0 ** (-3.0 * tap / sr / rt60)
    h[0] = 1.0
    return h


def reverberate(x: np.ndarray, rir: np.ndarray, wet_db: float = 0.0) -> np.ndarray:
    """Convolve ``x`` with a room impulse response, keeping length and loudness.

    Parameters
    ----------
    x : ndarray, shape (n,)
    rir : ndarray, shape (m,)
        From :func:`room_impulse_response` (``rir[0]`` is the direct path).
    wet_db : float
        Level of the reverberant part relative to the direct path (dB;
        -20 dry studio .. +6 distant microphone).

    Returns
    -------
    ndarray, shape (n,)
        Rescaled to the RMS of ``x``.
    """
    from scipy.signal import fftconvolve

    h = np.array(rir, dtype=np.float64)
    h[1:] *= 10.0 ** (wet_db / 20)
    y = fftconvolve(np.asarray(x, np.float64), h)[: len(x)]
    return _match_rms(y, x)


def _biquad_shelf(sr, freq, gain_db, high):
    """RBJ audio-EQ-cookbook shelf (slope 1): (b, a)."""
    a_ = 10.0 ** (gain_db / 40)
    w = 2 * np.pi * freq / sr
    cos, alpha = np.cos(w), np.sin(w) / 2 * np.sqrt(2)
    s = 2 * np.sqrt(a_) * alpha
    sign = -1.0 if high else 1.0
    b = a_ * np.array([(a_ + 1) - sign * (a_ - 1) * cos + s,
                       2 * sign * ((a_ - 1) - sign * (a_ + 1) * cos),
                       (a_ + 1) - sign * (a_ - 1) * cos - s])
    a = np.array([(a_ + 1) + sign * (a_ - 1) * cos + s,
                  -2 * sign * ((a_ - 1) + sign * (a_ + 1) * cos),
                  (a_ + 1) + sign * (a_ - 1) * cos - s])
    return b / a[0], a / a[0]


def shelf_eq(x: np.ndarray, sr: int, low_db: float = 0.0, high_db: float = 0.0,
             low_hz: float = 200.0, high_hz: float = 3000.0) -> np.ndarray:
    """Low and high shelving filters (a tone control, or a microphone's tilt).

    Parameters
    ----------
    x : ndarray, shape (n,)
    sr : int
        Hz.
    low_db, high_db : float
        Gain (dB) below ``low_hz`` and above ``high_hz`` (useful range -12..+12).
    low_hz, high_hz : float
        Shelf corner frequencies (Hz), ``0 < f < sr / 2``.

    Returns
    -------
    ndarray, shape (n,)
    """
    from scipy.signal import lfilter

    y = np.asarray(x, np.float64)
    for freq, gain, high in ((low_hz, low_db, False), (high_hz, high_db, True)):
        if gain and 0 < freq < sr / 2:
            y = lfilter(*_biquad_shelf(sr, freq, gain, high), y)
    return y


def bandpass(x: np.ndarray, sr: int, low_hz: float | None = 60.0,
             high_hz: float | None = 7000.0, order: int = 2) -> np.ndarray:
    """A Butterworth band-pass: the limited band of a microphone or small speaker.

    Parameters
    ----------
    x : ndarray, shape (n,)
    sr : int
        Hz.
    low_hz, high_hz : float or None
        -3 dB corners (Hz); ``None`` leaves that side open.  A corner at or
        beyond ``sr / 2`` is ignored.
    order : int
        Filter order per side (2: 12 dB/octave).

    Returns
    -------
    ndarray, shape (n,)
    """
    from scipy.signal import butter, sosfilt

    y = np.asarray(x, np.float64)
    if low_hz is not None and 0 < low_hz < sr / 2:
        y = sosfilt(butter(order, low_hz, "highpass", fs=sr, output="sos"), y)
    if high_hz is not None and 0 < high_hz < sr / 2:
        y = sosfilt(butter(order, high_hz, "lowpass", fs=sr, output="sos"), y)
    return y


def add_noise(x: np.ndarray, snr_db: float, *, rng: np.random.Generator,
              color: float = 1.0) -> np.ndarray:
    """Add a stationary noise floor at ``snr_db`` below the note's RMS.

    Parameters
    ----------
    x : ndarray, shape (n,)
    snr_db : float
        Note RMS over noise RMS (dB; 20 noisy .. 70 quiet studio).  The note's
        RMS is taken over its sounding part (samples within 40 dB of its peak
        envelope), so a short note in a long file is not counted as quiet.
    rng : numpy.random.Generator
    color : float
        Spectral slope: the noise power falls as ``1 / f ** color``
        (0 white, 1 pink, 2 brown).

    Returns
    -------
    ndarray, shape (n,)
    """
    n = len(x)
    x = np.asarray(x, np.float64)
    spectrum = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n)
    f[0] = f[1] if n > 1 else 1.0
    noise = np.fft.irfft(spectrum / f ** (color / 2), n)
    level = _sounding_rms(x)
    noise *= level * 10.0 ** (-snr_db / 20) / max(np.sqrt(np.mean(noise ** 2)), 1e-12)
    return x + noise


def apply_gain(x: np.ndarray, gain_db: float) -> np.ndarray:
    """Scale by ``gain_db`` dB (shape kept)."""
    return np.asarray(x, np.float64) * 10.0 ** (gain_db / 20)


def detune(x: np.ndarray, cents: float) -> np.ndarray:
    """Shift pitch (and tempo) by ``cents`` by resampling, as a slightly off-speed tape.

    Parameters
    ----------
    x : ndarray, shape (n,)
    cents : float
        Hundredths of a semitone (real instruments: within about +-30).

    Returns
    -------
    ndarray, shape (n,)
        Linear interpolation at ``2 ** (cents / 1200)`` times the original
        speed; cut or zero-padded to ``n``.
    """
    x = np.asarray(x, np.float64)
    ratio = 2.0 ** (cents / 1200)
    positions = np.arange(len(x)) * ratio
    return np.interp(positions, np.arange(len(x)), x, right=0.0)


def shorten_hold(x: np.ndarray, sr: int, hold_s: float, release_s: float) -> np.ndarray:
    """Release the note early: after ``hold_s`` it decays 60 dB in ``release_s`` seconds.

    The renders hold every key 3 s; real notes end sooner or later.  This
    multiplies by an envelope that is 1 up to ``hold_s``, then falls
    exponentially, and is never above 1 (a longer hold than the file leaves
    ``x`` unchanged).

    Parameters
    ----------
    x : ndarray, shape (n,)
    sr : int
        Hz.
    hold_s : float
        Seconds before the release starts (>= 0).
    release_s : float
        Seconds to fall 60 dB (> 0).

    Returns
    -------
    ndarray, shape (n,)
    """
    t = np.arange(len(x)) / sr - hold_s
    env = np.where(t <= 0, 1.0, 10.0 ** (-3.0 * np.maximum(t, 0) / max(release_s, 1e-3)))
    return np.asarray(x, np.float64) * env


@dataclass(frozen=True)
class AugmentParams:
    """One recording chain, in the order :func:`apply_params` applies it.

    Attributes
    ----------
    hold_s, release_s : float or None
        :func:`shorten_hold` (None: the render's own 3 s hold, 1 s release).
    cents : float
        :func:`detune`.
    rt60, wet_db : float or None
        :func:`reverberate` with a :func:`room_impulse_response` (None: dry).
    low_db, high_db, low_hz, high_hz : float
        :func:`shelf_eq`.
    band_low_hz, band_high_hz : float or None
        :func:`bandpass` (None: open).
    snr_db : float or None
        :func:`add_noise` (None: no noise).
    noise_color : float
    gain_db : float
        :func:`apply_gain`, last.
    """

    hold_s: float | None = None
    release_s: float | None = None
    cents: float = 0.0
    rt60: float | None = None
    wet_db: float = 0.0
    low_db: float = 0.0
    high_db: float = 0.0
    low_hz: float = 200.0
    high_hz: float = 3000.0
    band_low_hz: float | None = None
    band_high_hz: float | None = None
    snr_db: float | None = None
    noise_color: float = 1.0
    gain_db: float = 0.0

    def to_dict(self) -> dict:
        """Plain dict (JSON-ready)."""
        return asdict(self)


def draw_params(rng: np.random.Generator) -> AugmentParams:
    """Draw one recording chain.

    Ranges (uniform unless said): hold 0.3-3 s with probability 0.5, release
    0.1-1 s; detune +-15 cents; a room with probability 0.8, RT60 log-uniform
    0.1-1.5 s, wet -18..0 dB; shelves +-6 dB at 100-400 Hz and 2-6 kHz; a
    microphone band with probability 0.5, 40-200 Hz to 5-8 kHz; a noise floor
    with probability 0.8 at 25-60 dB SNR, slope 0-2; gain -12..+3 dB.

    Parameters
    ----------
    rng : numpy.random.Generator

    Returns
    -------
    AugmentParams
    """
    short = rng.random() < 0.5
    room = rng.random() < 0.8
    band = rng.random() < 0.5
    noisy = rng.random() < 0.8
    return AugmentParams(
        hold_s=float(rng.uniform(0.3, 3.0)) if short else None,
        release_s=float(rng.uniform(0.1, 1.0)) if short else None,
        cents=float(rng.uniform(-15, 15)),
        rt60=float(np.exp(rng.uniform(np.log(0.1), np.log(1.5)))) if room else None,
        wet_db=float(rng.uniform(-18, 0)),
        low_db=float(rng.uniform(-6, 6)), high_db=float(rng.uniform(-6, 6)),
        low_hz=float(rng.uniform(100, 400)), high_hz=float(rng.uniform(2000, 6000)),
        band_low_hz=float(rng.uniform(40, 200)) if band else None,
        band_high_hz=float(rng.uniform(5000, 8000)) if band else None,
        snr_db=float(rng.uniform(25, 60)) if noisy else None,
        noise_color=float(rng.uniform(0, 2)),
        gain_db=float(rng.uniform(-12, 3)),
    )


def apply_params(x: np.ndarray, sr: int, params: AugmentParams, *,
                 rng: np.random.Generator) -> np.ndarray:
    """Apply one recording chain to a note.

    Parameters
    ----------
    x : ndarray, shape (n,)
        Mono note, full scale 1.0.
    sr : int
        Hz.
    params : AugmentParams
    rng : numpy.random.Generator
        For the room's noise tail and the noise floor.

    Returns
    -------
    ndarray, shape (n,), float32
        Clipped to [-1, 1].
    """
    p = params
    y = np.asarray(x, np.float64)
    if p.hold_s is not None:
        y = shorten_hold(y, sr, p.hold_s, p.release_s or 1.0)
    if p.cents:
        y = detune(y, p.cents)
    if p.rt60 is not None:
        y = reverberate(y, room_impulse_response(sr, p.rt60, rng=rng), p.wet_db)
    y = shelf_eq(y, sr, p.low_db, p.high_db, p.low_hz, p.high_hz)
    if p.band_low_hz is not None or p.band_high_hz is not None:
        y = bandpass(y, sr, p.band_low_hz, p.band_high_hz)
    if p.snr_db is not None:
        y = add_noise(y, p.snr_db, rng=rng, color=p.noise_color)
    y = apply_gain(y, p.gain_db)
    return np.clip(y, -1.0, 1.0).astype(np.float32)


def augment_note(x: np.ndarray, sr: int, seed) -> np.ndarray:
    """Draw a chain with :func:`draw_params` from ``seed`` and apply it.

    Parameters
    ----------
    x : ndarray, shape (n,)
    sr : int
        Hz.
    seed : int or sequence of int
        Seed of ``numpy.random.default_rng`` (see :func:`note_seed`).

    Returns
    -------
    ndarray, shape (n,), float32
    """
    rng = np.random.default_rng(seed)
    return apply_params(x, sr, draw_params(rng), rng=rng)


def cut_short(x: np.ndarray, sr: int, seed) -> np.ndarray:
    """A short copy of a note: its first 0.3-1.5 s, faded out over the last 20 ms.

    Real notes are often short (staccato, plucked, a sample library's one-shot
    files) and their files end with them; NSynth's and the renders' notes last
    4 s.  Unlike the other functions here the result is *shorter* than ``x``:
    the extractor pads it as it pads any short recording.

    Parameters
    ----------
    x : ndarray, shape (n_samples,), float
        A note at ``sr`` Hz.
    sr : int
        Sample rate (Hz).
    seed : int or sequence of int
        Seed of the length (:func:`note_seed` with ``variant=1``), drawn
        uniformly from :data:`SHORT_SECONDS`.

    Returns
    -------
    ndarray, shape (n,), same dtype as ``x``
        ``n = round(length * sr)`` samples (at most ``len(x)``).
    """
    length = np.random.default_rng(seed).uniform(*SHORT_SECONDS)
    y = np.array(x[: min(len(x), int(round(length * sr)))], copy=True)
    fade = min(len(y), int(round(SHORT_FADE_SECONDS * sr)))
    if fade:
        y[len(y) - fade:] *= np.linspace(1.0, 0.0, fade, dtype=y.dtype)
    return y


def note_seed(seed: int, instrument_str: str, pitch: int, velocity: int,
              variant: int = 0) -> list[int]:
    """A stable seed for one note: the same on every machine and process.

    Returns
    -------
    list of int
        ``[seed, crc32(instrument_str), pitch, velocity, variant]``.
    """
    return [int(seed), zlib.crc32(instrument_str.encode()), int(pitch), int(velocity),
            int(variant)]


def _sounding_rms(x: np.ndarray, floor_db: float = -40.0) -> float:
    """RMS over 10 ms frames within ``floor_db`` of the loudest frame."""
    n = max(len(x) // 160, 1)
    frames = x[: n * 160].reshape(n, -1) if len(x) >= 160 else x[None, :]
    rms = np.sqrt(np.mean(frames ** 2, axis=1))
    keep = rms >= rms.max() * 10.0 ** (floor_db / 20)
    return float(np.sqrt(np.mean(rms[keep] ** 2))) if rms.max() > 0 else 0.0


def _match_rms(y: np.ndarray, x: np.ndarray) -> np.ndarray:
    ry, rx = np.sqrt(np.mean(y ** 2)), np.sqrt(np.mean(np.asarray(x, np.float64) ** 2))
    return y * (rx / ry) if ry > 0 else y
