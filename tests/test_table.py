"""The on-disk table: compaction, crash-safe reading, instant re-runs, third-party readers."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest

import featurekit as fk
from featurekit import table
from featurekit.testing import make_tone_corpus


@pytest.fixture(scope="module")
def finished(tone_corpus, tmp_path_factory):
    """A finished extraction in chunks of 5 notes (15 chunks)."""
    out = tmp_path_factory.mktemp("finished")
    fk.extract(tone_corpus, out, n_jobs=1, progress=False, chunk_size=5)
    return out


def test_a_finished_run_leaves_one_compacted_file_and_no_chunk_shards(finished):
    files = sorted(p.name for p in (finished / "features").iterdir())
    assert len(files) == 1 and files[0].startswith("part-c"), files
    assert table.data_files(finished) == [finished / "features" / files[0]]


def test_compacted_table_is_sorted_by_note_id_and_equals_an_unchunked_run(finished, tone_corpus, tmp_path):
    fk.extract(tone_corpus, tmp_path, n_jobs=1, progress=False, chunk_size=1000)
    raw = pd.read_parquet(finished / "features")
    assert raw["note_id"].is_monotonic_increasing and raw["note_id"].is_unique
    pd.testing.assert_frame_equal(fk.load_features(finished).drop(columns="path"),
                                  fk.load_features(tmp_path).drop(columns="path"))


@pytest.mark.parametrize("reader", ["pandas", "polars", "duckdb"])
def test_features_dir_is_one_read_parquet_call(finished, reader):
    ref = fk.load_features(finished)
    d = finished / "features"
    if reader == "pandas":
        got = pd.read_parquet(d)
    elif reader == "polars":
        pl = pytest.importorskip("polars")
        got = pl.read_parquet(d / "*.parquet").to_pandas()
    else:
        duckdb = pytest.importorskip("duckdb")
        got = duckdb.sql(f"SELECT * FROM read_parquet('{d}/*.parquet')").df()
    got = got.sort_values("note_id").reset_index(drop=True)
    assert list(got["note_id"]) == list(ref["note_id"])
    feats = [c for c in ref.columns if "__" in c]
    np.testing.assert_array_equal(got[feats].to_numpy(np.float32), ref[feats].to_numpy())


def _shards_and_compaction(tmp_path, n_files):
    """A directory of 6 small shards, its compaction into n_files files, and copies of the shards."""
    d = tmp_path / "features"
    for k in range(6):
        ids = [f"n{k:02d}{j}" for j in range(4)]
        df = pd.DataFrame({"note_id": ids, "f__mean__00": np.arange(4, dtype=np.float32) + k})
        table.write_shard(df, d / f"part-{k:016x}.parquet", {"config": {}})
    saved = tmp_path / "saved"
    shutil.copytree(d, saved)
    journal = {"inputs": sorted(p.name for p in saved.iterdir()), "outputs": None}
    outputs = table.compact(d, file_rows=24 // n_files)
    journal["outputs"] = [p.name for p in outputs]
    return d, saved, journal


def test_crash_after_compacted_files_before_shards_deleted_reads_each_row_once(tmp_path):
    d, saved, journal = _shards_and_compaction(tmp_path, n_files=2)
    for p in saved.iterdir():  # the crash left the inputs and the journal
        shutil.copy(p, d / p.name)
    (d / table.JOURNAL).write_text(json.dumps(journal))
    df = fk.load_features(d.parent)
    assert len(df) == 24 and df["note_id"].is_unique
    table.recover(d)
    assert sorted(p.name for p in d.iterdir()) == journal["outputs"]
    pd.testing.assert_frame_equal(fk.load_features(d.parent), df)


def test_crash_while_writing_compacted_files_keeps_the_shards(tmp_path):
    d, saved, journal = _shards_and_compaction(tmp_path, n_files=2)
    for p in saved.iterdir():
        shutil.copy(p, d / p.name)
    (d / journal["outputs"][1]).unlink()  # the crash came before the second output
    (d / table.JOURNAL).write_text(json.dumps(journal))
    df = fk.load_features(d.parent)
    assert len(df) == 24 and df["note_id"].is_unique
    table.recover(d)
    assert sorted(p.name for p in d.iterdir()) == journal["inputs"]
    pd.testing.assert_frame_equal(fk.load_features(d.parent), df)


def test_failures_are_compacted_too(tmp_path):
    corpus = make_tone_corpus(tmp_path / "c", families=("organ",), instruments_per_family=2,
                              pitches=(48, 60, 72), velocities=(100,))
    for wav in sorted((corpus / "nsynth-test" / "audio").glob("*.wav"))[:2]:
        wav.write_bytes(b"not a wav")
    res = fk.extract(corpus, tmp_path / "o", n_jobs=1, chunk_size=1, progress=False)
    assert res.n_failures == 2 and len(list((tmp_path / "o" / "failures").iterdir())) == 1
    assert len(pd.read_parquet(tmp_path / "o" / "failures")) == 2


@pytest.fixture
def small_run(tmp_path):
    corpus = make_tone_corpus(tmp_path / "c", families=("organ",), instruments_per_family=2,
                              pitches=(48, 60), velocities=(100,))
    out = tmp_path / "o"
    fk.extract(corpus, out, n_jobs=1, chunk_size=2, progress=False)
    return corpus, out


def test_rerun_of_a_finished_run_lists_nothing_and_writes_nothing(small_run):
    corpus, out = small_run
    again = fk.extract(corpus, out, n_jobs=1, progress=False)
    assert (again.n_written, again.n_skipped, again.n_rows) == (0, 4, 4)


def test_rerun_notices_a_note_added_to_examples_json(small_run):
    corpus, out = small_run
    split = next(d for d in sorted(corpus.glob("nsynth-*")) if d.is_dir())
    examples = json.loads((split / "examples.json").read_text())
    key, entry = sorted(examples.items())[0]
    new = key.replace("-048-", "-050-")
    examples[new] = {**entry, "note_str": new, "pitch": 50}
    shutil.copy(split / "audio" / f"{key}.wav", split / "audio" / f"{new}.wav")
    (split / "examples.json").write_text(json.dumps(examples))
    again = fk.extract(corpus, out, n_jobs=1, progress=False)
    assert (again.n_written, again.n_rows) == (1, 5)


def test_rerun_redoes_the_notes_of_a_deleted_table_file(small_run):
    corpus, out = small_run
    for p in table.data_files(out):
        p.unlink()
    again = fk.extract(corpus, out, n_jobs=1, progress=False)
    assert again.n_written == 4 and len(fk.load_features(out)) == 4

