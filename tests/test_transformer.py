"""featurekit.FeatureExtractor: the scikit-learn transformer."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import soundfile as sf
from sklearn.utils.estimator_checks import parametrize_with_checks

import featurekit as fk
from featurekit.errors import AudioError, ConfigError

SR = 16000

#: Checks that cannot hold for an audio feature extractor, with the reason.
EXPECTED_FAILED = {}


@parametrize_with_checks([fk.FeatureExtractor(clip_seconds=0.1)],
                         expected_failed_checks=lambda est: EXPECTED_FAILED)
def test_sklearn_checks(estimator, check):
    """scikit-learn's estimator checks, run on arrays of clips (the checks
    cannot make audio files; path input is covered by the tests below).

    Tags: ``input_tags.string`` (file paths are accepted), ``requires_fit``
    (``transform`` before ``fit`` raises NotFittedError although ``fit``
    learns nothing), ``preserves_dtype=["float32"]`` (the output is float32
    whatever the input).  With scikit-learn 1.9.1 every check of a
    transformer runs and passes; the one skip is scikit-learn's own
    ``check_array_api_input`` (needs ``SCIPY_ARRAY_API=1``; the transformer
    converts to NumPy anyway).  Checks that cannot apply are not generated
    for a transformer: predictor, classifier, regressor, clusterer and
    sample-weight checks (``fit`` ignores ``y`` and takes no weights).
    """
    check(estimator)


def harmonic_tone(f0, amps, decay, seconds=1.0, sr=SR):
    """Sum of harmonics ``amps[k] * sin(2 pi (k+1) f0 t)`` under an exponential decay."""
    t = np.arange(int(seconds * sr)) / sr
    y = sum(a * np.sin(2 * np.pi * (k + 1) * f0 * t) for k, a in enumerate(amps) if (k + 1) * f0 < sr / 2)
    return (0.3 * y * np.exp(-decay * t) / max(1.0, np.abs(y).max())).astype(np.float32)


#: three "instrument kinds": flute-like (fundamental), clarinet-like (odd), brass-like (all).
KINDS = {
    "flute": [1.0, 0.1, 0.02],
    "clarinet": [1.0, 0.0, 0.6, 0.0, 0.4, 0.0, 0.25, 0.0, 0.15],
    "brass": [1.0 / (k + 1) ** 0.5 for k in range(12)],
}


@pytest.fixture(scope="module")
def tone_files(tmp_path_factory):
    """3 kinds x 3 instruments (decays) x 8 pitches of 1-s WAVs; groups = instrument."""
    root = tmp_path_factory.mktemp("tones")
    paths, labels, groups = [], [], []
    for kind, amps in KINDS.items():
        for inst, decay in enumerate((0.5, 2.0, 4.0)):
            for pitch in range(48, 72, 3):
                f0 = 440 * 2 ** ((pitch - 69) / 12)
                p = root / f"{kind}_{inst}_{pitch}.wav"
                sf.write(p, harmonic_tone(f0, amps, decay), SR)
                paths.append(str(p))
                labels.append(kind)
                groups.append(f"{kind}_{inst}")
    return paths, np.array(labels), np.array(groups)


@pytest.mark.slow
def test_grouped_cross_validation_in_a_pipeline(tone_files):
    """The README's five lines: files -> grouped CV score, SMOTE inside the folds."""
    from imblearn.over_sampling import SMOTE
    from imblearn.pipeline import make_pipeline
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.model_selection import GroupKFold, cross_val_score

    from featurekit import FeatureExtractor

    paths, y, groups = tone_files
    scores = cross_val_score(make_pipeline(FeatureExtractor(), SMOTE(), RandomForestClassifier()),
                             paths, y, groups=groups, cv=GroupKFold(n_splits=3))
    assert scores.shape == (3,)
    # Odd-only, all-harmonic and near-sine spectra are told apart on unseen instruments.
    assert scores.mean() > 0.9, scores


def test_paths_and_arrays_give_the_same_matrix(tone_files):
    paths = tone_files[0][:4]
    clips = np.stack([sf.read(p, dtype="float32")[0] for p in paths])
    ext = fk.FeatureExtractor(clip_seconds=1.0)
    np.testing.assert_allclose(ext.fit_transform(paths), ext.fit_transform(clips), rtol=1e-5, atol=1e-5)


def test_feature_names_parse(tone_files):
    ext = fk.FeatureExtractor(preset="mfcc40").fit(tone_files[0][:1])
    names = ext.get_feature_names_out()
    assert len(names) == 40
    assert [fk.parse_column(n).feature for n in names] == ["mfcc"] * 40


def test_set_output_pandas(tone_files):
    ext = fk.FeatureExtractor(clip_seconds=1.0).set_output(transform="pandas")
    df = ext.fit_transform(tone_files[0][:3])
    assert isinstance(df, pd.DataFrame) and df.shape[0] == 3
    assert list(df.columns) == list(ext.get_feature_names_out())


def test_unreadable_file_names_it(tmp_path, tone_files):
    bad = tmp_path / "bad.wav"
    bad.write_text("not audio")
    ext = fk.FeatureExtractor().fit([str(bad)])
    with pytest.raises(AudioError, match="bad.wav"):
        ext.transform([tone_files[0][0], str(bad)])


def test_bad_preset_is_refused_in_fit():
    ext = fk.FeatureExtractor(preset="nope")  # __init__ only stores
    with pytest.raises(ConfigError, match="unknown preset 'nope'"):
        ext.fit(np.zeros((2, SR), np.float32))


def test_transform_needs_fit():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        fk.FeatureExtractor().transform(np.zeros((1, SR), np.float32))
