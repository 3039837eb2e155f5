"""featurekit synth: NSynth-format corpora rendered from the bundled TimGM6mb.sf2."""

from __future__ import annotations

import json
import re
import struct
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf
from click.testing import CliRunner

pytest.importorskip("tinysoundfont")

from featurekit.cli.main import cli  # noqa: E402
from featurekit.errors import (  # noqa: E402
    ConfigError, FeaturekitError, NearCopyWarning, OutputError,
)
from featurekit.synth import (  # noqa: E402
    FAMILIES, SOURCES, SoundFontSpec, bundled_soundfont, find_soundfonts, load_gm_table,
    render_corpus,
)
from featurekit.synth import render, similarity  # noqa: E402
from featurekit.synth.corpus import near_copy_groups  # noqa: E402

NSYNTH_FIELDS = {"note", "note_str", "instrument", "instrument_str", "instrument_family",
                 "instrument_family_str", "instrument_source", "instrument_source_str", "pitch",
                 "velocity", "sample_rate", "qualities", "qualities_str", "library"}
NSYNTH_WAV = Path(__file__).parent / "data" / "nsynth-sample" / "bass_electronic_015-048-127.wav"
#: organ, guitar, bass, violin (string), trumpet, flute, saw lead: one per family
PROGRAMS = [16, 24, 33, 40, 56, 73, 81]
SMALL = dict(programs=PROGRAMS, velocities=(50, 127), pitch_step=12, n_jobs=1, progress=False)


def _files(root: Path) -> dict:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}


def _examples(root: Path) -> dict:
    return {d.name: json.loads((d / "examples.json").read_text())
            for d in sorted(root.glob("nsynth-*"))}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    out = tmp_path_factory.mktemp("synth") / "corpus"
    return render_corpus([bundled_soundfont()], out, test_fraction=0.3, **SMALL)


