"""numpy filterbanks reproduce librosa's (so workers need not import librosa)."""

import librosa
import numpy as np
import pytest
import scipy.signal

from featurekit.features import filters


@pytest.mark.parametrize("sr, n_fft, n_mels, fmin, fmax", [
    (16000, 1024, 64, 0.0, None), (22050, 2048, 128, 30.0, 8000.0), (16000, 512, 40, 50.0, 7000.0)])
def test_mel_filterbank_matches_librosa(sr, n_fft, n_mels, fmin, fmax):
    expected = librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax)
    got = filters.mel_filterbank(sr, n_fft, n_mels, fmin, fmax)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("sr, n_fft", [(16000, 1024), (44100, 4096)])
def test_chroma_filterbank_matches_librosa(sr, n_fft):
    expected = librosa.filters.chroma(sr=sr, n_fft=n_fft, tuning=0.0)
    np.testing.assert_allclose(filters.chroma_filterbank(sr, n_fft), expected, rtol=1e-5, atol=1e-7)


def test_hann_matches_scipy():
    np.testing.assert_allclose(filters.hann(1024), scipy.signal.get_window("hann", 1024), atol=1e-12)


@pytest.mark.parametrize("order", [1, 2])
def test_delta_matches_librosa(order):
    x = np.random.default_rng(0).standard_normal((2, 20, 50)).astype(np.float32)
    np.testing.assert_allclose(filters.delta(x, order=order, axis=-1),
                               librosa.feature.delta(x, order=order), rtol=1e-4, atol=1e-5)


def test_delta_of_short_input_is_zero():
    assert not filters.delta(np.ones((1, 5, 3)), axis=1).any()
