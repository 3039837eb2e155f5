"""One STFT per clip, every feature derived from it, vectorised over a batch.

:class:`AnalysisPlan` holds what is fixed for a configuration (window,
filterbanks, frequencies); it is built once per run and shipped to workers.
:class:`Analysis` wraps a batch of equal-length clips and computes each
intermediate representation (frames, power spectrum, mel, MFCC, envelope, ...)
at most once, on first use, so the catalogue's feature functions stay pure and
independent while sharing the expensive work.

Conventions follow librosa so numbers can be checked against it: centred
frames with zero padding, periodic Hann window, Slaney mel filters, ``power_to_db``
with ``amin=1e-10`` and ``top_db=80``, orthonormal DCT-II for MFCCs, Savitzky-Golay
deltas of width 9.  Arrays are laid out ``(batch, frames, channels)``.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np
import scipy.fft

from .filters import chroma_filterbank, delta, hann, mel_filterbank

AMIN = 1e-10
TOP_DB = 80.0
EPS = 1e-12
#: Envelope block length in seconds (4 ms at any rate): fine enough for attacks.
ENVELOPE_BLOCK_S = 0.004
#: Spectral-contrast bands, as librosa's defaults.
CONTRAST_FMIN = 200.0
CONTRAST_BANDS = 6
CONTRAST_QUANTILE = 0.02


class AnalysisPlan:
    """Fixed, configuration-dependent tables (built once, reused per batch).

    Parameters
    ----------
    config : featurekit.config.ExtractionConfig

    Attributes
    ----------
    config : ExtractionConfig
    window : ndarray, shape (n_fft,), float32
        Periodic Hann window.
    freqs : ndarray, shape (n_fft // 2 + 1,)
        Centre frequency (Hz) of each STFT bin.
    mel_fb : ndarray, shape (n_fft // 2 + 1, n_mels), float32
    chroma_fb : ndarray, shape (n_fft // 2 + 1, 12), float32
    contrast_bands : list of (slice, int)
        Bins and quantile count of each spectral-contrast band.
    feature_names : list of str or None
        Column names of the config's preset; ``None`` until
        :func:`featurekit.features.feature_names` first computes them.
    """

    def __init__(self, config):
        self.config = config
        sr, n_fft = config.sample_rate, config.n_fft
        self.window = hann(n_fft).astype(np.float32)
        self.freqs = np.fft.rfftfreq(n_fft, 1.0 / sr)
        self.mel_fb = mel_filterbank(
            sr, n_fft, config.n_mels, fmin=config.fmin, fmax=config.fmax
        ).astype(np.float32).T.copy()  # (F, n_mels)
        # Tuning fixed at A440: estimating it per note would cost a pitch track.
        self.chroma_fb = chroma_filterbank(sr, n_fft, tuning=0.0).astype(np.float32).T.copy()
        self.contrast_bands = _contrast_bands(self.freqs, sr)
        self.feature_names: list[str] | None = None


def _contrast_bands(freqs, sr):
    """Bin masks and quantile counts of librosa's spectral-contrast bands."""
    octa = np.zeros(CONTRAST_BANDS + 2)
    octa[1:] = CONTRAST_FMIN * (2.0 ** np.arange(0, CONTRAST_BANDS + 1))
    bands = []
    for k, (f_low, f_high) in enumerate(zip(octa[:-1], octa[1:])):
        band = np.logical_and(freqs >= f_low, freqs <= f_high)
        idx = np.flatnonzero(band)
        if k > 0:
            band[idx[0] - 1] = True
        if k == CONTRAST_BANDS:
            band[idx[-1] + 1:] = True
        count = int(max(np.rint(CONTRAST_QUANTILE * band.sum()), 1))
        sel = np.flatnonzero(band)
        if k < CONTRAST_BANDS:
            sel = sel[:-1]
        # Bands are runs of consecutive bins: a slice is a view where an
        # index array copies (sorting a sliced band is ~3x faster).
        assert (np.diff(sel) == 1).all()
        bands.append((slice(int(sel[0]), int(sel[-1]) + 1), count))
    return bands


def power_to_db(x, axis_max):
    """librosa's ``power_to_db`` (ref=1) with ``top_db`` relative to each clip's max.

    ``axis_max`` names the axes reduced to find each clip's maximum.
    """
    db = 10.0 * np.log10(np.maximum(x, AMIN))
    return np.maximum(db, db.max(axis=axis_max, keepdims=True) - TOP_DB)


class Analysis:
    """Lazily computed representations of a batch of clips.

    Parameters
    ----------
    y : ndarray, shape (batch, n_samples), float32
        Clips at ``plan.config.sample_rate``, all ``config.n_samples`` long.
    plan : AnalysisPlan

    Attributes
    ----------
    cache : dict
        Results of :meth:`derived`, keyed by function (the representations
        below are ``cached_property`` attributes instead).
    """

    def __init__(self, y: np.ndarray, plan: AnalysisPlan):
        self.y = np.asarray(y, dtype=np.float32)
        self.plan = plan
        self.config = plan.config
        self.sr = self.config.sample_rate
        self.cache: dict = {}

    def derived(self, func):
        """``func(self)``, computed at most once per batch (kept in :attr:`cache`).

        For intermediates a feature family shares (the harmonic family's pitch
        estimate) that do not belong on every analysis.
        """
        if func not in self.cache:
            self.cache[func] = func(self)
        return self.cache[func]

    # --- time domain -----------------------------------------------------
    @cached_property
    def frames(self):
        """Centred, zero-padded frames, shape (B, T, n_fft) (a strided view)."""
        n_fft, hop = self.config.n_fft, self.config.hop_length
        pad = n_fft // 2
        yp = np.pad(self.y, ((0, 0), (pad, pad)))
        view = np.lib.stride_tricks.sliding_window_view(yp, n_fft, axis=-1)
        return view[:, ::hop][:, : self.config.n_frames]

    @cached_property
    def envelope(self):
        """RMS amplitude in 4 ms blocks, shape (B, n_blocks)."""
        block = max(1, int(round(ENVELOPE_BLOCK_S * self.sr)))
        n = self.y.shape[1] // block
        blocks = self.y[:, : n * block].reshape(len(self.y), n, block)
        return np.sqrt(np.mean(blocks * blocks, axis=-1))

    @property
    def envelope_rate(self):
        """Blocks per second of :attr:`envelope`."""
        return self.sr / max(1, int(round(ENVELOPE_BLOCK_S * self.sr)))

    # --- the one STFT ----------------------------------------------------
    @cached_property
    def stft(self):
        """Complex STFT, shape (B, T, F), F = n_fft // 2 + 1."""
        return scipy.fft.rfft(self.frames * self.plan.window, axis=-1, workers=1)

    @cached_property
    def power(self):
        """Power spectrogram ``|X|**2``, shape (B, T, F), float32."""
        return np.square(self.magnitude)

    @cached_property
    def magnitude(self):
        """Magnitude spectrogram ``|X|``, shape (B, T, F), float32.

        ``np.abs`` of the complex STFT, then squared for :attr:`power`: half
        the time of ``re**2 + im**2`` over the strided halves of a complex array.
        """
        return np.abs(self.stft).astype(np.float32, copy=False)

    @cached_property
    def magnitude_sum(self):
        """Per-frame magnitude sum, shape (B, T, 1) (normaliser for shape stats)."""
        return self.magnitude.sum(axis=-1, keepdims=True)

    @cached_property
    def mel_db(self):
        """Log-mel spectrogram in dB, shape (B, T, n_mels)."""
        return power_to_db(self.power @ self.plan.mel_fb, axis_max=(1, 2))

    @cached_property
    def mfcc(self):
        """MFCCs (orthonormal DCT-II of :attr:`mel_db`), shape (B, T, n_mfcc)."""
        c = scipy.fft.dct(self.mel_db, type=2, norm="ortho", axis=-1, workers=1)
        return c[..., : self.config.mfcc_count]

    @cached_property
    def mfcc_delta(self):
        """First-order MFCC deltas (Savitzky-Golay, width 9), shape (B, T, n_mfcc)."""
        return _delta(self.mfcc, order=1)

    @cached_property
    def mfcc_delta2(self):
        """Second-order MFCC deltas, shape (B, T, n_mfcc)."""
        return _delta(self.mfcc, order=2)

    @cached_property
    def centroid(self):
        """Spectral centroid in Hz, shape (B, T, 1)."""
        f = self.plan.freqs.astype(np.float32)
        return (self.magnitude @ f)[..., None] / np.maximum(self.magnitude_sum, EPS)

    @cached_property
    def rms(self):
        """Frame RMS of the (unwindowed) frames, shape (B, T, 1)."""
        fr = self.frames
        return np.sqrt(np.einsum("btn,btn->bt", fr, fr) / fr.shape[-1])[..., None]

    @cached_property
    def mean_spectrum(self):
        """Power spectrum averaged over active frames, shape (B, F).

        Frames quieter than 1 % of the clip's loudest frame are left out, so
        the release tail and leading silence do not dilute the harmonic
        structure.  A silent clip averages all frames (all zeros).
        """
        energy = self.power.sum(axis=-1)  # (B, T)
        active = energy >= 0.01 * energy.max(axis=1, keepdims=True)
        w = active / np.maximum(active.sum(axis=1, keepdims=True), 1)
        return np.einsum("bt,btf->bf", w, self.power)


def _delta(x, order):
    """librosa.feature.delta along the frame axis (width 9, mode='interp')."""
    return delta(x, order=order, axis=1)