@pytest.fixture(scope="module")
def patched_sf2(tmp_path_factory):
    """TimGM6mb with program 40 moved out of bank 0 (absent) and program 73 emptied (silent)."""
    data = bytearray(bundled_soundfont().read_bytes())
    start = data.index(b"phdr") + 8
    records = [struct.unpack_from("<20sHHH", data, start + 38 * k)
               for k in range(struct.unpack_from("<I", data, start - 4)[0] // 38)]
    at = {(r[1], r[2]): k for k, r in enumerate(records)}
    struct.pack_into("<H", data, start + 38 * at[40, 0] + 22, 99)  # bank 0 -> 99
    k = at[73, 0]  # a preset's zones run to the next record's: give it none
    struct.pack_into("<H", data, start + 38 * k + 24, records[k + 1][3])
    path = tmp_path_factory.mktemp("sf") / "patched.sf2"
    path.write_bytes(data)
    return path


# --- the NSynth layout ----------------------------------------------------------------
def test_layout_and_fields_are_nsynth(corpus):
    examples = _examples(corpus.out)
    assert set(examples) == {f"nsynth-{s}" for s in corpus.counts} and "nsynth-train" in examples
    table = load_gm_table()
    seen_notes = set()
    for split, notes in examples.items():
        audio = corpus.out / split / "audio"
        assert sorted(p.name for p in audio.iterdir()) == sorted(f"{k}.wav" for k in notes)
        assert len(notes) == corpus.counts[split.removeprefix("nsynth-")]
        for key, ex in notes.items():
            assert set(ex) == NSYNTH_FIELDS and ex["note_str"] == key
            assert re.fullmatch(r"[a-z_]+_[a-z]+_\d{3}", ex["instrument_str"])
            assert key.removesuffix("-short") == (
                f"{ex['instrument_str']}-{ex['pitch']:03d}-{ex['velocity']:03d}")
            assert ex["instrument_str"].startswith(
                f"{ex['instrument_family_str']}_{ex['instrument_source_str']}_")
            assert FAMILIES[ex["instrument_family"]] == ex["instrument_family_str"]
            assert SOURCES[ex["instrument_source"]] == ex["instrument_source_str"]
            assert ex["sample_rate"] == 16000 and ex["velocity"] in (50, 127)
            assert ex["qualities"] == [0] * 10 and ex["qualities_str"] == []
            row = corpus.instruments.set_index("instrument_str").loc[ex["instrument_str"]]
            assert ex["instrument"] == row["instrument"]
            gm = table.loc[row["program"]]
            assert gm.pitch_min <= ex["pitch"] <= gm.pitch_max and (ex["pitch"] - 60) % 12 == 0
            seen_notes.add(ex["note"])
    assert seen_notes == set(range(corpus.n_notes))  # unique ids over the corpus
    assert len(corpus.instruments) == len(PROGRAMS) and corpus.skipped.empty
    assert (corpus.instruments["n_notes"] > 0).all()
    assert pd.read_csv(corpus.out / "synth_instruments.csv")["instrument_str"].tolist() == \
        corpus.instruments["instrument_str"].tolist()


def test_wav_format_is_nsynth(corpus):
    wav = next(p for p in (corpus.out / "nsynth-train" / "audio").iterdir()
               if not p.stem.endswith("-short"))
    info = sf.info(wav)
    assert (info.samplerate, info.channels, info.subtype) == (16000, 1, "PCM_16")
    assert info.frames == 64000
    # byte-for-byte the header of a real NSynth note
    assert wav.read_bytes()[:44] == NSYNTH_WAV.read_bytes()[:44]


def test_read_back_by_the_corpus_reader(corpus):
    from featurekit.corpus import read_corpus

    notes = read_corpus(corpus.out).notes
    assert len(notes) == corpus.n_notes
    assert set(notes["instrument_str"]) == set(corpus.instruments["instrument_str"])


def test_note_off_releases_a_sustained_instrument(corpus):
    organ = corpus.instruments.query("program == 16").iloc[0]
    x, _ = sf.read(corpus.out / f"nsynth-{organ.split}" / "audio"
                   / f"{organ.instrument_str}-060-127.wav")
    held, released = np.sqrt(np.mean(x[8000:48000] ** 2)), np.sqrt(np.mean(x[-16000:] ** 2))
    assert released < held / 3
    assert np.abs(x[-1600:]).max() < 0.01 * np.abs(x).max()  # the release has ended


def test_notes_do_not_bleed_into_each_other():
    import tinysoundfont

    synth, sfid = render.load(str(bundled_soundfont()))
    synth.program_select(0, sfid, 0, 48)  # slow strings: a long release
    render.render_note(synth, 60, 127)
    after = render.render_note(synth, 72, 100)
    fresh = tinysoundfont.Synth(samplerate=render.RENDER_RATE)
    fresh.program_select(0, fresh.sfload(str(bundled_soundfont())), 0, 48)
    assert np.array_equal(after, render.render_note(fresh, 72, 100))


def test_every_clip_peaks_at_nsynths_level_whatever_the_velocity(corpus):
    organ = corpus.instruments.query("program == 16").iloc[0]
    audio = corpus.out / f"nsynth-{organ.split}" / "audio"
    for velocity in (50, 127):
        for name in (f"{organ.instrument_str}-060-{velocity:03d}",
                     f"{organ.instrument_str}-060-{velocity:03d}-short"):
            peak = np.abs(sf.read(audio / f"{name}.wav")[0]).max()
            assert 20 * np.log10(peak) == pytest.approx(render.NSYNTH_PEAK_DB, abs=0.01)


def test_synth_levels_keep_the_velocity_layers(tmp_path):
    result = render_corpus([bundled_soundfont()], tmp_path, programs=[16], velocities=[50, 127],
                           pitch_step=12, short_copies=0, levels="synth", n_jobs=1,
                           progress=False)
    organ = result.instruments.iloc[0]
    audio = tmp_path / f"nsynth-{organ.split}" / "audio"
    soft, loud = (np.abs(sf.read(audio / f"{organ.instrument_str}-060-{v:03d}.wav")[0]).max()
                  for v in (50, 127))
    assert 0 < soft < loud < 1


def test_unknown_levels_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="levels must be one of nsynth, synth, got 'loud'"):
        render_corpus([bundled_soundfont()], tmp_path, levels="loud")


def test_clipping_instrument_is_scaled_down_as_a_whole(tmp_path, monkeypatch):
    levels = {60: 2.0, 72: 0.5}
    monkeypatch.setattr(render, "render_note",
                        lambda synth, pitch, velocity: np.full(64000, levels[pitch], np.float32))
    done = render.render_instrument(str(bundled_soundfont()), 0, [(60, 100), (72, 100)],
                                    "keyboard_acoustic_000", str(tmp_path), levels="synth")
    assert done["gain_db"] == pytest.approx(-6.02, abs=0.01)
    loud, soft = (sf.read(tmp_path / f"keyboard_acoustic_000-{p:03d}-100.wav", dtype="int16")[0]
                  for p in (60, 72))
    assert loud.max() == 32766 and soft.max() == 8192  # 4:1 kept


def test_two_renders_are_byte_identical_whatever_the_jobs(corpus, tmp_path):
    again = render_corpus([bundled_soundfont()], tmp_path, test_fraction=0.3,
                          **{**SMALL, "n_jobs": 2})
    assert _files(again.out) == _files(corpus.out)


# --- splits ---------------------------------------------------------------------------
def test_no_instrument_in_two_splits(corpus):
    per_split = {split: {key.removesuffix("-short").rsplit("-", 2)[0] for key in notes}
                 for split, notes in _examples(corpus.out).items()}
    splits = list(per_split.values())
    assert all(not (a & b) for i, a in enumerate(splits) for b in splits[i + 1:])
    assert set().union(*splits) == set(corpus.instruments["instrument_str"])


def test_seeded_split_is_per_family_and_reproducible(tmp_path):
    fit = lambda seed, name: render_corpus(  # noqa: E731
        ["bundled"], tmp_path / name, programs=range(24, 32), velocities=(100,), pitch_step=48,
        test_fraction=0.25, valid_fraction=0.25, seed=seed, n_jobs=1, progress=False).instruments
    a, b, c = fit(0, "a"), fit(0, "b"), fit(1, "c")
    assert a["split"].value_counts().to_dict() == {"train": 4, "test": 2, "valid": 2}
    assert a["split"].tolist() == b["split"].tolist() != c["split"].tolist()


@pytest.mark.filterwarnings("ignore::featurekit.errors.NearCopyWarning")  # patched is TimGM6mb
def test_soundfont_pinned_to_a_split_and_order_independent(patched_sf2, tmp_path):
    specs = [f"{patched_sf2}:test", f"{bundled_soundfont()}:train"]
    kwargs = {**SMALL, "programs": [24, 25, 40]}
    one = render_corpus(specs, tmp_path / "a", **kwargs)
    two = render_corpus(specs[::-1], tmp_path / "b", **kwargs)
    assert one.counts.keys() == {"train", "test"}
    by_file = one.instruments.groupby("soundfont")["split"].unique()
    assert by_file[str(patched_sf2)].tolist() == ["test"]
    assert by_file[str(bundled_soundfont())].tolist() == ["train"]
    assert _examples(one.out) == _examples(two.out)


def test_piano_pitch_range_renders_every_program_over_midi_21_to_108(tmp_path):
    # the flute's playable range starts at C4; NSynth rendered every instrument over the piano's
    result = render_corpus(["bundled"], tmp_path, programs=[73], velocities=(100,), pitch_step=12,
                           n_jobs=1, progress=False, pitch_range="piano", test_fraction=0)
    pitches = {e["pitch"] for d in _examples(tmp_path).values() for e in d.values()}
    narrow = render_corpus(["bundled"], tmp_path / "narrow", programs=[73], velocities=(100,),
                           pitch_step=12, n_jobs=1, progress=False, test_fraction=0)
    assert min(pitches) < 48 and max(pitches) == 108 and result.n_notes > narrow.n_notes


def test_max_instruments_per_family(tmp_path):
    result = render_corpus(["bundled"], tmp_path, programs=[24, 25, 26, 27, 73], velocities=(100,),
                           pitch_step=48, max_instruments_per_family=2, n_jobs=1, progress=False)
    assert result.instruments["family"].value_counts().to_dict() == {"guitar": 2, "flute": 1}
    groups = result.instruments.groupby(["family", "source"])["instrument_str"]
    for (family, source), names in groups:
        assert sorted(names) == [f"{family}_{source}_{i:03d}" for i in range(len(names))]


# --- skipped presets ------------------------------------------------------------------
def test_absent_and_silent_presets_are_skipped_and_reported(patched_sf2, tmp_path):
    result = render_corpus([patched_sf2], tmp_path, **{**SMALL, "programs": [24, 40, 73, 74]})
    reasons = dict(zip(result.skipped["program"], result.skipped["reason"]))
    assert reasons[40] == "program absent from bank 0" and reasons[73].startswith("silent")
    assert result.instruments["program"].tolist() == [74, 24]  # flute_000, guitar_000
    assert result.instruments["instrument_str"].tolist() == ["flute_acoustic_000",
                                                              "guitar_acoustic_000"]
    assert len(pd.read_csv(tmp_path / "synth_skipped.csv")) == 2
    assert "Skipped 2 presets" in result.summary()


# --- the GM table and SoundFonts ------------------------------------------------------
def test_gm_table_covers_every_family_and_source_with_real_ranges():
    table = load_gm_table()
    assert set(table["family"]) == set(FAMILIES) and set(table["source"]) == set(SOURCES)
    assert ((table.pitch_min >= 21) & (table.pitch_max <= 108)
            & (table.pitch_max - table.pitch_min >= 12)).all()
    assert table.loc[40, ["family", "pitch_min", "pitch_max"]].tolist() == ["string", 55, 100]
    full = load_gm_table(include_unmapped=True)
    assert list(full.index) == list(range(128))
    assert not set(range(120, 128)) & set(table.index)  # sound effects are left out
    assert (full.loc[~full.index.isin(table.index), "comment"] != "").all()
    top = Path(__file__).parents[1] / "data" / "gm_nsynth.csv"
    assert top.is_symlink() and top.read_bytes() == (
        Path(__file__).parents[1] / "featurekit" / "data" / "gm_nsynth.csv").read_bytes()


def test_soundfont_specs_and_discovery(tmp_path):
    bundled = bundled_soundfont()
    assert bundled.name == "TimGM6mb.sf2" and bundled in find_soundfonts(dirs=[])
    spec = SoundFontSpec.parse(f"{bundled}:test:synthetic")
    assert (spec.path, spec.split, spec.synthetic) == (bundled, "test", True)
    assert SoundFontSpec.parse("bundled").path == bundled
    opl = tmp_path / "OPL3_FM.sf2"
    opl.symlink_to(bundled)
    assert SoundFontSpec.parse(opl).is_synthetic
    assert not SoundFontSpec.parse(f"{opl}:sampled").is_synthetic
    assert not SoundFontSpec.parse(bundled).is_synthetic
    assert find_soundfonts(dirs=[tmp_path], gus_configs=()) == [bundled]  # a link to a listed file is dropped


@pytest.mark.parametrize("kwargs, message", [
    ({"velocities": (0, 100)}, "got 0"),
    ({"velocities": (100, 200)}, "got 200"),
    ({"pitch_step": 0}, "pitch_step"),
    ({"programs": [10]}, "[10]"),
    ({"programs": []}, "programs must not be empty"),
    ({"test_fraction": 0.6, "valid_fraction": 0.5}, "0.6 + 0.5"),
    ({"n_jobs": 0}, "n_jobs"),
    ({"max_instruments_per_family": 0}, "max_instruments_per_family"),
    ({"pitch_range": "organ"}, "'organ'"),
    ({"soundfonts": ["/no/such.sf2"]}, "/no/such.sf2"),
    ({"soundfonts": ["bundled:tran"]}, "bundled:tran"),
    ({"soundfonts": ["bundled", str(bundled_soundfont())]}, "given twice"),
])
def test_bad_arguments_raise_config_error_naming_the_value(kwargs, message, tmp_path):
    soundfonts = kwargs.pop("soundfonts", ["bundled"])
    with pytest.raises(ConfigError, match=re.escape(message)):
        render_corpus(soundfonts, tmp_path / "out", **{**SMALL, **kwargs})


def test_existing_corpus_needs_overwrite(corpus, tmp_path):
    with pytest.raises(OutputError, match="overwrite=True"):
        render_corpus(["bundled"], corpus.out, **SMALL)
    render_corpus(["bundled"], tmp_path, **SMALL)
    again = render_corpus(["bundled"], tmp_path, **{**SMALL, "programs": [73]}, overwrite=True)
    assert {p.name for p in tmp_path.rglob("*.wav")} == {
        f"{k}.wav" for notes in _examples(tmp_path).values() for k in notes}
    assert again.instruments["instrument_str"].tolist() == ["flute_acoustic_000"]


def test_missing_tinysoundfont_says_how_to_install(monkeypatch, tmp_path):
    render.unload()
    monkeypatch.setitem(sys.modules, "tinysoundfont", None)
    with pytest.raises(FeaturekitError, match=r"pip install --no-deps tinysoundfont==0\.3\.7"):
        render_corpus(["bundled"], tmp_path, **SMALL)


# --- CLI ------------------------------------------------------------------------------
def test_cli_help():
    res = CliRunner().invoke(cli, ["synth", "--help"])
    assert res.exit_code == 0
    assert "--soundfont" in res.output and "--list-soundfonts" in res.output
    assert "featurekit synth -s bundled" in res.output


def test_cli_lists_the_bundled_soundfont():
    res = CliRunner().invoke(cli, ["synth", "--list-soundfonts"])
    assert res.exit_code == 0 and str(bundled_soundfont()) in res.output


@pytest.mark.parametrize("args, message", [
    (["--velocities", "0,200"], "got 0"),
    (["--velocities", "25,loud"], "'25,loud'"),
    (["--programs", "126"], "[126]"),
    (["--pitch-step", "0"], "got 0"),
])
def test_cli_bad_input_is_one_line_error(args, message, tmp_path):
    res = CliRunner().invoke(cli, ["synth", "-s", "bundled", "-o", str(tmp_path), *args])
    assert res.exit_code == 1
    assert message in res.output and "Traceback" not in res.output
    assert len(res.output.strip().splitlines()) == 1


def test_cli_output_equals_the_library_result(corpus, tmp_path):
    res = CliRunner().invoke(cli, ["synth", "-s", str(bundled_soundfont()), "-o", str(tmp_path),
                                   "--programs", ",".join(map(str, PROGRAMS)),
                                   "--velocities", "50,127", "--pitch-step", "12",
                                   "--test-fraction", "0.3", "-j", "1", "-q"])
    assert res.exit_code == 0, res.output
    assert _examples(tmp_path) == _examples(corpus.out)
    assert res.output.strip().splitlines()[1:] == corpus.summary().splitlines()[1:]
    assert f"Rendered {corpus.n_notes} notes of {len(PROGRAMS)} instruments" in res.output


# --- instrument identity: the library travels with every note (issue 11) ---------------
def test_examples_json_names_the_library_of_every_note(corpus):
    libraries = {ex["library"] for notes in _examples(corpus.out).values() for ex in notes.values()}
    assert libraries == {"TimGM6mb"}
    assert set(corpus.instruments["library"]) == {"TimGM6mb"}


def test_library_is_the_stem_of_the_real_file(tmp_path):
    link = tmp_path / "default-GM.sf2"
    link.symlink_to(bundled_soundfont())
    assert SoundFontSpec.parse(link).library == "TimGM6mb"


# --- only a corpus synth wrote is replaced (issue 11: data loss) -----------------------
def _snapshot(root: Path) -> dict:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}


