"""NSynth as TFRecords: framing, tf.train.Example protobuf, corpus and extraction."""

from __future__ import annotations

import json
import shutil
import struct

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner

import featurekit as fk
from featurekit import tfrecord as tfr
from featurekit.corpus import NSYNTH_COLUMNS, QUALITIES, parse_note_str
from featurekit.errors import ConfigError, CorpusError


# --- checksums and wire format -------------------------------------------------
def test_crc32c_check_value():
    """The standard check value of CRC-32C ('123456789' -> 0xE3069283), both implementations."""
    assert tfr.crc32c(b"123456789") == 0xE3069283
    assert tfr._crc32c_python(b"123456789") == 0xE3069283


def test_fast_and_table_crc_agree():
    data = np.random.default_rng(0).bytes(3000)
    assert tfr.crc32c(data) == tfr._crc32c_python(data)


def test_example_bytes_match_the_protobuf_wire_format():
    """Example{features{feature{key:"a" value{int64_list{value:[1]}}}}}, encoded by hand."""
    wire = bytes.fromhex("0a0c0a0a0a016112051a030a0101")
    assert tfr.encode_example({"a": [1]}) == wire
    assert tfr.parse_example(wire) == {"a": [1]}


@pytest.mark.parametrize("packed", [True, False])
def test_example_round_trip(packed):
    audio = np.linspace(-1, 1, 1001, dtype=np.float32)
    feats = {"s": "note", "b": [b"x", b"yz"], "i": [3, -7, 2**40], "f": audio, "one": 5}
    got = tfr.parse_example(tfr.encode_example(feats, packed=packed))
    assert got["s"] == [b"note"] and got["b"] == [b"x", b"yz"]
    assert got["i"] == [3, -7, 2**40] and got["one"] == [5]
    np.testing.assert_array_equal(got["f"], audio)


def test_framing_round_trip(tmp_path):
    records = [b"", b"abc", np.random.default_rng(1).bytes(70000)]
    path = tfr.write_tfrecord(tmp_path / "x.tfrecord", records)
    got = list(tfr.iter_records(path))
    assert [d for _, d in got] == records
    assert [o for o, _ in got] == [0, 16, 16 + 16 + 3]
    length, crc = struct.unpack("<QI", path.read_bytes()[16:28])
    assert length == 3 and crc == tfr.masked_crc(struct.pack("<Q", 3))


def test_truncated_file_is_a_corpus_error(tmp_path):
    path = tfr.write_tfrecord(tmp_path / "x.tfrecord", [b"a" * 100, b"b" * 100])
    path.write_bytes(path.read_bytes()[:-20])
    with pytest.raises(CorpusError, match="truncated record at byte 116"):
        list(tfr.iter_records(path))


def test_corrupt_length_is_a_corpus_error(tmp_path):
    path = tfr.write_tfrecord(tmp_path / "x.tfrecord", [b"a" * 100])
    data = bytearray(path.read_bytes())
    data[0] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(CorpusError, match="corrupt record length at byte 0"):
        list(tfr.iter_records(path))


# --- NSynth corpora ------------------------------------------------------------
def nsynth_example(note_str, audio, instrument):
    labels = parse_note_str(note_str)
    qualities = [int(i % 3 == 0) for i in range(len(QUALITIES))]
    return {
        "note": 1000 + instrument, "note_str": note_str, "instrument": instrument,
        "instrument_str": labels["instrument_str"], "pitch": labels["pitch"],
        "velocity": labels["velocity"], "sample_rate": 16000, "audio": audio,
        "qualities": qualities, "qualities_str": [q for q, on in zip(QUALITIES, qualities) if on],
        "instrument_family": labels["instrument_family"],
        "instrument_family_str": labels["instrument_family_str"],
        "instrument_source": labels["instrument_source"],
        "instrument_source_str": labels["instrument_source_str"],
    }


@pytest.fixture(scope="module")
def pair(tmp_path_factory, sample_dir):
    """The 11 sample notes as a jsonwav split and as nsynth-test.tfrecord."""
    root = tmp_path_factory.mktemp("nsynth")
    split = root / "jsonwav" / "nsynth-test"
    (split / "audio").mkdir(parents=True)
    examples, records = {}, []
    for i, wav in enumerate(sorted(sample_dir.glob("*.wav"))):
        audio, rate = sf.read(wav, dtype="float32")
        assert rate == 16000
        shutil.copy(wav, split / "audio" / wav.name)
        ex = nsynth_example(wav.stem, audio, i)
        examples[wav.stem] = {k: (v.tolist() if isinstance(v, np.ndarray) else v)
                              for k, v in ex.items() if k != "audio"}
        records.append(tfr.encode_example(ex, packed=i != 1))  # one unpacked, as old writers did
    (split / "examples.json").write_text(json.dumps(examples))
    path = tfr.write_tfrecord(root / "tf" / "nsynth-test.tfrecord", records)
    return split, path


