"""Time-frequency frames: computation, storage beside the feature table, loading."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

import featurekit
from featurekit import ExtractionConfig
from featurekit.cli.main import cli
from featurekit.errors import ConfigError, CorpusError, ModelError
from featurekit.features.analysis import Analysis, AnalysisPlan
from featurekit.frames import (
    FRAMES_DIR,
    attach_frames,
    compute_frames,
    frame_shape,
    frames_kind,
    iter_frames,
    load_frames,
    pool_time,
)
from featurekit.cnn.inputs import frames_matrix
from featurekit.testing import make_tone_corpus


@pytest.fixture(scope="module")
def small_corpus(tmp_path_factory):
    """2 families x 2 instruments x 2 pitches x 1 velocity = 8 notes, train/test."""
    return make_tone_corpus(tmp_path_factory.mktemp("frames-corpus"), families=("guitar", "organ"),
                            instruments_per_family=2, pitches=(48, 72), velocities=(100,))


@pytest.fixture(scope="module")
def mfcc_dir(small_corpus, tmp_path_factory):
    out = tmp_path_factory.mktemp("frames-feats") / "feats"
    featurekit.extract(small_corpus, out, frames="mfcc", n_jobs=1, chunk_size=3, progress=False)
    return out


# --- computation ------------------------------------------------------------
def test_pool_time_means_equal_contiguous_segments():
    x = np.arange(2 * 10 * 3, dtype=np.float32).reshape(2, 10, 3)
    pooled = pool_time(x, 4)  # edges 0, 2, 5, 8, 10 (rounded linspace)
    assert pooled.shape == (2, 4, 3)
    np.testing.assert_allclose(pooled[:, 0], x[:, 0:2].mean(axis=1))
    np.testing.assert_allclose(pooled[:, 1], x[:, 2:5].mean(axis=1))
    np.testing.assert_allclose(pooled[:, 3], x[:, 8:10].mean(axis=1))
    np.testing.assert_allclose(pool_time(x, 10), x)
    with pytest.raises(ValueError, match="11 steps"):
        pool_time(x, 11)


def _analysis(frames, rng):
    config = ExtractionConfig(frames=frames)
    y = rng.standard_normal((3, config.n_samples)).astype(np.float32) * 0.1
    return Analysis(y, AnalysisPlan(config))


def test_mfcc_frames_are_the_pooled_mfccs():
    a = _analysis("mfcc", np.random.default_rng(0))
    frames = compute_frames(a)
    assert frames.shape == (3, 20, 20) and frames.dtype == np.float32
    # DCT and mean commute: pooling the (cached) MFCCs gives the same matrix
    expected = np.swapaxes(pool_time(a.mfcc[..., :20], 20), 1, 2)
    np.testing.assert_allclose(frames, expected, rtol=1e-4, atol=1e-3)


def test_logmel_frames_are_the_pooled_log_mel_spectrogram():
    a = _analysis("logmel", np.random.default_rng(1))
    frames = compute_frames(a)
    assert frames.shape == (3, 64, 64)
    np.testing.assert_allclose(frames, np.swapaxes(pool_time(a.mel_db, 64), 1, 2), rtol=1e-5)


@pytest.mark.parametrize("kwargs, match", [
    ({"frames": "stft"}, "unknown frames kind 'stft'"),
    ({"frames": "mfcc", "n_mels": 16}, "n_mels >= 20"),
    ({"frames": "logmel", "duration": 0.5}, "only 16 frames"),
])
def test_config_rejects_impossible_frames(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        ExtractionConfig(**kwargs)


def test_frames_identity_is_backward_compatible():
    assert "frames" not in ExtractionConfig().identity()
    assert ExtractionConfig(frames="logmel").identity()["frames"] == "logmel"
    assert frame_shape(ExtractionConfig(frames="logmel", n_mels=40)) == (40, 64)
    cfg = ExtractionConfig(frames="mfcc")
    assert ExtractionConfig.from_dict(cfg.to_dict()) == cfg


# --- storage ----------------------------------------------------------------
def test_frames_are_row_aligned_with_the_feature_table(mfcc_dir, small_corpus, tmp_path):
    table = featurekit.load_features(mfcc_dir)
    assert "frames" not in table.columns  # load_features never reads them
    ids, frames = featurekit.load_frames(mfcc_dir)
    assert frames.shape == (len(table), 20, 20) and frames.dtype == np.float32
    assert list(ids) == list(table["note_id"])
    assert frames_kind(mfcc_dir) == ("mfcc", (20, 20))
    # one frames shard per feature shard, same names
    names = sorted(p.name for p in (mfcc_dir / FRAMES_DIR).glob("part-*.parquet"))
    assert names == sorted(p.name for p in (mfcc_dir / "features").glob("part-*.parquet"))
    assert len(names) == 3  # chunk_size=3, 8 notes
    # the feature columns are exactly those of an extraction without frames
    plain = tmp_path / "plain"
    featurekit.extract(small_corpus, plain, n_jobs=1, progress=False)
    other = featurekit.load_features(plain)
    pd.testing.assert_frame_equal(table.drop(columns=["path"]), other.drop(columns=["path"]),
                                  check_like=True)


def test_stored_frames_equal_those_of_extract_files(mfcc_dir):
    table = featurekit.load_features(mfcc_dir)
    _, frames = load_frames(mfcc_dir)
    config = ExtractionConfig(frames="mfcc")
    feats, failures = featurekit.extract_files(list(table["path"][:3]) + ["/nope.wav"], config)
    assert len(failures) == 1 and len(feats) == 3
    np.testing.assert_array_equal(frames_matrix(feats, (20, 20)), frames[:3])
    # without frames in the config, no column
    feats, _ = featurekit.extract_files(list(table["path"][:1]), ExtractionConfig())
    assert "frames" not in feats.columns


def test_load_frames_subsets_reorders_and_streams(mfcc_dir):
    ids, frames = load_frames(mfcc_dir)
    wanted = [ids[5], ids[0]]
    sub_ids, sub = load_frames(mfcc_dir, note_ids=wanted)
    assert list(sub_ids) == wanted
    np.testing.assert_array_equal(sub, frames[[5, 0]])
    streamed = sum(len(i) for i, _ in iter_frames(mfcc_dir))
    assert streamed == len(ids)
    with pytest.raises(CorpusError, match="1 notes .* have no frames"):
        load_frames(mfcc_dir, note_ids=[ids[0], "no-such-note"])


def test_leftovers_of_an_interrupted_run_are_ignored(mfcc_dir, tmp_path):
    out = tmp_path / "copy"
    shutil.copytree(mfcc_dir, out)
    shard = sorted((out / FRAMES_DIR).glob("part-*.parquet"))[0]
    # a frames shard written just before a crash, whose notes were later re-chunked
    shutil.copy(shard, out / FRAMES_DIR / "part-ffffffffffffffff.parquet")
    ids, frames = load_frames(out)
    ref_ids, ref = load_frames(mfcc_dir)
    assert list(ids) == list(ref_ids)
    np.testing.assert_array_equal(frames, ref)


def test_resume_and_mismatched_frames(mfcc_dir, small_corpus):
    result = featurekit.extract(small_corpus, mfcc_dir, frames="mfcc", n_jobs=1, progress=False)
    assert result.n_written == 0 and result.n_skipped == 8
    with pytest.raises(ConfigError, match="frames: 'mfcc' there vs 'logmel' now"):
        featurekit.extract(small_corpus, mfcc_dir, frames="logmel", n_jobs=1, progress=False)
    with pytest.raises(ConfigError, match="frames: 'mfcc' there vs None now"):
        featurekit.extract(small_corpus, mfcc_dir, n_jobs=1, progress=False)


def test_tables_without_frames_still_resume(small_corpus, tmp_path):
    out = tmp_path / "plain"
    featurekit.extract(small_corpus, out, n_jobs=1, progress=False)
    assert "frames" not in featurekit.table.read_manifest(out)["config"]
    assert featurekit.extract(small_corpus, out, n_jobs=1, progress=False).n_skipped == 8
    with pytest.raises(CorpusError, match="--frames"):
        load_frames(out)


def test_attach_frames_and_frames_matrix(mfcc_dir):
    table = featurekit.load_features(mfcc_dir).iloc[::-1].reset_index(drop=True)
    with_frames = attach_frames(table, mfcc_dir, kind="mfcc")
    assert with_frames.attrs == table.attrs and "frames" not in table.columns
    ids, frames = load_frames(mfcc_dir)
    np.testing.assert_array_equal(frames_matrix(with_frames, (20, 20)), frames[::-1])
    with pytest.raises(ConfigError, match="holds 'mfcc' frames but 'logmel'"):
        attach_frames(table, mfcc_dir, kind="logmel")
    with pytest.raises(ModelError, match="no 'frames' column"):
        frames_matrix(table, (20, 20))
    with pytest.raises(ModelError, match="do not fit"):
        frames_matrix(with_frames, (64, 64))


def test_frames_shard_schema(mfcc_dir):
    shard = sorted((mfcc_dir / FRAMES_DIR).glob("part-*.parquet"))[0]
    schema = pq.read_schema(shard)
    assert schema.names == ["note_id", "frames"]
    ftype = schema.field("frames").type
    assert pa.types.is_fixed_size_list(ftype) and ftype.list_size == 400
    assert ftype.value_type == pa.float32()


def test_cli_frames_option(small_corpus, tmp_path):
    runner = CliRunner()
    out = tmp_path / "cli"
    # --frames without a value means mfcc
    res = runner.invoke(cli, ["extract", str(small_corpus), "--out", str(out), "--frames", "-q",
                              "-j", "1"])
    assert res.exit_code == 0, res.output
    assert frames_kind(out) == ("mfcc", (20, 20))
    res = runner.invoke(cli, ["extract", str(small_corpus), "--out", str(tmp_path / "lm"),
                              "--frames", "logmel", "-q", "-j", "1"])
    assert res.exit_code == 0, res.output
    assert frames_kind(tmp_path / "lm") == ("logmel", (64, 64))
    res = runner.invoke(cli, ["extract", str(small_corpus), "--out", str(tmp_path / "x"),
                              "--frames", "cqt"])
    assert res.exit_code == 2 and "'cqt' is not one of" in res.output
