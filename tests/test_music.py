"""SoundFont melodies and mixes, and the predominant instrument on a held-out SoundFont."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import featurekit as fk
from featurekit.music import MUSIC_COLUMNS, mix, random_melody, render_melody, render_music_corpus
from featurekit.synth import bundled_soundfont, find_soundfonts
from featurekit.timeline import predict_timeline

pytest.importorskip("tinysoundfont")

#: Two GM programs per label: keyboard, organ, flute, string, brass.
PROGRAMS = [0, 1, 16, 19, 73, 74, 40, 41, 56, 57]


def test_random_melody_stays_on_the_scale_and_in_range():
    pitches = random_melody(np.random.default_rng(0), 200, 55, 79)
    assert len(pitches) == 200 and min(pitches) >= 55 and max(pitches) <= 79
    assert {p % 12 for p in pitches} <= {0, 2, 4, 5, 7, 9, 11}
    assert np.abs(np.diff(pitches)).max() <= 4  # steps of at most two scale degrees


def test_melody_length_and_mix_levels():
    piano = render_melody(bundled_soundfont(), 0, [60, 64, 67, 72], note_seconds=0.5)
    flute = render_melody(bundled_soundfont(), 73, [72, 71, 69, 67], note_seconds=0.5)
    assert piano.shape == flute.shape == (32000,) and piano.dtype == np.float32
    assert np.abs(piano[:8000]).max() > 0.01 and np.abs(piano[-8000:]).max() > 0.01  # all notes sound
    y = mix(piano, flute, second_db=-12.0)
    rms = lambda x: np.sqrt(np.mean(np.square(x, dtype=np.float64)))  # noqa: E731
    (a, b), *_ = np.linalg.lstsq(np.c_[piano, flute], y, rcond=None)  # y = a piano + b flute
    assert 20 * np.log10(rms(b * flute) / rms(a * piano)) == pytest.approx(-12.0, abs=0.01)
    assert np.abs(y).max() <= 0.99
    with pytest.raises(fk.ConfigError, match="0..127"):
        render_melody(bundled_soundfont(), 200, [60])


def test_music_corpus_manifest_reads_as_a_corpus(tmp_path):
    with pytest.raises(fk.ConfigError, match="distinct names"):
        render_music_corpus(tmp_path, {bundled_soundfont(): "a", "/other/TimGM6mb.sf2": "b"}, [0])
    manifest = render_music_corpus(tmp_path, {bundled_soundfont(): "train"}, [0, 73],
                                   melodies=1, mixes=1, notes=2)
    corpus = fk.read_corpus(manifest)
    notes = corpus.notes
    assert len(notes) == 4 and set(notes["label"]) == {"keyboard", "flute"}
    assert set(notes["group"]) == {"TimGM6mb:0", "TimGM6mb:73"}
    assert set(notes["library"]) == {"TimGM6mb"}
    assert list(pd.read_csv(manifest).columns) == MUSIC_COLUMNS
    mixes = notes[notes["kind"] == "mix"]
    assert set(zip(mixes["label"], mixes["second_label"])) == {("keyboard", "flute"), ("flute", "keyboard")}


def _soundfonts():
    """Usable General MIDI SoundFonts here: complete .sf2 banks, sampled (not FM), under 200 MB."""
    found = {}  # by name: a second copy of TimGM6mb is not a held-out SoundFont
    for p in find_soundfonts():  # (GUS sets such as FreePats lack some of PROGRAMS)
        if (p.suffix == ".sf2" and "opl" not in p.name.lower()
                and p.resolve().stat().st_size < 200e6):
            found.setdefault(p.stem, p)
    return sorted(found.values(), key=lambda p: p.resolve().stat().st_size)


@pytest.mark.slow
def test_predominant_instrument_of_mixes_on_a_held_out_soundfont(tmp_path):
    fonts = _soundfonts()
    if len(fonts) < 2:
        pytest.skip("needs a second General MIDI SoundFont besides the bundled TimGM6mb")
    *train_fonts, held_out = fonts  # hold out the largest (FluidR3_GM where installed)
    train = render_music_corpus(tmp_path / "train", {f: "train" for f in train_fonts}, PROGRAMS,
                                melodies=8, notes=8, seed=0)
    fk.extract(train, tmp_path / "feats", segment_seconds=1.0, n_jobs=1, progress=False)
    result = fk.train(tmp_path / "feats", "logreg", target="label", out=tmp_path / "model")
    assert result.metrics["split"]["kind"] == "group_kfold"  # grouped by (SoundFont, program)
    test = render_music_corpus(tmp_path / "test", {held_out: "test"}, PROGRAMS,
                               melodies=0, mixes=3, notes=8, seed=1)
    pieces = pd.read_csv(test)
    model = fk.load_model(tmp_path / "model")
    found = [predict_timeline(model, tmp_path / "test" / p).predominant for p in pieces["path"]]
    correct = np.mean(np.array(found) == pieces["label"].to_numpy())
    # 5 labels (chance 0.2); measured 0.67-0.83 over seeds with FluidR3_GM held out
    print(f"predominant right on {correct:.0%} of {len(found)} mixes ({held_out.name} held out)")
    assert correct >= 0.5, list(zip(pieces["path"], found))
