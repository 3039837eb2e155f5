"""featurekit info: summaries of a corpus, a feature table and a model."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

import featurekit as fk
from featurekit.cli.main import cli
from featurekit.errors import CorpusError


@pytest.fixture(scope="module")
def trained(tone_corpus, tmp_path_factory):
    root = tmp_path_factory.mktemp("info")
    fk.extract(tone_corpus, root / "feats", n_jobs=1, progress=False)
    fk.train(root / "feats", "rf", out=root / "model", n_jobs=1)
    return root


def test_corpus_summary(tone_corpus):
    s = fk.info(tone_corpus)
    assert s["kind"] == "corpus" and s["layout"] == "nsynth"
    assert s["n_notes"] == 72 and s["n_instruments"] == 12  # 3 x 4 x 3 x 2
    assert s["counts"]["split"] == {"test": 36, "train": 36}
    assert s["counts"]["instrument_family_str"] == {"guitar": 24, "organ": 24, "reed": 24}
    assert s["sample_rates"] == {"16000": 20}


def test_missing_audio_is_counted(tmp_path, tone_corpus):
    import shutil

    shutil.copytree(tone_corpus / "nsynth-test", tmp_path / "nsynth-test")
    for wav in sorted((tmp_path / "nsynth-test" / "audio").glob("*.wav"))[::2]:
        wav.unlink()
    s = fk.info(tmp_path / "nsynth-test")
    assert s["sample_rates"]["missing"] > 0 and s["sample_rates"]["16000"] > 0


def test_table_summary(trained):
    s = fk.info(trained / "feats")
    assert s["kind"] == "table" and s["n_rows"] == 72 and s["n_failures"] == 0
    assert s["n_features"] == 198 and sum(s["feature_groups"].values()) == 198
    assert set(s["feature_groups"]) == {"mfcc", "spectral", "chroma", "temporal", "envelope", "harmonic"}
    assert s["config"]["preset"] == "default"
    assert s["counts"]["split"] == {"test": 36, "train": 36}
    one = fk.info(next((trained / "feats" / "features").glob("part-*.parquet")))
    assert one["kind"] == "table" and one["n_features"] == 198


def test_model_summary(trained):
    s = fk.info(trained / "model")
    assert s["kind"] == "model" and s["model_kind"] == "rf"
    assert s["target"] == "instrument_family_str" and sorted(s["labels"]) == ["guitar", "organ", "reed"]
    assert s["n_features"] > 0 and s["metrics"]["n_test"] == 36
    metrics = json.loads((trained / "model" / "metrics.json").read_text())
    assert s["metrics"]["macro_f1"] == metrics["macro_f1"]


@pytest.mark.parametrize("what", ["corpus", "feats", "model"])
def test_cli_text_and_json(trained, tone_corpus, what):
    path = tone_corpus if what == "corpus" else trained / what
    text = CliRunner().invoke(cli, ["info", str(path)])
    assert text.exit_code == 0, text.output
    assert text.output.splitlines()[0].endswith({"corpus": "corpus", "feats": "table", "model": "model"}[what])
    js = CliRunner().invoke(cli, ["info", str(path), "--format", "json"])
    assert json.loads(js.output) == json.loads(json.dumps(fk.info(path)))


def test_cli_missing_path_is_one_line(tmp_path):
    res = CliRunner().invoke(cli, ["info", str(tmp_path / "nope")])
    assert res.exit_code == 1
    assert res.output.strip().startswith("featurekit: error: no such file or directory")


def test_missing_path_raises(tmp_path):
    with pytest.raises(CorpusError):
        fk.info(tmp_path / "nope")
