"""Label-folder and manifest corpora, long recordings cut into windows."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import soundfile as sf
from click.testing import CliRunner

import featurekit as fk
from featurekit.audio import read_clip
from featurekit.cli.main import cli
from featurekit.features import is_feature_column
from featurekit.layouts import LAYOUT_COLUMNS, detect_layout, read_label_folders, read_manifest
from featurekit.segments import segment_corpus, windows
from featurekit.testing import tone

#: label -> (format ending, sample rate, channels, seconds) of its files
FILES = {"guitar": ("wav", 22050, 1, 5.0), "organ": ("flac", 44100, 2, 3.0),
         "reed": ("ogg", 16000, 1, 7.0)}


def write_tone(path, family, seconds, rate=16000, channels=1, pitch=60, seed=0):
    y = tone(pitch, 100, family, np.random.default_rng(seed), sample_rate=rate,
             duration=seconds, held=seconds - 0.2)
    if channels == 2:
        y = np.stack([y, 0.5 * y], axis=1)
    sf.write(path, y, rate)
    return path


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    """ROOT/<label>/ with two files per label, WAV/FLAC/OGG at three rates."""
    root = tmp_path_factory.mktemp("folders")
    for label, (ext, rate, channels, seconds) in FILES.items():
        (root / label).mkdir()
        for i in range(2):
            write_tone(root / label / f"{label}{i}.{ext}", label, seconds, rate, channels, 55 + 7 * i, i)
    (root / "organ" / "notes.txt").write_text("not audio: ignored")
    return root


@pytest.fixture(scope="module")
def extracted(folders, tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    return out, fk.extract(folders, out, n_jobs=1, progress=False)


def copy_with_bad_file(folders, tmp_path):
    import shutil

    root = tmp_path / "c"
    shutil.copytree(folders, root)
    (root / "reed" / "broken.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk")
    return root


# --- label folders -------------------------------------------------------------------
def test_label_folders_are_detected_and_listed(folders):
    corpus = fk.read_corpus(folders)
    assert corpus.layout == "folders" and detect_layout(folders) == "folders"
    notes = corpus.notes
    assert list(notes.columns) == LAYOUT_COLUMNS and len(notes) == 6
    assert sorted(notes["label"].unique()) == sorted(FILES)
    assert (notes["group"] == notes["note_id"]).all() and (notes["split"] == "all").all()
    assert notes.loc[0, "note_id"] == "guitar/guitar0.wav"


def test_mixed_rates_channels_and_formats_are_extracted(extracted):
    out, result = extracted
    df = fk.load_features(out)
    assert result.exit_code == 0 and len(df) == 6
    by_id = df.set_index("note_id")
    assert "resampled from 22050 Hz" in by_id.loc["guitar/guitar0.wav", "notes"]
    assert "downmixed 2 channels" in by_id.loc["organ/organ0.flac", "notes"]
    assert "resampled from 44100 Hz" in by_id.loc["organ/organ0.flac", "notes"]
    assert by_id.loc["organ/organ0.flac", "padded"]  # 3 s < the 4 s clip
    assert not by_id.loc["reed/reed0.ogg", "padded"]  # 7 s: cut
    feats = [c for c in df.columns if is_feature_column(c)]
    assert np.isfinite(df[feats].to_numpy()).all()
    assert pd.api.types.is_string_dtype(df["label"]) and df["group"].is_unique


def test_split_folders_give_the_split_column(tmp_path):
    for split, n in (("train", 2), ("test", 1)):
        for label in ("guitar", "organ"):
            (tmp_path / split / label).mkdir(parents=True)
            for i in range(n):
                write_tone(tmp_path / split / label / f"{i}.wav", label, 1.0)
    notes = fk.read_corpus(tmp_path).notes
    assert notes.groupby("split").size().to_dict() == {"test": 2, "train": 4}
    assert set(notes["label"]) == {"guitar", "organ"}
    assert "train/guitar/0.wav" in set(notes["note_id"])


def test_audio_outside_a_label_folder_is_a_problem(tmp_path):
    (tmp_path / "organ").mkdir()
    write_tone(tmp_path / "organ" / "a.wav", "organ", 1.0)
    write_tone(tmp_path / "loose.wav", "organ", 1.0)
    corpus = read_label_folders(tmp_path)
    assert list(corpus.notes["note_id"]) == ["organ/a.wav"]
    assert corpus.problems[0][0] == "loose.wav" and "label folder" in corpus.problems[0][2]


def test_unreadable_file_is_a_recorded_failure(folders, tmp_path):
    root = copy_with_bad_file(folders, tmp_path)
    result = fk.extract(root, tmp_path / "o", n_jobs=1, progress=False)
    assert result.exit_code == 3 and result.n_rows == 6
    fail = fk.load_failures(tmp_path / "o")
    assert list(fail["note_id"]) == ["reed/broken.wav"] and "readable" in fail["error"][0]


def test_no_audio_and_nsynth_filters_are_clear_errors(tmp_path, folders):
    (tmp_path / "empty" / "label").mkdir(parents=True)
    with pytest.raises(fk.CorpusError, match="no labelled audio"):
        read_label_folders(tmp_path / "empty")
    with pytest.raises(fk.ConfigError, match="folders corpus"):
        fk.read_corpus(folders, families=["organ"])
    with pytest.raises(fk.ConfigError, match="unknown layout 'songs'"):
        fk.read_corpus(folders, layout="songs")


def test_nsynth_layouts_are_still_detected(sample_dir, tone_corpus, tmp_path):
    assert fk.read_corpus(sample_dir).layout == "nsynth-wavs"
    assert fk.read_corpus(tone_corpus).layout == "nsynth"
    (tmp_path / "sub").mkdir()  # NSynth-named WAVs in a subfolder: labels from names
    write_tone(tmp_path / "sub" / "organ_electronic_001-060-100.wav", "organ", 1.0)
    assert detect_layout(tmp_path) == "nsynth"


# --- manifests -------------------------------------------------------------------
def manifest_frame(folders):
    rows = [(f"{label}/{label}{i}.{ext}", label, f"take{i}", "train" if i == 0 else "test", i)
            for label, (ext, *_rest) in FILES.items() for i in range(2)]
    return pd.DataFrame(rows, columns=["path", "label", "group", "split", "take"])


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_manifest_csv_and_parquet(folders, suffix):
    df = manifest_frame(folders)
    path = folders / f"manifest.{suffix}"
    df.to_csv(path, index=False) if suffix == "csv" else df.to_parquet(path)
    corpus = fk.read_corpus(path)
    path.unlink()
    notes = corpus.notes
    assert corpus.layout == "manifest" and list(notes.columns) == [*LAYOUT_COLUMNS, "take"]
    assert list(notes["note_id"]) == list(df["path"])
    assert list(notes["label"]) == list(df["label"]) and list(notes["group"]) == list(df["group"])
    assert list(notes["split"]) == list(df["split"]) and list(notes["take"]) == list(df["take"])
    assert all(p.startswith(str(folders)) for p in notes["path"])


def test_manifest_defaults_and_missing_files(folders, tmp_path):
    man = tmp_path / "m.csv"
    pd.DataFrame({"Path": [str(folders / "guitar" / "guitar0.wav"), "nowhere.wav"],
                  "LABEL": ["guitar", "NA"]}).to_csv(man, index=False)
    corpus = read_manifest(man)
    assert list(corpus.notes["label"]) == ["guitar", "NA"]  # "NA" is a label, not missing
    assert list(corpus.notes["split"]) == ["all", "all"]
    assert list(corpus.notes["group"]) == list(corpus.notes["note_id"])
    result = fk.extract(man, tmp_path / "o", n_jobs=1, progress=False)
    assert result.exit_code == 3
    assert fk.load_failures(tmp_path / "o")["error"].tolist() == ["file not found"]


@pytest.mark.parametrize("csv, message", [
    ("file,label\na.wav,x\n", "lacks column 'path'; found ['file', 'label']"),
    ("path,group\na.wav,g\n", "lacks column 'label'"),
    ("path,label\nguitar/guitar0.wav,guitar\nguitar/guitar1.wav,\n", "empty 'label' at line 3"),
    ("path,label,split\nguitar/guitar0.wav,guitar,\n", "empty 'split' at line 2"),
    ("path,label\nguitar/guitar0.wav,a\n./guitar/guitar0.wav,b\n", "listed more than once (lines 2, 3)"),
    ("path,label\nmissing/a.wav,x\nmissing/b.wav,y\n", "none of its 2 files exist"),
    ("path,label,start\nguitar/guitar0.wav,x,1\n", "column 'start' clashes"),
    ("path,label\n", "lists no files"),
])
def test_bad_manifests_are_clear_errors(folders, tmp_path, csv, message):
    man = folders / f"bad-{tmp_path.name}.csv"
    man.write_text(csv)
    try:
        with pytest.raises(fk.CorpusError) as err:
            fk.read_corpus(man)
        assert message in str(err.value) and str(man) in str(err.value)
    finally:
        man.unlink()


def test_not_a_manifest_file(tmp_path):
    (tmp_path / "list.txt").write_text("path,label\n")
    with pytest.raises(fk.CorpusError, match="not a manifest"):
        fk.read_corpus(tmp_path / "list.txt")
    with pytest.raises(fk.CorpusError, match="manifest not found"):
        fk.read_corpus(tmp_path / "nope.csv")


# --- windows of long recordings ---------------------------------------------------
@pytest.mark.parametrize("duration, segment, hop, expected", [
    (8.0, 4.0, None, [(0, 4), (4, 8)]),
    (9.9, 4.0, None, [(0, 4), (4, 8)]),            # 1.9 s left < half a window: dropped
    (10.0, 4.0, None, [(0, 4), (4, 8), (8, 10)]),  # 2 s left = half a window: padded
    (1.5, 4.0, None, [(0, 1.5)]),                  # short file: one padded window
    (6.0, 4.0, 2.0, [(0, 4), (2, 6)]),             # overlap, end covered: nothing more
    (7.0, 4.0, 2.0, [(0, 4), (2, 6), (4, 7)]),
    (0.9, 0.3, 0.3, [(0, 0.3), (0.3, 0.6), (0.6, 0.9)]),  # float steps
])
def test_window_rule(duration, segment, hop, expected):
    np.testing.assert_allclose(windows(duration, segment, hop), np.array(expected, float))


@pytest.mark.parametrize("segment, hop, message", [
    (0, None, "segment_seconds must be a positive"), (2, -1, "hop_seconds must be a positive"),
    (None, 1, "needs segment_seconds"), ("abc", None, "'abc'"),
])
def test_bad_window_arguments(folders, segment, hop, message):
    with pytest.raises(fk.ConfigError, match=message):
        fk.read_corpus(folders, segment_seconds=segment, hop_seconds=hop)


def test_segmented_listing(folders, tmp_path):
    root = copy_with_bad_file(folders, tmp_path)
    corpus = fk.read_corpus(root, segment_seconds=2.0, hop_seconds=1.0)
    notes = corpus.notes
    per_file = notes.groupby("source_path").size()
    # 5 s -> starts 0,1,2,3 (+ none: end covered); 3 s -> 0,1; 7 s -> 0..5
    assert sorted(per_file.to_dict().values()) == [2, 2, 4, 4, 6, 6]
    row = notes.set_index("note_id").loc["guitar/guitar0.wav@3.000"]
    assert (row["start"], row["end"]) == (3.0, 5.0)
    assert row["group"] == "guitar/guitar0.wav" and row["source_path"] == row["path"]
    assert notes["note_id"].is_unique
    assert [p[0] for p in corpus.problems] == ["reed/broken.wav"]


def test_window_read_equals_the_slice_of_the_whole_file(tmp_path):
    path = write_tone(tmp_path / "x.flac", "organ", 5.0)
    whole = sf.read(path, dtype="float32")[0]
    clip = read_clip(path, 16000, 32000, start=2.0)
    np.testing.assert_allclose(clip.samples, whole[32000:64000], atol=1e-6)
    assert not clip.padded and clip.notes == []
    tail = read_clip(path, 16000, 32000, start=4.0)
    assert tail.padded and "padded from 1.000 s" in tail.notes
    np.testing.assert_allclose(tail.samples[:16000], whole[64000:], atol=1e-6)
    resampled = read_clip(write_tone(tmp_path / "y.wav", "organ", 5.0, rate=44100), 16000, 32000, start=1.0)
    assert not resampled.padded and resampled.samples.shape == (32000,)
    with pytest.raises(fk.AudioError, match="outside the file"):
        read_clip(path, 16000, 32000, start=6.0)


def test_segmented_extraction(folders, tmp_path):
    out = tmp_path / "o"
    result = fk.extract(folders, out, segment_seconds=2.0, n_jobs=1, progress=False)
    df = fk.load_features(out)
    # 5 s -> 0,2 + 1 s tail (= half): 3; 3 s -> 0 + 1 s tail: 2; 7 s -> 0,2,4 + 1 s tail: 4
    assert result.exit_code == 0 and len(df) == 2 * (3 + 2 + 4)
    assert df.attrs["featurekit"]["duration"] == 2.0
    manifest = json.loads((out / "featurekit.json").read_text())
    assert manifest["selection"]["hop_seconds"] == 2.0 and manifest["config"]["duration"] == 2.0
    assert df["padded"].sum() == 6 and set(df.loc[df["padded"], "start"]) == {2.0, 4.0, 6.0}
    assert (df["group"] == df["note_id"].str.split("@").str[0]).all()
    # every window of a file is in the same fold
    from sklearn.model_selection import GroupKFold

    for train, test in GroupKFold(3).split(df, groups=df["group"]):
        assert not set(df["source_path"].iloc[train]) & set(df["source_path"].iloc[test])
    again = fk.extract(folders, out, segment_seconds=2.0, n_jobs=1, progress=False)
    assert again.n_written == 0 and again.n_skipped == len(df)
    with pytest.raises(fk.ConfigError, match="different"):
        fk.extract(folders, out, segment_seconds=2.0, hop_seconds=1.0, n_jobs=1, progress=False)


def test_segmented_nsynth_notes_keep_their_metadata(sample_dir):
    notes = fk.read_corpus(sample_dir, segment_seconds=1.0).notes
    assert len(notes) == 11 * 4 and set(notes["end"]) == {1.0, 2.0, 3.0, 4.0}
    assert "instrument_family_str" in notes and "group" not in notes


# --- CLI -------------------------------------------------------------------------
def test_cli_segments_equal_the_library(folders, tmp_path):
    res = CliRunner().invoke(cli, ["extract", str(folders), "-o", str(tmp_path / "cli"), "-j", "1",
                                   "-q", "--layout", "folders", "--segment-seconds", "2",
                                   "--hop-seconds", "1"])
    assert res.exit_code == 0, res.output
    fk.extract(folders, tmp_path / "lib", layout="folders", segment_seconds=2, hop_seconds=1,
               n_jobs=1, progress=False)
    pd.testing.assert_frame_equal(fk.load_features(tmp_path / "cli"), fk.load_features(tmp_path / "lib"))


@pytest.mark.parametrize("extra, message", [
    (["--hop-seconds", "1"], "hop_seconds=1.0 needs segment_seconds"),
    (["--segment-seconds", "-2"], "segment_seconds must be a positive number of seconds, got -2.0"),
])
def test_cli_bad_windows_are_one_line_errors(folders, tmp_path, extra, message):
    res = CliRunner().invoke(cli, ["extract", str(folders), "-o", str(tmp_path / "o"), "-q", *extra])
    assert res.exit_code == 1 and message in res.output
    assert len(res.output.strip().splitlines()) == 1


def test_cli_bad_manifest_is_a_one_line_error(tmp_path):
    (tmp_path / "m.csv").write_text("file,label\na.wav,x\n")
    res = CliRunner().invoke(cli, ["extract", str(tmp_path / "m.csv"), "-o", str(tmp_path / "o")])
    assert res.exit_code == 1 and "lacks column 'path'" in res.output
    assert len(res.output.strip().splitlines()) == 1


def test_segment_corpus_on_an_empty_listing(folders):
    corpus = read_label_folders(folders)
    empty = segment_corpus(type(corpus)(corpus.notes.iloc[:0], [], corpus.root, "folders"), 1.0)
    assert empty.notes.empty and {"source_path", "start", "end"} <= set(empty.notes.columns)


# --- listing audio files, libraries, errors ---------------------------------------
def test_list_audio_files_skips_hidden_files_and_folders_and_sorts(tmp_path):
    from featurekit.corpus import list_audio_files

    for rel in ["b/2.WAV", "b/1.flac", "a.ogg", ".hidden.wav", ".cache/x.wav", "b/.y/z.mp3",
                "notes.txt", "b/c/3.aiff"]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(b"")
    got = [p.relative_to(tmp_path).as_posix() for p in fk.list_audio_files(tmp_path)]
    assert got == ["a.ogg", "b/1.flac", "b/2.WAV", "b/c/3.aiff"]
    assert list_audio_files(tmp_path / "b" / ".y") == [tmp_path / "b" / ".y" / "z.mp3"]
    with pytest.raises(fk.CorpusError, match="not a folder"):
        list_audio_files(tmp_path / "a.ogg")


def test_library_column_of_manifests_and_folders(folders, tmp_path):
    man = tmp_path / "m.csv"
    pd.DataFrame({"path": [str(folders / "guitar" / "guitar0.wav"), str(folders / "guitar" / "guitar1.wav")],
                  "label": ["guitar", "guitar"], "Library": ["IRMAS", ""]}).to_csv(man, index=False)
    assert fk.read_corpus(man).notes["library"].fillna("-").tolist() == ["IRMAS", "-"]  # blank: None
    plain = tmp_path / "p.csv"
    pd.DataFrame({"path": [str(folders / "guitar" / "guitar0.wav")], "label": ["g"]}).to_csv(plain, index=False)
    assert fk.read_corpus(plain).notes["library"].isna().all()
    assert fk.read_corpus(folders).notes["library"].isna().all()
    fk.extract(man, tmp_path / "o", n_jobs=1, progress=False)
    assert sorted(fk.load_features(tmp_path / "o")["library"].fillna("-")) == ["-", "IRMAS"]


def test_read_manifest_is_the_corpus_manifest_reader():
    from featurekit.corpus import read_corpus_manifest

    assert fk.read_manifest is read_manifest is read_corpus_manifest is fk.read_corpus_manifest


@pytest.mark.parametrize("content", [None, "notes.txt"])
def test_a_folder_without_notes_names_every_layout_accepted(tmp_path, content):
    if content:
        (tmp_path / content).write_text("no audio here")
    with pytest.raises(fk.CorpusError) as err:
        fk.read_corpus(tmp_path)
    msg = str(err.value)
    for layout in ("folder per label", "CSV or Parquet manifest", "NSynth root",
                   "one NSynth split", "NSynth-named audio files", ".flac"):
        assert layout in msg
    assert "\n" not in msg