def test_overwrite_refuses_a_corpus_synth_did_not_write(tmp_path):
    (tmp_path / "nsynth-test" / "audio").mkdir(parents=True)
    (tmp_path / "nsynth-test" / "notes.txt").write_text("my own recordings")
    before = _snapshot(tmp_path)
    with pytest.raises(OutputError, match="did not write nsynth-test"):
        render_corpus(["bundled"], tmp_path, **SMALL, overwrite=True)
    assert _snapshot(tmp_path) == before


def test_overwrite_refuses_a_file_added_to_a_rendered_corpus(tmp_path):
    render_corpus(["bundled"], tmp_path, **{**SMALL, "programs": [73]})
    (tmp_path / "nsynth-train" / "audio" / "keep.wav").write_bytes(b"mine")
    before = _snapshot(tmp_path)
    with pytest.raises(OutputError, match="keep.wav"):
        render_corpus(["bundled"], tmp_path, **{**SMALL, "programs": [73]}, overwrite=True)
    assert _snapshot(tmp_path) == before


def test_overwrite_keeps_other_files_beside_the_corpus(tmp_path):
    (tmp_path / "README.txt").write_text("about this corpus")
    render_corpus(["bundled"], tmp_path, **{**SMALL, "programs": [73]})
    render_corpus(["bundled"], tmp_path, **{**SMALL, "programs": [24]}, overwrite=True)
    assert (tmp_path / "README.txt").read_text() == "about this corpus"