def test_tfrecord_corpus_has_the_jsonwav_columns(pair):
    split, path = pair
    a = fk.read_corpus(split).notes
    b = fk.read_corpus(path)
    assert b.layout == "nsynth-tfrecord" and not b.problems
    assert list(b.notes.columns) == list(a.columns) == NSYNTH_COLUMNS
    meta = [c for c in NSYNTH_COLUMNS if c not in ("note_id", "path")]
    left = a.sort_values("note_str")[meta].reset_index(drop=True)
    right = b.notes.sort_values("note_str")[meta].reset_index(drop=True)
    assert left.astype(str).equals(right.astype(str))
    assert set(b.notes["split"]) == {"test"}
    assert b.notes["note_id"].iloc[0] == f"nsynth-test.tfrecord/{b.notes['note_str'].iloc[0]}"


def test_record_audio_is_the_wav(pair, sample_dir):
    _, path = pair
    row = fk.read_corpus(path).notes.iloc[3]
    samples, rate = tfr.record_samples(row["path"])
    wav, _ = sf.read(sample_dir / f"{row['note_str']}.wav", dtype="float32")
    assert rate == 16000
    np.testing.assert_array_equal(samples[:, 0], wav)


@pytest.mark.slow
def test_extract_tfrecord_equals_jsonwav_and_resumes(pair, tmp_path):
    split, path = pair
    fk.extract(split, tmp_path / "a", n_jobs=1, progress=False)
    first = fk.extract(path, tmp_path / "b", n_jobs=2, chunk_size=4, progress=False)
    assert first.n_written == 11 and first.n_failures == 0
    again = fk.extract(path, tmp_path / "b", n_jobs=1, progress=False)
    assert again.n_skipped == 11 and again.n_written == 0
    a = fk.load_features(tmp_path / "a").sort_values("note_str").reset_index(drop=True)
    b = fk.load_features(tmp_path / "b").sort_values("note_str").reset_index(drop=True)
    cols = [c for c in a.columns if "__" in c]
    np.testing.assert_array_equal(a[cols].to_numpy(), b[cols].to_numpy())


def test_families_filter(pair):
    notes = fk.read_corpus(pair[1], families=["bass", "flute"]).notes
    assert sorted(notes["instrument_family_str"]) == ["bass", "flute"]


def test_corrupt_record_is_one_failure(pair, tmp_path):
    _, path = pair
    data = bytearray(path.read_bytes())
    offsets = [o for o, _ in tfr.iter_records(path)]
    data[offsets[2] + 12 + 5000] ^= 0x55  # inside the third record's data
    bad = tmp_path / "nsynth-valid.tfrecord"
    bad.write_bytes(bytes(data))
    result = fk.extract(bad, tmp_path / "out", n_jobs=1, progress=False)
    assert result.n_rows == 10 and result.n_failures == 1
    assert "CRC mismatch" in result.failures["error"].iloc[0]
    assert set(fk.load_features(tmp_path / "out")["split"]) == {"valid"}


def test_folder_of_tfrecords(pair, tmp_path):
    _, path = pair
    shutil.copy(path, tmp_path / "nsynth-test.tfrecord")
    shutil.copy(path, tmp_path / "nsynth-valid.tfrecord")
    notes = fk.read_corpus(tmp_path).notes
    assert len(notes) == 22 and notes.groupby("split").size().to_dict() == {"test": 11, "valid": 11}


def test_segments_are_refused(pair):
    with pytest.raises(ConfigError, match="do not apply to NSynth TFRecords"):
        fk.read_corpus(pair[1], segment_seconds=1.0)


def test_cli_extract_tfrecord(pair, tmp_path):
    from featurekit.cli.main import cli

    res = CliRunner().invoke(cli, ["extract", str(pair[1]), "--out", str(tmp_path / "o"),
                                   "-j", "1", "-q", "--families", "guitar,reed"])
    assert res.exit_code == 0, res.output
    assert len(fk.load_features(tmp_path / "o")) == 2


def test_info_on_a_tfrecord(pair):
    s = fk.info(pair[1])
    assert s["layout"] == "nsynth-tfrecord" and s["n_notes"] == 11
    assert s["sample_rates"] == {"16000": 11} and s["counts"]["split"] == {"test": 11}
