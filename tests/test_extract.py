"""featurekit extract: layout, metadata, resume, bad input, CLI."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import soundfile as sf
from click.testing import CliRunner

import featurekit as fk
from featurekit.cli.main import cli
from featurekit.corpus import NSYNTH_COLUMNS
from featurekit.features import is_feature_column
from featurekit.testing import make_tone_corpus


def features_of(df):
    return [c for c in df.columns if is_feature_column(c)]


@pytest.fixture(scope="module")
def extracted(tone_corpus, tmp_path_factory):
    out = tmp_path_factory.mktemp("feats")
    result = fk.extract(tone_corpus, out, n_jobs=1, progress=False, chunk_size=10)
    return out, result


def test_one_row_per_note_with_all_nsynth_metadata(extracted, tone_corpus):
    out, result = extracted
    df = fk.load_features(out)
    n_notes = sum(len(json.load(open(p))) for p in tone_corpus.glob("nsynth-*/examples.json"))
    assert len(df) == n_notes == result.n_rows and result.exit_code == 0
    assert set(NSYNTH_COLUMNS + ["padded", "notes"]) <= set(df.columns)
    assert set(df["split"]) == {"train", "test"}
    assert df["note_id"].is_unique


def test_features_are_float32_and_finite(extracted):
    df = fk.load_features(extracted[0])
    feats = features_of(df)
    assert len(feats) > 100
    assert all(df[c].dtype == np.float32 for c in feats)
    assert np.isfinite(df[feats].to_numpy()).all()


def test_shards_record_what_was_computed(extracted):
    out = extracted[0]
    shard = next((out / "features").glob("part-*.parquet"))
    meta = json.loads(pq.read_schema(shard).metadata[b"featurekit"])
    cfg = meta["config"]
    assert (cfg["sample_rate"], cfg["n_fft"], cfg["hop_length"], cfg["preset"]) == (16000, 1024, 512, "default")
    assert cfg["featurekit_version"] == fk.__version__
    manifest = json.loads((out / "featurekit.json").read_text())
    assert manifest["feature_names"] == features_of(fk.load_features(out))
    assert fk.load_features(out).attrs["featurekit"]["preset"] == "default"


def test_no_instrument_in_two_splits(extracted):
    df = fk.load_features(extracted[0])
    assert (df.groupby("instrument_str")["split"].nunique() == 1).all()


def test_rerun_skips_everything(extracted, tone_corpus):
    out, first = extracted
    again = fk.extract(tone_corpus, out, n_jobs=1, progress=False)
    assert again.n_written == 0 and again.n_skipped == first.n_rows
    assert len(fk.load_features(out)) == first.n_rows


def test_different_config_into_same_dir_is_an_error(extracted, tone_corpus):
    with pytest.raises(fk.ConfigError, match="different config"):
        fk.extract(tone_corpus, extracted[0], preset="mfcc40", progress=False)


def test_different_selection_into_same_dir_is_an_error(extracted, tone_corpus):
    with pytest.raises(fk.ConfigError, match="different selection"):
        fk.extract(tone_corpus, extracted[0], families=["organ"], progress=False)


def test_parallel_run_equals_serial_run(extracted, tone_corpus, tmp_path):
    fk.extract(tone_corpus, tmp_path, n_jobs=2, progress=False, chunk_size=7)
    pd.testing.assert_frame_equal(
        fk.load_features(tmp_path).drop(columns="path"),
        fk.load_features(extracted[0]).drop(columns="path"))


def test_filters(tone_corpus, tmp_path):
    fk.extract(tone_corpus, tmp_path / "a", families=["organ", "reed"], progress=False, n_jobs=1)
    assert set(fk.load_features(tmp_path / "a")["instrument_family_str"]) == {"organ", "reed"}
    fk.extract(tone_corpus, tmp_path / "b", exclude_sources=["electronic"], progress=False, n_jobs=1)
    assert set(fk.load_features(tmp_path / "b")["instrument_source_str"]) == {"acoustic"}


def test_unknown_family_names_the_bad_value(tone_corpus, tmp_path):
    with pytest.raises(fk.ConfigError, match="'trumpet'"):
        fk.extract(tone_corpus, tmp_path, families=["trumpet"], progress=False)


def test_single_split_directory(tone_corpus, tmp_path):
    fk.extract(tone_corpus / "nsynth-test", tmp_path, progress=False, n_jobs=1)
    assert set(fk.load_features(tmp_path)["split"]) == {"test"}


# --- real NSynth notes -------------------------------------------------------
def test_real_nsynth_notes_are_read_exactly_as_published(sample_dir):
    for wav in sorted(sample_dir.glob("*.wav")):
        info = sf.info(wav)
        assert (info.samplerate, info.channels, info.frames, info.subtype) == (16000, 1, 64000, "PCM_16")
        clip = fk.extract_files([wav], fk.ExtractionConfig(preset="mfcc40"))[0]
        assert len(clip) == 1
        raw, _ = sf.read(wav, dtype="float32")
        from featurekit.audio import read_clip
        np.testing.assert_array_equal(read_clip(wav, 16000, 64000).samples, raw)


def test_real_nsynth_folder_labels_from_file_names(sample_dir, tmp_path):
    result = fk.extract(sample_dir, tmp_path, progress=False, n_jobs=1)
    df = fk.load_features(tmp_path)
    assert result.exit_code == 0 and len(df) == 11
    assert set(df["instrument_family_str"]) == {
        "bass", "brass", "flute", "guitar", "keyboard", "mallet", "organ", "reed",
        "string", "synth_lead", "vocal"}
    row = df.set_index("note_str").loc["synth_lead_synthetic_000-048-127"]
    assert (row["instrument_str"], row["instrument_source_str"], row["pitch"], row["velocity"]) == (
        "synth_lead_synthetic_000", "synthetic", 48, 127)
    assert not df["padded"].any()


# --- bad input ---------------------------------------------------------------
@pytest.fixture
def broken_corpus(tmp_path):
    """A tone corpus with every kind of bad note added to its test split."""
    root = make_tone_corpus(tmp_path / "c", families=("organ",), instruments_per_family=2,
                            pitches=(60,), velocities=(100,))
    split = root / "nsynth-test"
    audio = split / "audio"
    examples = json.loads((split / "examples.json").read_text())
    template = next(iter(examples.values()))
    good = next(audio.glob("*.wav")).read_bytes()
    bad = {
        "empty": b"",
        "text": b"I am not a wav file\n",
        "header": good[:44],
        "truncated": good[: len(good) // 3],
        "missing": None,
    }
    for i, (kind, data) in enumerate(bad.items()):
        note_str = f"organ_acoustic_{900 + i:03d}-060-100"
        if data is not None:
            (audio / f"{note_str}.wav").write_bytes(data)
        examples[note_str] = {**template, "note_str": note_str,
                              "instrument_str": f"organ_acoustic_{900 + i:03d}"}
    y = (0.3 * np.sin(2 * np.pi * 262 * np.arange(32000) / 44100)).astype(np.float32)
    odd = {"stereo48k": (np.stack([y, y], 1), 48000, "PCM_24"), "short": (y[:4000], 16000, "PCM_16"),
           "silent": (np.zeros(64000, np.float32), 16000, "PCM_16")}
    for i, (kind, (data, rate, subtype)) in enumerate(odd.items()):
        note_str = f"organ_acoustic_{800 + i:03d}-060-100"
        sf.write(audio / f"{note_str}.wav", data, rate, subtype=subtype)
        examples[note_str] = {**template, "note_str": note_str,
                              "instrument_str": f"organ_acoustic_{800 + i:03d}"}
    (split / "examples.json").write_text(json.dumps(examples))
    return root


def test_bad_notes_are_recorded_and_good_notes_written(broken_corpus, tmp_path):
    result = fk.extract(broken_corpus, tmp_path / "o", progress=False, n_jobs=1)
    df, failures = fk.load_features(tmp_path / "o"), fk.load_failures(tmp_path / "o")
    assert result.exit_code == 3 and result.n_failures == 5 == len(failures)
    assert len(df) == 2 + 3  # the good notes and the readable-but-odd ones
    assert failures["error"].str.contains("\n").sum() == 0
    reasons = dict(zip(failures["note_id"].str.extract(r"_(\d{3})-")[0], failures["error"]))
    assert "empty" in reasons["900"] and "not a readable" in reasons["901"]
    assert "truncated" in reasons["903"] and "not found" in reasons["904"]
    assert np.isfinite(df[features_of(df)].to_numpy()).all()
    odd = df.set_index("instrument_str")
    assert "resampled from 48000 Hz" in odd.loc["organ_acoustic_800", "notes"]
    assert "downmixed" in odd.loc["organ_acoustic_800", "notes"]
    assert odd.loc["organ_acoustic_801", "padded"]


def test_exit_code_is_stable_across_reruns(broken_corpus, tmp_path):
    first = fk.extract(broken_corpus, tmp_path, progress=False, n_jobs=1)
    second = fk.extract(broken_corpus, tmp_path, progress=False, n_jobs=1)
    assert first.exit_code == second.exit_code == 3
    assert second.n_written == 0 and len(fk.load_failures(tmp_path)) == 5


def test_malformed_examples_json_falls_back_to_file_names(tone_corpus, tmp_path):
    root = tmp_path / "c"
    shutil.copytree(tone_corpus, root)
    (root / "nsynth-test" / "examples.json").write_text("{ not json")
    result = fk.extract(root, tmp_path / "o", progress=False, n_jobs=1)
    df = fk.load_features(tmp_path / "o")
    assert result.exit_code == 3
    assert "malformed examples.json" in fk.load_failures(tmp_path / "o")["error"].iloc[0]
    assert set(df["split"]) == {"train", "test"} and len(df) == 72


def test_missing_corpus_is_a_corpus_error(tmp_path):
    with pytest.raises(fk.CorpusError, match="not found"):
        fk.extract(tmp_path / "nope", tmp_path / "o", progress=False)


def test_load_features_of_missing_dir(tmp_path):
    with pytest.raises(fk.CorpusError):
        fk.load_features(tmp_path / "nothing")


# --- CLI ---------------------------------------------------------------------
def test_cli_output_equals_library_result(tone_corpus, tmp_path):
    res = CliRunner().invoke(cli, ["extract", str(tone_corpus), "--out", str(tmp_path / "cli"),
                                   "--jobs", "1", "--quiet"])
    assert res.exit_code == 0, res.output
    lib = fk.extract(tone_corpus, tmp_path / "lib", n_jobs=1, progress=False)
    assert f"{lib.n_rows} notes" in res.output
    pd.testing.assert_frame_equal(fk.load_features(tmp_path / "cli").drop(columns="path"),
                                  fk.load_features(tmp_path / "lib").drop(columns="path"))


def test_cli_exit_code_3_when_some_notes_failed(broken_corpus, tmp_path):
    res = CliRunner().invoke(cli, ["extract", str(broken_corpus), "-o", str(tmp_path), "-j", "1", "-q"])
    assert res.exit_code == 3
    assert "5 failures recorded" in res.output


def test_cli_lists_failures_on_stderr_not_stdout(broken_corpus, tmp_path):
    res = CliRunner().invoke(cli, ["extract", str(broken_corpus), "-o", str(tmp_path), "-j", "1", "-q"])
    assert res.exit_code == 3
    assert "5 failures recorded" in res.stderr and "failures recorded" not in res.stdout
    assert res.stdout.startswith("featurekit extract: ")


def test_cli_help_names_every_exit_code():
    text = " ".join(CliRunner().invoke(cli, ["extract", "--help"]).output.split())
    assert all(f"{code} " in text for code in ("0", "1", "3", "130"))
    assert "130 interrupted" in text


def test_empty_selection_is_an_error(tone_corpus, tmp_path):
    with pytest.raises(fk.ConfigError, match="empty families selection"):
        fk.extract(tone_corpus, tmp_path, families=[], n_jobs=1, progress=False)
    assert not tmp_path.joinpath("featurekit.json").exists()


def test_cli_refuses_to_write_into_a_model_directory(tone_corpus, tmp_path):
    (tmp_path / "model.json").write_text("{}")
    res = CliRunner().invoke(cli, ["extract", str(tone_corpus), "-o", str(tmp_path), "-q"])
    assert res.exit_code == 1 and len(res.output.strip().splitlines()) == 1
    assert "featurekit model directory" in res.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.json"]


def test_cli_empty_folder_lists_every_accepted_layout(tmp_path):
    res = CliRunner().invoke(cli, ["extract", str(tmp_path), "-o", str(tmp_path / "o")])
    assert res.exit_code == 1
    assert all(word in res.output for word in ("nsynth-<split>", "folder per label", "manifest"))


@pytest.mark.parametrize("args", [["--jobs", "0"], ["--n-jobs", "0"]])
def test_cli_jobs_zero_is_the_shared_one_line_error(args, tone_corpus, tmp_path):
    res = CliRunner().invoke(cli, ["extract", str(tone_corpus), "-o", str(tmp_path), *args])
    assert res.exit_code == 1 and len(res.output.strip().splitlines()) == 1
    assert "--jobs must be a non-zero integer" in res.output


@pytest.mark.parametrize("args, message", [
    (["extract", "/no/such/dir", "--out", "X"], "corpus directory not found"),
    (["extract", ".", "--out", "X", "--families", "kazoo"], "'kazoo'"),
    (["extract", ".", "--out", "X", "--families", ""], "empty families selection"),
    (["extract", ".", "--out", "X", "--sources", ","], "empty sources selection"),
])
def test_cli_bad_input_is_one_line_error(args, message, tmp_path):
    args = [a.replace("X", str(tmp_path / "o")) for a in args]
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 1
    assert message in res.output and "Traceback" not in res.output
    assert len(res.output.strip().splitlines()) == 1


# --- crash safety ------------------------------------------------------------
@pytest.mark.slow
def test_sigkill_mid_run_then_rerun_gives_the_uninterrupted_table(tmp_path):
    corpus = make_tone_corpus(tmp_path / "c", families=("guitar", "organ"), instruments_per_family=4,
                              pitches=(40, 50, 60, 70, 80), velocities=(50, 100, 127))
    cmd = [sys.executable, "-m", "featurekit.cli.main", "extract", str(corpus), "--out",
           str(tmp_path / "killed"), "--jobs", "2", "--chunk-size", "4", "--quiet"]
    proc = subprocess.Popen(cmd, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline and len(list((tmp_path / "killed" / "features").glob("part-*"))) < 2:
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    partial = len(list((tmp_path / "killed" / "features").glob("part-*.parquet")))
    assert 0 < partial < 30  # killed mid-run
    assert subprocess.run(cmd).returncode == 0
    fk.extract(corpus, tmp_path / "clean", n_jobs=2, progress=False)
    killed, clean = fk.load_features(tmp_path / "killed"), fk.load_features(tmp_path / "clean")
    assert killed["note_id"].is_unique and len(killed) == 120
    pd.testing.assert_frame_equal(killed, clean)
    assert not list((tmp_path / "killed").rglob("*.tmp"))


def test_rerun_removes_half_written_shards_of_a_killed_run(tone_corpus, tmp_path):
    fk.extract(tone_corpus, tmp_path, n_jobs=1, progress=False, families=["organ"])
    stale = tmp_path / "features" / ".part-0123.parquet.deadbeef.tmp"
    stale.write_bytes(b"PAR1 half a shard")
    fk.extract(tone_corpus, tmp_path, n_jobs=1, progress=False, families=["organ"])
    assert not stale.exists()
    assert fk.load_features(tmp_path)["note_id"].is_unique


# --- NSynth audio as FLAC, the library column ------------------------------------
DEV_SET = Path("/work/shared/nsynth-test-dev")


def small_nsynth(root, **kw):
    return make_tone_corpus(root, families=("organ", "reed"), instruments_per_family=2,
                            pitches=(60,), velocities=(100,), **kw)


def to_flac(audio_dir):
    for wav in sorted(audio_dir.glob("*.wav")):
        data, rate = sf.read(wav, dtype="int16")
        sf.write(wav.with_suffix(".flac"), data, rate, subtype="PCM_16")
        wav.unlink()


def test_nsynth_split_with_flac_audio_gives_the_wav_features(tmp_path):
    wav_root = small_nsynth(tmp_path / "wav")
    flac_root = small_nsynth(tmp_path / "flac")
    for split in flac_root.glob("nsynth-*"):
        to_flac(split / "audio")
    res = CliRunner().invoke(cli, ["extract", str(flac_root), "-o", str(tmp_path / "of"), "-j", "1", "-q"])
    assert res.exit_code == 0, res.output
    fk.extract(wav_root, tmp_path / "ow", n_jobs=1, progress=False)
    flac, wav = fk.load_features(tmp_path / "of"), fk.load_features(tmp_path / "ow")
    assert flac["path"].str.endswith(".flac").all() and len(flac) == 4
    assert flac["note_id"].str.replace(".flac", ".wav").tolist() == wav["note_id"].tolist()
    cols = features_of(wav)
    np.testing.assert_array_equal(flac[cols].to_numpy(), wav[cols].to_numpy())


def test_a_note_with_both_wav_and_flac_is_a_failure_naming_both(tmp_path):
    root = small_nsynth(tmp_path / "c")
    audio = root / "nsynth-test" / "audio"
    both = sorted(audio.glob("*.wav"))[0]
    data, rate = sf.read(both, dtype="int16")
    sf.write(both.with_suffix(".flac"), data, rate)
    result = fk.extract(root, tmp_path / "o", n_jobs=1, progress=False)
    failures = fk.load_failures(tmp_path / "o")
    assert result.exit_code == 3 and len(failures) == 1
    assert f"{both.stem}.flac and {both.stem}.wav" in failures["error"][0]
    assert both.stem not in set(fk.load_features(tmp_path / "o")["note_str"])


def test_nsynth_named_flac_files_are_read_with_labels_from_names(tmp_path, sample_dir):
    for wav in sorted(sample_dir.glob("*.wav"))[:2]:
        shutil.copy(wav, tmp_path / wav.name)
    to_flac(tmp_path)
    corpus = fk.read_corpus(tmp_path)
    assert corpus.layout == "nsynth-wavs" and not corpus.problems
    assert corpus.notes["path"].str.endswith(".flac").all() and len(corpus.notes) == 2
    assert set(corpus.notes["library"]) == {"nsynth"}


def test_library_comes_from_examples_json_else_nsynth(tmp_path):
    root = small_nsynth(tmp_path / "c", library=None)
    meta = root / "nsynth-train" / "examples.json"
    examples = json.loads(meta.read_text())
    first = sorted(examples)[0]
    examples[first]["library"] = "FluidR3_GM"
    meta.write_text(json.dumps(examples))
    notes = fk.read_corpus(root).notes.set_index("note_str")
    assert notes.loc[first, "library"] == "FluidR3_GM"
    assert set(notes.drop(index=first)["library"]) == {"nsynth"}
    fk.extract(root, tmp_path / "o", n_jobs=1, progress=False)
    table = fk.load_features(tmp_path / "o").set_index("note_str")
    assert table.loc[first, "library"] == "FluidR3_GM"
    assert pq.read_schema(next((tmp_path / "o" / "features").glob("*.parquet"))).field("library").type == "string"


@pytest.mark.skipif(not (DEV_SET / "examples.json").exists(), reason="nsynth-test-dev not present")
def test_the_real_flac_dev_set_is_recognised():
    corpus = fk.read_corpus(DEV_SET)
    notes = corpus.notes
    assert corpus.layout == "nsynth-split" and not corpus.problems
    assert len(notes) == len(json.loads((DEV_SET / "examples.json").read_text()))
    assert notes["path"].str.endswith(".flac").all() and set(notes["library"]) == {"nsynth"}
    clip = fk.extract_files([notes["path"].iloc[0]], fk.ExtractionConfig(preset="mfcc40"))[0]
    assert len(clip) == 1


def test_tone_corpus_instruments_carry_their_library(extracted):
    from featurekit.testing import TONE_LIBRARY

    assert set(fk.load_features(extracted[0])["library"]) == {TONE_LIBRARY}


# --- leading silence (ExtractionConfig.trim_db) -----------------------------
def test_trimming_is_on_by_default_and_stored_in_the_config():
    from featurekit.config import ExtractionConfig

    assert ExtractionConfig().trim_db == 40.0
    assert ExtractionConfig().identity()["trim_db"] == 40.0
    assert ExtractionConfig.from_dict(ExtractionConfig().to_dict()) == ExtractionConfig()


def test_a_config_written_before_trimming_existed_reads_as_untrimmed():
    from featurekit.config import ExtractionConfig

    old = {k: v for k, v in ExtractionConfig().to_dict().items() if k != "trim_db"}
    cfg = ExtractionConfig.from_dict(old)
    assert cfg.trim_db is None and "trim_db" not in cfg.identity()


@pytest.mark.parametrize("bad", [0, -10, True, "40"])
def test_a_bad_trim_level_is_named(bad):
    from featurekit.config import ExtractionConfig
    from featurekit.errors import ConfigError

    with pytest.raises(ConfigError, match="trim_db"):
        ExtractionConfig(trim_db=bad)


def test_leading_silence_no_longer_drags_the_spectral_means(tmp_path):
    from featurekit.config import ExtractionConfig
    from featurekit.extraction import extract_files

    sr = 16000
    t = np.arange(4 * sr) / sr
    note = (0.5 * np.sin(2 * np.pi * 440 * t) * np.exp(-t)).astype(np.float32)
    sf.write(tmp_path / "clean.wav", note, sr)
    sf.write(tmp_path / "late.wav", np.concatenate([np.zeros(int(0.4 * sr), np.float32), note]), sr)
    paths = [str(tmp_path / "clean.wav"), str(tmp_path / "late.wav")]
    col = "spectral_centroid__mean__00"
    shift = {}
    for trim in (40.0, None):
        f, _ = extract_files(paths, ExtractionConfig(trim_db=trim))
        shift[trim] = abs(f[col].iloc[1] - f[col].iloc[0])
    assert shift[40.0] < 0.25 * shift[None]


# --- peak level (ExtractionConfig.peak_db) ----------------------------------
def test_peak_normalisation_is_on_by_default_and_stored_in_the_config():
    from featurekit.config import ExtractionConfig

    assert ExtractionConfig().peak_db == -1.1
    assert ExtractionConfig().identity()["peak_db"] == -1.1


def test_a_config_written_before_peak_normalisation_existed_reads_as_levels_kept():
    from featurekit.config import ExtractionConfig

    old = {k: v for k, v in ExtractionConfig().to_dict().items() if k != "peak_db"}
    cfg = ExtractionConfig.from_dict(old)
    assert cfg.peak_db is None and "peak_db" not in cfg.identity()


@pytest.mark.parametrize("bad", [0.5, -120, True, "-1"])
def test_a_bad_peak_level_is_named(bad):
    from featurekit.config import ExtractionConfig
    from featurekit.errors import ConfigError

    with pytest.raises(ConfigError, match="peak_db"):
        ExtractionConfig(peak_db=bad)


def test_a_quiet_copy_of_a_note_gets_the_notes_features(tmp_path):
    from featurekit.config import ExtractionConfig
    from featurekit.extraction import extract_files

    sr = 16000
    t = np.arange(4 * sr) / sr
    tone = sum(np.sin(2 * np.pi * 220 * k * t) / k for k in range(1, 20))
    hiss = 0.01 * np.random.default_rng(0).standard_normal(len(t))  # every band has energy
    note = (0.5 * (tone + hiss) * np.exp(-t)).astype(np.float32)
    sf.write(tmp_path / "loud.wav", note, sr, subtype="FLOAT")
    sf.write(tmp_path / "quiet.wav", note * np.float32(10 ** (-30 / 20)), sr, subtype="FLOAT")
    paths = [str(tmp_path / "loud.wav"), str(tmp_path / "quiet.wav")]
    kept, _ = extract_files(paths, ExtractionConfig(peak_db=None))
    scaled, _ = extract_files(paths, ExtractionConfig())
    cols = [c for c in scaled.columns if "__" in c]
    rms = "temporal_rms__mean__00"
    assert kept[rms].iloc[1] < 0.1 * kept[rms].iloc[0]  # as read: 30 dB apart
    np.testing.assert_allclose(scaled[cols].iloc[1], scaled[cols].iloc[0], rtol=1e-3, atol=1e-3)


def test_the_cli_can_keep_the_levels(tmp_path):
    from click.testing import CliRunner

    from featurekit.cli.main import cli

    corpus = make_tone_corpus(tmp_path / "c", families=("guitar",), instruments_per_family=1,
                              pitches=(60,), velocities=(100,))
    result = CliRunner().invoke(cli, ["extract", str(corpus), "--out", str(tmp_path / "f"),
                                      "--no-normalise", "-j", "1", "-q"])
    assert result.exit_code == 0, result.output
    assert fk.load_features(tmp_path / "f").attrs["featurekit"]["peak_db"] is None


def test_the_table_says_which_notes_were_trimmed(tmp_path):
    corpus = make_tone_corpus(tmp_path / "c", families=("guitar",), instruments_per_family=1,
                              pitches=(60,), velocities=(100,))
    wav = next((corpus).rglob("*.wav"))
    y, sr = sf.read(wav, dtype="float32")
    sf.write(wav, np.concatenate([np.zeros(sr // 2, np.float32), y]), sr)
    fk.extract(corpus, tmp_path / "f", n_jobs=1, progress=False)
    notes = fk.load_features(tmp_path / "f")["notes"]
    assert notes.str.contains("trimmed 0.50 s of leading silence").any()