def test_corpus_is_not_written_into_another_featurekit_output(tmp_path):
    from featurekit.fileio import mark_output

    (tmp_path / "model.json").write_text("{}")
    mark_output(tmp_path, "model")
    with pytest.raises(OutputError, match="featurekit model output"):
        render_corpus(["bundled"], tmp_path, **SMALL)


# --- near-copy SoundFonts (issue 11) ----------------------------------------------------
def test_waveform_correlation_of_analytic_signals():
    t = np.arange(16000) / 16000
    x = np.sin(2 * np.pi * 220 * t) * np.exp(-3 * t)
    assert similarity.waveform_correlation(x, np.roll(x, 3)) == pytest.approx(1, abs=1e-3)
    assert similarity.waveform_correlation(x, 0.25 * x) == pytest.approx(1)
    noise = np.random.default_rng(0).standard_normal((2, 16000))
    assert abs(similarity.waveform_correlation(*noise)) < 0.05
    assert np.isnan(similarity.waveform_correlation(x, np.zeros_like(x)))


def test_a_soundfont_sharing_samples_is_a_near_copy(patched_sf2):
    a = similarity.probe_waveforms(bundled_soundfont())
    b = similarity.probe_waveforms(patched_sf2)
    same = similarity.soundfont_similarity(a, b)
    assert same.near_copy and same.shared == 1 and same.n_notes == len(set(a) & set(b)) > 10


