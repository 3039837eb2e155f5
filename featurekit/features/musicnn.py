"""MusiCNN embeddings: a CNN trained on real music recordings, as clip features.

MusiCNN (Pons & Serra, "musicnn: pre-trained convolutional neural networks
for music audio tagging", ISMIR LBD 2019) was trained to tag 3-second
excerpts of MagnaTagATune (real recordings; tags include guitar, piano,
violin, flute, harpsichord, sitar, voice...).  Its mid-level activations
carry what it learnt about real instruments, which hand-made descriptors of
SoundFont renders do not: in featurekit's cross-validation grouped by sample
source, adding them to the ``default`` preset under a linear model raised
macro-F1 on held-out sources and on real NSynth instruments (README,
"Recognition on real recordings").

Only the weights come from the ``musicnn`` package (ISC licence; install it
with ``pip install --no-deps musicnn==0.1.0``: it declares TensorFlow and an
old NumPy, neither needed here).  This module reads its TensorFlow checkpoint
(:func:`read_checkpoint`) and runs the network in NumPy, the way
``musicnn.extractor`` runs it for inference: the same log-mel input (16 kHz,
512-point FFT, hop 256, 96 Slaney mel bands, ``log10(10000 mel + 1)``), the
first 187 frames (3 s; shorter clips are zero-padded), batch normalisation
with the stored moving statistics.

Features (``kind="clip"``):

* ``musicnn_mean``: the mid-end feature map (561 front-end + 3 x 64 mid-end
  channels = 753) averaged over the 187 frames, shape (batch, 753);
* ``musicnn_max``: its maximum over frames, shape (batch, 753).

Both come from one forward pass per batch (:meth:`Analysis.derived`).  The
clips must be at 16 kHz (``ExtractionConfig(sample_rate=16000)``, NSynth's).
"""

from __future__ import annotations

import importlib.util
import struct
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..errors import MissingDependencyError
from .filters import hann, mel_filterbank
from .registry import register

__all__ = ["MODEL", "SAMPLE_RATE", "N_FFT", "HOP", "N_MELS", "N_FRAMES", "INSTALL",
           "weights_path", "read_checkpoint", "load_weights", "log_mel", "embed", "musicnn_mean",
           "musicnn_max"]

MODEL = "MTT_musicnn"  #: the MagnaTagATune model (transferred better than MSD_musicnn)
SAMPLE_RATE = 16_000  #: Hz, the rate MusiCNN was trained at
N_FFT, HOP, N_MELS = 512, 256, 96
N_FRAMES = 187  #: 3 s of frames, the input length MusiCNN was trained with
INSTALL = "pip install --no-deps musicnn==0.1.0"
_BN_EPS = 1e-3  # tf.layers.batch_normalization's default
_FLOAT = 1  # TensorFlow's DT_FLOAT


def weights_path(model: str = MODEL) -> str:
    """The checkpoint prefix of ``model`` inside the installed ``musicnn`` package
    (its folder with a trailing ``/``: the files are ``.index`` and ``.data-*`` in it).

    Found without importing ``musicnn`` (its modules import TensorFlow).

    Raises
    ------
    MissingDependencyError
        ``musicnn`` is not installed, or lacks the model.
    """
    spec = importlib.util.find_spec("musicnn")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        if (Path(folder) / model / ".index").is_file():
            return f"{Path(folder) / model}/"
    raise MissingDependencyError(f"the musicnn features need the MusiCNN weights: {INSTALL}")


