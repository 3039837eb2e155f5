"""The optional Keras CNN: estimator, ``train cnn`` end to end, and life without the extra."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import featurekit
from featurekit.cli.main import cli
from featurekit.cnn.estimator import KerasFramesClassifier, _full_batches, _holdout
from featurekit.errors import ConfigError, CorpusError, FeaturekitError
from featurekit.testing import make_tone_corpus

# Keras (3.x on JAX) warns about numpy's __array__ copy keyword inside its own code.
pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")


@pytest.fixture(scope="module")
def keras(tmp_path_factory):
    """Keras on its featurekit backend (JAX), compiling into a per-session cache."""
    import os

    os.environ.setdefault("JAX_COMPILATION_CACHE_DIR", str(tmp_path_factory.mktemp("jax-cache")))
    from featurekit.cnn.backend import import_keras

    try:
        return import_keras()
    except FeaturekitError as exc:  # guard only: CI installs featurekit[cnn]
        pytest.skip(str(exc))


@pytest.fixture(scope="module")
def frames_dir(tone_corpus, tmp_path_factory):
    out = tmp_path_factory.mktemp("cnn") / "feats"
    featurekit.extract(tone_corpus, out, frames="mfcc", n_jobs=1, progress=False)
    return out


def _toy_frames(n_per_class=12, shape=(20, 20), seed=0):
    """Two classes told apart by which half of the rows carries energy."""
    rng = np.random.default_rng(seed)
    X = rng.normal(0, 1, (2 * n_per_class, *shape)).astype(np.float32)
    X[:n_per_class, : shape[0] // 2] += 3
    X[n_per_class:, shape[0] // 2 :] += 3
    y = np.array(["a"] * n_per_class + ["b"] * n_per_class, dtype=object)
    groups = np.array([f"{c}{i % 3}" for c, i in zip(y, range(len(y)))])
    return X, y, groups


# --- without Keras ------------------------------------------------------------
def test_core_never_imports_keras():
    code = ("import sys, featurekit, featurekit.cnn, featurekit.frames, featurekit.models.api, "
            "featurekit.cli.main, featurekit.cli.train;"
            "featurekit.cnn.__doc__;"
            "print(sorted(m for m in ('keras', 'jax') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_train_cnn_without_the_extra_says_how_to_install(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "keras", None)  # as if not installed
    res = CliRunner().invoke(cli, ["train", "cnn", "--features", str(tmp_path),
                                   "--out", str(tmp_path / "m")])
    assert res.exit_code == 1
    assert "pip install 'featurekit[cnn]'" in res.output


def test_cnn_options_are_refused_for_other_kinds(tmp_path):
    with pytest.raises(ConfigError, match="KIND 'cnn' only, not 'rf'"):
        featurekit.train(tmp_path, "rf", epochs=3)


@pytest.mark.parametrize("param, value", [("epochs", 0), ("dropout", 1.5),
                                          ("validation_fraction", 1.0), ("class_weight", "x"),
                                          ("batch_size", 2.5), ("learning_rate", 0)])
def test_bad_params_name_the_value(param, value):
    X, y, _ = _toy_frames()
    with pytest.raises(ConfigError, match=f"{param} must .* got {value!r}"):
        KerasFramesClassifier(**{param: value}).fit(X, y)


def test_estimator_init_only_stores_params():
    est = KerasFramesClassifier(epochs=3, filters=(8,))
    assert est.get_params()["epochs"] == 3 and est.get_params()["filters"] == (8,)
    assert not [k for k in vars(est) if k.endswith("_")]


def test_grouped_holdout_keeps_groups_whole_and_every_class_in_training():
    y = np.array(["a"] * 10 + ["b"] * 10 + ["c"] * 2)
    groups = np.array([f"a{i % 5}" for i in range(10)] + [f"b{i % 5}" for i in range(10)]
                      + ["c0", "c0"])
    fit, hold = _holdout(y, groups, 0.2, seed=0)
    assert sorted(np.concatenate([fit, hold])) == list(range(len(y)))
    assert not set(groups[fit]) & set(groups[hold])
    assert set(y[fit]) == {"a", "b", "c"}  # c has one group: never held out
    assert len(set(groups[hold])) == 2  # round(0.2 * 5) groups of a and of b
    assert len(_holdout(y, groups, 0.0, seed=0)[1]) == 0
    fit, hold = _holdout(y, None, 0.2, seed=0)  # stratified rows
    assert len(hold) == 2 + 2 + 0 and set(y[fit]) == {"a", "b", "c"}


def test_full_batches_pad_with_weightless_rows():
    x, y, w = np.arange(5.0), np.arange(5), np.ones(5)
    xs, ys, ws = _full_batches(4, x, y, w)
    assert len(xs) == 8 and list(ws) == [1] * 5 + [0] * 3 and list(ys[5:]) == [0, 1, 2]
    (same,) = _full_batches(5, x)
    assert same is x


# --- with Keras ---------------------------------------------------------------
# Networks here share one input shape, batch size and class count where they
# can, so JAX compiles each training step once (then its cache answers).
@pytest.mark.slow
def test_estimator_fit_predict_and_skops_round_trip(keras, tmp_path):
    import skops.io as sio

    X, y, groups = _toy_frames()
    est = KerasFramesClassifier(epochs=3, random_state=1)
    assert est.fit(X, y, groups=groups) is est
    assert list(est.classes_) == ["a", "b"] and est.input_shape_ == (20, 20)
    assert est.mean_.shape == (20,) and est.n_epochs_ <= 3
    assert est.validation_.startswith("holdout of 2 groups")
    proba = est.predict_proba(X)
    assert proba.shape == (24, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    assert (est.predict(X) == y).mean() >= 0.9  # separable toy data
    with pytest.raises(ValueError, match=r"\(20, 10\) do not fit"):
        est.predict_proba(X[:, :, :10])

    est.save_network(tmp_path)
    blob = sio.dumps(est)  # the Keras network stays out of skops
    assert "model_" in vars(est)
    assert sio.get_untrusted_types(data=blob) == ["featurekit.cnn.estimator.KerasFramesClassifier"]
    loaded = sio.loads(blob, trusted=sio.get_untrusted_types(data=blob))
    loaded.attach_files(tmp_path)
    np.testing.assert_allclose(loaded.predict_proba(X), proba, rtol=1e-5, atol=1e-6)


def test_estimator_uses_given_validation_rows_and_int_labels(keras):
    X, y, _ = _toy_frames()
    yi = (y == "b").astype(int) * 7
    est = KerasFramesClassifier(epochs=2, patience=1)
    est.fit(X[::2], yi[::2], validation_data=(X[1::2], yi[1::2]))
    assert est.validation_ == "given validation rows (12 notes)"
    assert list(est.classes_) == [0, 7] and set(est.predict(X)) <= {0, 7}
    assert "val_loss" in est.history_ and 1 <= est.best_epoch_ <= est.n_epochs_


@pytest.mark.slow
def test_train_cnn_cli_end_to_end(keras, frames_dir, tone_corpus, tmp_path):
    """extract --frames -> train cnn -> metrics/confusion/model.keras -> predict/evaluate/compare."""
    runner = CliRunner()
    model_dir = tmp_path / "cnn"
    res = runner.invoke(cli, ["train", "cnn", "--features", str(frames_dir), "--out",
                              str(model_dir), "--epochs", "2"])
    assert res.exit_code == 0, res.output
    assert "fit on NSynth split 'train', report on 'test'" in res.output
    for name in ("model.keras", "model.skops", "model.json", "pipeline.toml", "metrics.json",
                 "per_class.csv", "confusion.png", "predictions.parquet"):
        assert (model_dir / name).is_file(), name
    metrics = json.loads((model_dir / "metrics.json").read_text())
    assert metrics["kind"] == "cnn" and metrics["n_test"] == 36  # NSynth 'test' split
    assert metrics["split"]["leaky"] is False and metrics["split"]["epochs"]["max"] == 2
    preds = pd.read_parquet(model_dir / "predictions.parquet")
    assert set(preds["split"]) == {"test"}

    model = featurekit.load_model(model_dir)
    assert model.kind == "cnn" and model.meta["frames"] == {"kind": "mfcc", "shape": [20, 20]}
    assert model.meta["keras"]["backend"] == "jax"

    wavs = sorted((tone_corpus / "nsynth-test" / "audio").glob("*.wav"))[:2]
    res = runner.invoke(cli, ["predict", str(model_dir), *map(str, wavs), "--format", "csv",
                              "--top-k", "2"])
    assert res.exit_code == 0, res.output
    lines = res.output.strip().splitlines()
    assert lines[0] == "path,label,probability,label_2,probability_2" and len(lines) == 3

    res = runner.invoke(cli, ["evaluate", str(model_dir), "--features", str(frames_dir)])
    assert res.exit_code == 0, res.output
    assert "6 of 12 instruments were seen in training" in res.output

    rf_dir = tmp_path / "rf"
    featurekit.train(frames_dir, "rf", out=rf_dir, n_jobs=1)
    res = runner.invoke(cli, ["compare", str(model_dir), str(rf_dir)])
    assert res.exit_code == 0, res.output
    assert "cnn" in res.output and " rf " in res.output


@pytest.mark.slow
def test_train_cnn_group_kfold_on_a_dataframe(keras, tmp_path):
    """One split: GroupKFold by instrument, a network per fold, refit on all rows."""
    corpus = make_tone_corpus(tmp_path / "c", families=("guitar", "organ"),
                              instruments_per_family=3, pitches=(48, 72), velocities=(100,),
                              splits=("all",))
    featurekit.extract(corpus, tmp_path / "f", frames="mfcc", n_jobs=1, progress=False)
    table = featurekit.frames.attach_frames(featurekit.load_features(tmp_path / "f"),
                                            tmp_path / "f")
    result = featurekit.train(table, "cnn", epochs=2, seed=3)
    assert result.metrics["split"]["kind"] == "group_kfold"
    assert result.metrics["n_test"] == 12 and "fold" in result.predictions.columns
    assert result.metrics["split"]["early_stopping"].startswith("holdout of 2 groups")
    assert result.model.meta["seed"] == 3 and result.out is None
    proba = result.model.predict_proba(table)
    assert proba.shape == (12, 2)


def test_train_cnn_needs_frames(keras, tone_corpus, frames_dir, tmp_path):
    plain = tmp_path / "plain"
    featurekit.extract(tone_corpus, plain, n_jobs=1, progress=False)
    with pytest.raises(CorpusError, match="--frames"):
        featurekit.train(plain, "cnn", epochs=1)
    with pytest.raises(ConfigError, match="holds 'mfcc' frames, not 'logmel'"):
        featurekit.train(frames_dir, "cnn", frames="logmel", epochs=1)
    assert not (tmp_path / "m").exists()


@pytest.mark.slow
def test_keras_backend_defaults_to_jax_and_respects_the_user(keras, tmp_path):
    code = ("import os; from featurekit.cnn.backend import import_keras;"
            "k = import_keras(); import jax;"
            "print(k.backend.backend(), jax.config.jax_compilation_cache_dir)")
    env = {k: v for k, v in __import__("os").environ.items()
           if k not in ("KERAS_BACKEND", "JAX_COMPILATION_CACHE_DIR")}
    env["XDG_CACHE_HOME"] = str(tmp_path)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         check=True)
    assert out.stdout.split() == ["jax", str(tmp_path / "featurekit" / "jax")]
    env["KERAS_BACKEND"] = "no_such_backend"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert out.returncode != 0
    assert "FeaturekitError: Keras has no backend 'no_such_backend'" in out.stderr