@pytest.mark.skipif(not Path("/usr/share/sounds/sf2/OPL-3_FM_128M.sf2").is_file(),
                    reason="Debian's opl3-soundfont is not installed")
def test_independent_soundfonts_are_not_near_copies():
    a = similarity.probe_waveforms(bundled_soundfont())
    b = similarity.probe_waveforms("/usr/share/sounds/sf2/OPL-3_FM_128M.sf2")
    assert not similarity.soundfont_similarity(a, b).near_copy


def test_near_copies_on_two_splits_warn(patched_sf2, tmp_path):
    with pytest.warns(NearCopyWarning, match="patched.sf2 are near-copies"):
        render_corpus([f"{bundled_soundfont()}:train", f"{patched_sf2}:test"], tmp_path,
                      **{**SMALL, "programs": [24]})


def test_near_copies_on_one_split_do_not_warn(patched_sf2, tmp_path, recwarn):
    render_corpus([f"{bundled_soundfont()}:train", f"{patched_sf2}:train"], tmp_path,
                  **{**SMALL, "programs": [24]})
    assert not [w for w in recwarn if issubclass(w.category, NearCopyWarning)]


def test_near_copies_left_to_the_seeded_split_keep_each_program_on_one_split(patched_sf2,
                                                                             tmp_path, recwarn):
    result = render_corpus([bundled_soundfont(), patched_sf2], tmp_path,
                           **{**SMALL, "programs": [24, 25, 26, 27], "velocities": (100,)},
                           test_fraction=0.5)
    inst = result.instruments
    assert inst.groupby("program")["split"].nunique().eq(1).all()
    assert set(inst["split"]) == {"train", "test"}  # 2 of the 4 programs, both copies
    assert not [w for w in recwarn if issubclass(w.category, NearCopyWarning)]