def _varint(buf: bytes, at: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = buf[at]
        at += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, at
        shift += 7


def _block_entries(buf: bytes):
    """(key, value) pairs of one uncompressed LevelDB table block."""
    restarts, = struct.unpack_from("<I", buf, len(buf) - 4)
    end, at, key = len(buf) - 4 - 4 * restarts, 0, b""
    while at < end:
        shared, at = _varint(buf, at)
        fresh, at = _varint(buf, at)
        size, at = _varint(buf, at)
        key = key[:shared] + buf[at:at + fresh]
        at += fresh
        yield key, buf[at:at + size]
        at += size


def _entry(proto: bytes) -> dict:
    """The fields of a BundleEntryProto that locate a tensor: dtype, shape, offset, size."""
    out, at = {"shape": []}, 0
    while at < len(proto):
        tag, at = _varint(proto, at)
        field, wire = tag >> 3, tag & 7
        if wire == 0:
            value, at = _varint(proto, at)
            out[{1: "dtype", 3: "shard", 4: "offset", 5: "size"}.get(field, field)] = value
        elif wire == 2:
            size, at = _varint(proto, at)
            body = proto[at:at + size]
            at += size
            if field == 2:  # TensorShapeProto: repeated Dim {int64 size = 1}
                k = 0
                while k < len(body):
                    dtag, k = _varint(body, k)
                    dlen, k = _varint(body, k)
                    dim, j = body[k:k + dlen], 0
                    while j < len(dim):
                        t, j = _varint(dim, j)
                        v, j = _varint(dim, j) if t & 7 == 0 else (None, j + 1)
                        if t >> 3 == 1:
                            out["shape"].append(v)
                    k += dlen
        elif wire == 5:
            at += 4
        elif wire == 1:
            at += 8
        else:
            raise ValueError(f"unexpected protobuf wire type {wire}")
    return out


def read_checkpoint(prefix) -> dict[str, np.ndarray]:
    """Every float tensor of a TensorFlow (v1 or v2) checkpoint, read without TensorFlow.

    Parameters
    ----------
    prefix : str or Path
        Checkpoint prefix: ``PREFIX.index`` and ``PREFIX.data-00000-of-00001``.

    Returns
    -------
    dict
        Variable name -> float32 array of its stored shape.
    """
    prefix = str(prefix)
    index = Path(prefix + ".index").read_bytes()
    data = Path(prefix + ".data-00000-of-00001").read_bytes()
    footer = index[-48:]
    _, at = _varint(footer, 0)  # metaindex handle
    _, at = _varint(footer, at)
    offset, at = _varint(footer, at)  # index block handle
    size, _ = _varint(footer, at)
    tensors = {}
    for _, handle in _block_entries(index[offset:offset + size]):
        block_at, k = _varint(handle, 0)
        block_size, _ = _varint(handle, k)
        if index[block_at + block_size] != 0:
            raise ValueError("compressed checkpoint index blocks are not supported")
        for key, value in _block_entries(index[block_at:block_at + block_size]):
            if not key:
                continue  # the bundle header
            e = _entry(value)
            if e.get("dtype") == _FLOAT:
                start = e.get("offset", 0)
                raw = data[start:start + e.get("size", 0)]
                tensors[key.decode()] = np.frombuffer(raw, "<f4").reshape(e["shape"]).copy()
    return tensors


@lru_cache(maxsize=2)
def load_weights(model: str = MODEL) -> dict:
    """:func:`read_checkpoint` of ``model``'s weights, kept after the first call
    (``load_weights.cache_clear()`` forgets them)."""
    return read_checkpoint(weights_path(model))


@lru_cache(maxsize=1)
def _window() -> np.ndarray:
    return hann(N_FFT).astype(np.float32)


@lru_cache(maxsize=1)
def _mel_basis() -> np.ndarray:
    return mel_filterbank(SAMPLE_RATE, N_FFT, N_MELS).astype(np.float32).T.copy()  # (F, mels)


def log_mel(y: np.ndarray) -> np.ndarray:
    """MusiCNN's input: ``log10(10000 * mel + 1)`` of the first 3 s.

    Parameters
    ----------
    y : ndarray, shape (batch, n_samples), float
        Clips at 16 kHz, full scale 1.0.

    Returns
    -------
    ndarray, shape (batch, 187, 96), float32
        Power mel spectrogram (centred zero-padded frames, periodic Hann window,
        Slaney mel filters, as librosa's ``melspectrogram`` defaults), frames
        past the clip's end zero.
    """
    y = np.asarray(y, np.float32)
    need = (N_FRAMES - 1) * HOP + N_FFT // 2  # samples the 187 centred frames reach
    y = np.pad(y[:, :need], ((0, 0), (N_FFT // 2, N_FFT // 2 + max(0, need - y.shape[1]))))
    frames = np.lib.stride_tricks.sliding_window_view(y, N_FFT, axis=-1)[:, ::HOP][:, :N_FRAMES]
    power = np.abs(np.fft.rfft(frames * _window(), axis=-1)).astype(np.float32) ** 2
    return np.log10(10000 * (power @ _mel_basis()) + 1).astype(np.float32)


def _bn(x, w, name):
    scale = w[f"{name}/gamma"] / np.sqrt(w[f"{name}/moving_variance"] + _BN_EPS)
    return (x - w[f"{name}/moving_mean"]) * scale + w[f"{name}/beta"]


def _conv(x, kernel, pad_before, pad_after):
    """'valid' 2-D convolution over (time, freq) of x (B, T, F, C) after zero-padding time.

    kernel (kt, kf, C, K); returns the convolution without bias or activation,
    shape (B, T', F - kf + 1, K).
    """
    kt, kf, c, k = kernel.shape
    x = np.pad(x, ((0, 0), (pad_before, pad_after), (0, 0), (0, 0)))
    win = np.lib.stride_tricks.sliding_window_view(x, (kt, kf), axis=(1, 2))  # B,T',F',C,kt,kf
    b, t, f = win.shape[:3]
    cols = win.transpose(0, 1, 2, 4, 5, 3).reshape(b * t * f, kt * kf * c)
    return (cols @ kernel.reshape(kt * kf * c, k)).reshape(b, t, f, k)


def _freq_max(z, w, conv, norm):
    """``max over frequency of bn(relu(z + bias))``, shape (B, T, K), of z (B, T, F, K).

    Bias, ReLU and batch normalisation are monotone per channel (normalisation
    decreasing where its scale is negative), so the maximum is taken first (the
    minimum where the scale is negative) and they are applied to (B, T, K)
    only: the same values, without three passes over the full map.
    """
    pick = np.where(w[f"{norm}/gamma"] >= 0, z.max(axis=2), z.min(axis=2))  # sign of the scale
    return _relu_bn(pick, w, conv, norm)


def _relu_bn(z, w, conv, norm):
    """``bn(relu(z + bias))`` of layer ``conv`` and normalisation ``norm``, same shape as z."""
    return _bn(np.maximum(z + w[f"{conv}/bias"], 0), w, norm)


def _feature_map(mel: np.ndarray, w: dict) -> np.ndarray:
    """The mid-end feature map, shape (B, 187, 753), of log-mel input (B, 187, 96)."""
    x = _bn(mel[..., None], w, "batch_normalization")  # (B, T, 96, 1)
    branches = []
    for k, conv in enumerate(("conv2d", "conv2d_1", "conv2d_2", "conv2d_3", "conv2d_4")):
        kernel = w[f"{conv}/kernel"]
        kt = kernel.shape[0]
        pad = (3, 3) if k < 2 else ((kt - 1) // 2, kt // 2)  # timbral: 3+3; temporal: 'same'
        branches.append(_freq_max(_conv(x, kernel, *pad), w, conv, f"batch_normalization_{k + 1}"))
    front = np.concatenate(branches, axis=-1)  # (B, T, 561)
    layers, h = [front], front
    for k, conv in enumerate(("conv2d_5", "conv2d_6", "conv2d_7")):
        y = _relu_bn(_conv(h[..., None], w[f"{conv}/kernel"], 3, 3)[:, :, 0, :], w, conv,
                     f"batch_normalization_{k + 6}")  # (B, T, 64)
        h = y if k == 0 else y + h
        layers.append(h)
    return np.concatenate(layers, axis=-1)


def embed(y: np.ndarray, model: str = MODEL, batch: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """MusiCNN's temporal mean and max of the mid-end feature map.

    Parameters
    ----------
    y : ndarray, shape (batch, n_samples)
        Clips at 16 kHz.
    model : str
        A musicnn model folder (``MTT_musicnn`` or ``MSD_musicnn``).
    batch : int
        Clips per forward pass (bounds the memory: ~50 MB per clip; 8 was
        faster than 16 or 32 on a 2-core machine).

    Returns
    -------
    mean, max : ndarray, shape (batch, 753), float32
    """
    w = load_weights(model)
    means, maxes = [], []
    for i in range(0, len(y), batch):
        fmap = _feature_map(log_mel(y[i:i + batch]), w)
        means.append(fmap.mean(axis=1))
        maxes.append(fmap.max(axis=1))
    return (np.concatenate(means).astype(np.float32), np.concatenate(maxes).astype(np.float32))


def _pooled(a):
    return embed(a.y)  # 16 kHz: ExtractionConfig checks Feature.sample_rate


@register("musicnn_mean", kind="clip", unit="activation", sample_rate=SAMPLE_RATE)
def musicnn_mean(a):
    """MusiCNN (MagnaTagATune) mid-end feature map averaged over the first 3 s.

    Channels 0-560: front-end (timbral 7x38 and 7x67 filters, temporal 128-,
    64-, 32-frame filters, each max-pooled over frequency); 561-752: the three
    mid-end layers.  Needs 16 kHz clips and ``musicnn``'s weights.

    Returns
    -------
    ndarray, shape (B, 753), float32
        Activations (ReLU outputs after batch normalisation: unitless).
    """
    return a.derived(_pooled)[0]


@register("musicnn_max", kind="clip", unit="activation", sample_rate=SAMPLE_RATE)
def musicnn_max(a):
    """MusiCNN (MagnaTagATune) mid-end feature map, maximum over the first 3 s.

    Same channels as ``musicnn_mean``.

    Returns
    -------
    ndarray, shape (B, 753), float32
    """
    return a.derived(_pooled)[1]
