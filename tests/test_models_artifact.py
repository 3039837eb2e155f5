"""Model directories: skops round trip, trusted types, version checks, bad dirs."""

from __future__ import annotations

import json
from fractions import Fraction

import numpy as np
import pytest
import skops.io as sio
from models_helpers import VOTE_SPEC, make_table

import featurekit
from featurekit.errors import ModelError
from featurekit.models.artifact import MODEL_FILE, TRUSTED_TYPES


@pytest.fixture(scope="module")
def table():
    return make_table()


@pytest.fixture(scope="module")
def model_dir(table, tmp_path_factory):
    out = tmp_path_factory.mktemp("artifact") / "model"
    featurekit.train(table, "logreg", out=out)
    return out


def _copy(model_dir, tmp_path):
    import shutil

    dst = tmp_path / "copy"
    shutil.copytree(model_dir, dst)
    return dst


def test_loaded_model_predicts_like_the_trained_one(table, model_dir):
    fresh = featurekit.train(table, "logreg").model
    loaded = featurekit.load_model(model_dir)
    np.testing.assert_allclose(loaded.predict_proba(table), fresh.predict_proba(table))


def test_model_file_is_skops_not_pickle(model_dir):
    import zipfile

    assert zipfile.is_zipfile(model_dir / MODEL_FILE)


def test_only_explicitly_trusted_types_are_needed(model_dir):
    assert set(sio.get_untrusted_types(file=model_dir / MODEL_FILE)) <= set(TRUSTED_TYPES)


def test_untrusted_types_are_refused(model_dir, tmp_path):
    bad = _copy(model_dir, tmp_path)
    meta = json.loads((bad / "model.json").read_text())
    sio.dump({"format": 1, "pipeline": Fraction(1, 3), "meta_json": json.dumps(meta, sort_keys=True)},
             bad / MODEL_FILE)
    with pytest.raises(ModelError, match="untrusted types fractions.Fraction"):
        featurekit.load_model(bad)


def test_a_directory_without_a_model_is_refused(tmp_path):
    with pytest.raises(ModelError, match="not a featurekit model directory"):
        featurekit.load_model(tmp_path)


def test_a_corrupt_model_file_is_refused(model_dir, tmp_path):
    bad = _copy(model_dir, tmp_path)
    (bad / MODEL_FILE).write_bytes(b"garbage")
    with pytest.raises(ModelError, match="not a readable skops file"):
        featurekit.load_model(bad)


def test_a_model_from_an_incompatible_version_says_so(model_dir, tmp_path):
    bad = _copy(model_dir, tmp_path)
    meta = json.loads((bad / "model.json").read_text())
    meta.update(format=99, featurekit_version="9.0.0")
    (bad / "model.json").write_text(json.dumps(meta))
    with pytest.raises(ModelError, match="saved by featurekit 9.0.0.*retrain"):
        featurekit.load_model(bad)


def test_a_hand_edited_metadata_file_is_refused(model_dir, tmp_path):
    bad = _copy(model_dir, tmp_path)
    meta = json.loads((bad / "model.json").read_text())
    meta["labels"] = ["x", "y", "z"]
    (bad / "model.json").write_text(json.dumps(meta))
    with pytest.raises(ModelError, match="does not match"):
        featurekit.load_model(bad)


def test_top_k_columns_are_ranked(table, model_dir):
    df = featurekit.load_model(model_dir).predict_table(table, top_k=2)
    assert list(df.columns) == ["label", "probability", "label_2", "probability_2"]
    assert (df["probability"] >= df["probability_2"]).all()


def test_a_vote_with_per_member_columns_round_trips(table, tmp_path):
    spec = tmp_path / "vote.toml"
    spec.write_text(VOTE_SPEC)
    fresh = featurekit.train(table, None, pipeline=spec, out=tmp_path / "m").model
    loaded = featurekit.load_model(tmp_path / "m")
    np.testing.assert_allclose(loaded.predict_proba(table), fresh.predict_proba(table))