def test_near_copy_groups_join_chains():
    groups = near_copy_groups([("b", "c"), ("c", "d"), ("x", "y")])
    assert groups == {"b": "b", "c": "b", "d": "b", "x": "x", "y": "x"}


def test_cli_prints_the_near_copy_warning_on_stderr(patched_sf2, tmp_path):
    res = CliRunner().invoke(cli, ["synth", "-s", f"{bundled_soundfont()}:train",
                                   "-s", f"{patched_sf2}:test", "-o", str(tmp_path),
                                   "--programs", "24", "--velocities", "100",
                                   "--pitch-step", "12", "-j", "1", "-q"])
    assert res.exit_code == 0, res.output
    assert res.stderr.startswith("featurekit: warning: TimGM6mb.sf2 and patched.sf2 are near-copies")
    assert "near-copies" not in res.stdout


# --- CLI wording (issue 11) -------------------------------------------------------------
def test_cli_unknown_split_word_is_named(tmp_path):
    res = CliRunner().invoke(cli, ["synth", "-s", f"{bundled_soundfont()}:tset",
                                   "-o", str(tmp_path)])
    assert res.exit_code == 1
    assert "unknown split or source 'tset'" in res.output and "not found" not in res.output
    assert "train, valid, test" in res.output


def test_cli_existing_corpus_names_the_flag(corpus):
    res = CliRunner().invoke(cli, ["synth", "-s", "bundled", "-o", str(corpus.out)])
    assert res.exit_code == 1 and "pass --overwrite to replace it" in res.output
    assert "overwrite=True" not in res.output


