"""Registering your own feature and preset (featurekit.register_feature / register_preset)."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

import featurekit as fk
from featurekit.errors import ConfigError
from featurekit.features import catalogue

SR = 16000


@pytest.fixture
def registry():
    """Restore the catalogue after the test (registrations are process-wide)."""
    saved = [(d, dict(d)) for d in (catalogue.FEATURES, catalogue.PRESETS)]
    yield
    for d, copy in saved:
        d.clear()
        d.update(copy)


def peak_to_mean(a):
    """Peak over mean frame RMS of the clip (a crest factor of the loudness curve)."""
    rms = a.rms[..., 0]
    return (rms.max(axis=1) / np.maximum(rms.mean(axis=1), 1e-12))[:, None]


def test_registered_feature_reaches_extract(registry, tmp_path):
    fk.register_feature("loudness_crest", kind="clip", unit="ratio")(peak_to_mean)
    spec = fk.register_preset("crest", ["loudness_crest", "temporal_rms"])
    assert spec == {"loudness_crest": ("value",), "temporal_rms": ("mean", "std")}
    t = np.arange(2 * SR) / SR
    y = np.stack([np.sin(2 * np.pi * 300 * t) * np.exp(-k * t) for k in (0.0, 3.0)]).astype(np.float32)
    (tmp_path / "c" / "x").mkdir(parents=True)
    for i, row in enumerate(y):
        sf.write(tmp_path / "c" / "x" / f"{i}.wav", row, SR, subtype="FLOAT")
    fk.extract(tmp_path / "c", tmp_path / "out", preset="crest", n_jobs=1, progress=False)
    table = fk.load_features(tmp_path / "out").sort_values("note_id")
    ours = fk.extract_features(y, SR, preset="crest")
    assert list(ours.columns) == ["loudness_crest__value__00", "temporal_rms__mean__00",
                                  "temporal_rms__std__00"]
    np.testing.assert_allclose(table[ours.columns].to_numpy(), ours.to_numpy(), rtol=1e-6)
    # A decaying tone has a higher crest than a steady one (both padded to 4 s alike).
    assert ours["loudness_crest__value__00"][1] > ours["loudness_crest__value__00"][0]


def test_preset_on_a_base_keeps_its_mfcc_count(registry):
    fk.register_feature("loudness_crest", kind="clip", unit="ratio")(peak_to_mean)
    fk.register_preset("mfcc40_crest", {"loudness_crest": "value"}, base="mfcc40")
    assert catalogue.PRESET_MFCC["mfcc40_crest"] == 40
    assert fk.ExtractionConfig(preset="mfcc40_crest").mfcc_count == 40


@pytest.mark.parametrize("name, kind, match", [
    ("Bad Name", "clip", "bad feature name"),
    ("two__parts", "clip", "bad feature name"),
    ("mfcc", "frames", "already registered"),
    ("loud_x", "scalar", "kind must be one of"),
])
def test_bad_feature_registrations(registry, name, kind, match):
    with pytest.raises(ConfigError, match=match):
        fk.register_feature(name, kind=kind, unit="ratio")(peak_to_mean)


def test_feature_needs_a_description(registry):
    with pytest.raises(ConfigError, match="give a one-line doc"):
        fk.register_feature("loud_nodoc", kind="clip", unit="ratio")(lambda a: a.rms[..., 0])


@pytest.mark.parametrize("name, features, base, match", [
    ("default", ["mfcc"], None, "already taken"),
    ("p", ["nope"], None, "unknown feature 'nope'"),
    ("p", {"mfcc_onset": ("mean",)}, None, r"bad statistics for mfcc_onset: 'mean' \(choose each once from value\)"),
    ("p", {"mfcc": ("mode",)}, None, r"bad statistics for mfcc: 'mode'"),
    ("p", ["mfcc"], "nope", "unknown base preset"),
])
def test_bad_presets(registry, name, features, base, match):
    with pytest.raises(ConfigError, match=match):
        fk.register_preset(name, features, base=base)
