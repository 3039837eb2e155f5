"""Cepstral features (family ``mfcc``) and the log-mel spectrum (family ``mel``).

All derive from the log-mel spectrogram of :class:`~featurekit.features.analysis.Analysis`:
``n_mels`` Slaney mel bands of the power STFT, in dB (``power_to_db``, ref 1,
``amin=1e-10``, floored 80 dB below each clip's maximum), and its orthonormal
DCT-II, the MFCCs, as ``librosa.feature.mfcc``.
"""

from __future__ import annotations

import numpy as np

from .analysis import Analysis
from .registry import register

#: Frames (~32 ms each at the default hop) averaged for the onset timbre.
ONSET_FRAMES = 5
#: A frame is "active" within this power ratio of the clip's loudest frame (-60 dB).
ACTIVE_POWER_RATIO = 1e-6
#: The tail is the last quarter of the active frames.
TAIL_FRACTION = 0.75


@register("mfcc", kind="frames", unit="dB (DCT)", doc="Mel-frequency cepstral coefficients.")
def mfcc(a: Analysis):
    """Mel-frequency cepstral coefficients.

    Parameters
    ----------
    a : Analysis
        A batch of ``B`` clips of ``T`` frames.

    Returns
    -------
    ndarray, shape (B, T, n_mfcc), float32
        Orthonormal DCT-II of the log-mel spectrogram (dB), as
        ``librosa.feature.mfcc``; ``n_mfcc`` is the config's count
        (:attr:`~featurekit.config.ExtractionConfig.mfcc_count`).
    """
    return a.mfcc


@register("mfcc_delta", kind="frames", unit="dB/frame", doc="First-order MFCC deltas (width 9).")
def mfcc_delta(a: Analysis):
    """First-order MFCC deltas.

    Returns
    -------
    ndarray, shape (B, T, n_mfcc), float32
        Savitzky-Golay first derivative over 9 frames (``librosa.feature.delta``,
        ``width=9, mode='interp'``), in dB per frame.
    """
    return a.mfcc_delta


@register("mfcc_delta2", kind="frames", unit="dB/frame^2",
          doc="Second-order MFCC deltas (width 9).")
def mfcc_delta2(a: Analysis):
    """Second-order MFCC deltas.

    Returns
    -------
    ndarray, shape (B, T, n_mfcc), float32
        Savitzky-Golay second derivative over 9 frames (``librosa.feature.delta``,
        ``order=2, width=9, mode='interp'``), in dB per frame squared.
    """
    return a.mfcc_delta2


@register("mel", kind="frames", unit="dB", doc="Log-mel band energies.")
def mel(a: Analysis):
    """Log-mel band energies.

    Returns
    -------
    ndarray, shape (B, T, n_mels), float32
        Slaney-normalised mel power in dB, floored 80 dB below the clip's maximum.
    """
    return a.mel_db


def active_frames(a: Analysis):
    """Frames within 60 dB of the clip's loudest frame.

    Returns
    -------
    ndarray, shape (B, T), bool
        Frame power (sum over bins) at least :data:`ACTIVE_POWER_RATIO` times
        the clip's largest.
    """
    energy = a.power.sum(axis=-1)
    return energy >= ACTIVE_POWER_RATIO * energy.max(axis=1, keepdims=True)


def masked_mean(x, mask):
    """Mean of ``x`` (B, T, k) over the frames where ``mask`` (B, T) holds; 0 where none."""
    w = mask / np.maximum(mask.sum(axis=1, keepdims=True), 1)
    return np.einsum("bt,btk->bk", w, x)


@register("mfcc_onset", kind="clip", unit="dB (DCT)",
          doc="Mean MFCCs of the first five active frames (~160 ms): the attack's timbre.")
def mfcc_onset(a: Analysis):
    """Timbre of the attack.

    Returns
    -------
    ndarray, shape (B, n_mfcc)
        Mean MFCCs of the first :data:`ONSET_FRAMES` active frames (frames
        within 60 dB of the loudest), about 160 ms at 16 kHz and hop 512.
    """
    active = active_frames(a)
    first = np.argmax(active, axis=1)[:, None]
    t = np.arange(active.shape[1])[None, :]
    return masked_mean(a.mfcc, active & (t >= first) & (t < first + ONSET_FRAMES))


@register("mfcc_tail", kind="clip", unit="dB (DCT)",
          doc="Mean MFCCs of the last quarter of the active frames: the decay/release timbre.")
def mfcc_tail(a: Analysis):
    """Timbre of the decay and release.

    Returns
    -------
    ndarray, shape (B, n_mfcc)
        Mean MFCCs of the active frames (within 60 dB of the loudest) after
        the first 75 % of them.
    """
    active = active_frames(a)
    order = np.cumsum(active, axis=1)
    return masked_mean(a.mfcc, active & (order > TAIL_FRACTION * active.sum(axis=1, keepdims=True)))