@pytest.mark.parametrize("args", [["--jobs", "0"], ["-j", "0"], ["--n-jobs", "0"], ["--jobs", "x"]])
def test_cli_jobs_zero_is_one_clear_line(args, tmp_path):
    res = CliRunner().invoke(cli, ["synth", "-s", "bundled", "-o", str(tmp_path), *args])
    assert res.exit_code == 1 and "Traceback" not in res.output
    assert res.output.strip().splitlines() == [
        f"featurekit: error: --jobs must be a non-zero integer (N workers, or -1 for all cores, "
        f"-2 for all but one), got {args[1]!r}"]


def test_cli_n_jobs_is_a_hidden_alias_of_jobs(corpus, tmp_path):
    res = CliRunner().invoke(cli, ["synth", "-s", "bundled", "-o", str(tmp_path), "--programs",
                                   "73", "--velocities", "100", "--pitch-step", "12",
                                   "--n-jobs", "1", "-q"])
    assert res.exit_code == 0, res.output
    assert "--n-jobs" not in CliRunner().invoke(cli, ["synth", "--help"]).output


def test_default_soundfonts_are_every_sf2_once_without_sf3(tmp_path):
    from featurekit.synth import bundled_soundfont, default_soundfonts

    (tmp_path / "A.sf2").write_bytes(b"x")
    (tmp_path / "B.sf3").write_bytes(b"y")
    (tmp_path / "link.sf2").symlink_to(tmp_path / "A.sf2")
    assert default_soundfonts([tmp_path], ()) == [tmp_path / "A.sf2", bundled_soundfont()]
    (tmp_path / "TimGM6mb.sf2").write_bytes(b"z")  # a system copy replaces pretty_midi's
    assert default_soundfonts([tmp_path], ()) == [tmp_path / "A.sf2", tmp_path / "TimGM6mb.sf2"]


def test_default_soundfonts_add_installed_gus_patch_sets(tmp_path):
    from featurekit.synth import bundled_soundfont, default_soundfonts

    (tmp_path / "A.sf2").write_bytes(b"x")
    (tmp_path / "freepats.cfg").write_text("bank 0\n")
    configs = [tmp_path / "freepats.cfg", tmp_path / "not-installed.cfg"]
    assert default_soundfonts([tmp_path], configs) == [
        tmp_path / "A.sf2", bundled_soundfont(), tmp_path / "freepats.cfg"]


# --- short copies -----------------------------------------------------------------
def test_a_share_of_the_notes_has_a_short_copy_that_is_its_faded_start(tmp_path):
    out = render_corpus([bundled_soundfont()], tmp_path / "c", programs=[0, 24, 40], velocities=(100,),
                        pitch_step=6, n_jobs=1, progress=False, short_copies=0.5).out
    wavs = {p.stem: p for p in out.rglob("*.wav")}
    short = sorted(k for k in wavs if k.endswith("-short"))
    full = [k for k in wavs if not k.endswith("-short")]
    assert 0.25 * len(full) < len(short) < 0.75 * len(full)  # about half, seeded per note
    for name in short:
        x, _ = sf.read(wavs[name.removesuffix("-short")], dtype="int16")
        y, _ = sf.read(wavs[name], dtype="int16")
        assert 0.3 * 16000 <= len(y) <= 1.5 * 16000
        head, start = y[:-320].astype(float), x[:len(y) - 320].astype(float)
        scale = head @ start / (start @ start)  # each clip peak-normalised on its own
        assert scale >= 1 - 1e-3  # the start never peaks above the whole note
        np.testing.assert_allclose(head, scale * start, atol=1.5 * scale)  # the note's own start
        assert abs(int(y[-1])) <= 1  # faded out to silence


def test_the_default_corpus_gives_every_note_a_short_copy(corpus):
    keys = _all_keys(corpus)
    short = {k.removesuffix("-short") for k in keys if k.endswith("-short")}
    assert short == {k for k in keys if not k.endswith("-short")}
    assert int(corpus.instruments["short_copies"].sum()) == len(short)


def test_the_cli_default_share_is_the_librarys():
    from featurekit.cli.synth import command
    from featurekit.synth.corpus import SHORT_COPIES

    option = next(p for p in command.params if p.name == "short_copies")
    assert option.default == SHORT_COPIES


def test_the_cli_default_levels_are_the_librarys():
    from featurekit.cli.synth import command
    from featurekit.synth.corpus import LEVELS

    option = next(p for p in command.params if p.name == "levels")
    assert option.default == LEVELS


def _all_keys(corpus):
    return [k for notes in _examples(corpus.out).values() for k in notes]


def test_no_short_copies_when_asked(tmp_path):
    out = render_corpus([bundled_soundfont()], tmp_path / "c", programs=[0], velocities=(100,),
                        pitch_step=48, n_jobs=1, progress=False, short_copies=0)
    assert not any(p.stem.endswith("-short") for p in out.out.rglob("*.wav"))
