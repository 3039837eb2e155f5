"""The NSynth listing at scale: examples.json streamed, rows held compactly."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import featurekit as fk
from featurekit.corpus import Corpus
from featurekit.corpus.nsynth import iter_json_object

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=150, deadline=None)
@given(entries=st.dictionaries(st.text(), json_values, max_size=6),
       indent=st.sampled_from([None, 0, 2]), chunk=st.integers(1, 40))
def test_streamed_object_equals_json_load(tmp_path_factory, entries, indent, chunk):
    path = tmp_path_factory.mktemp("j") / "examples.json"
    path.write_text(json.dumps(entries, indent=indent), encoding="utf-8")
    assert dict(iter_json_object(path, chunk_chars=chunk)) == entries


def test_a_number_cut_by_a_chunk_boundary_is_read_whole(tmp_path):
    path = tmp_path / "e.json"
    path.write_text('{"a": 123456789, "b": [1.25e10]}')
    for chunk in range(1, 12):
        assert dict(iter_json_object(path, chunk_chars=chunk)) == {"a": 123456789, "b": [1.25e10]}


@pytest.mark.parametrize("text", ['[1, 2]', '{"a": 1', '{"a" 1}', '{"a": 1,}', '{"a": tru}', ''])
def test_what_is_not_one_json_object_raises_value_error(tmp_path, text):
    path = tmp_path / "e.json"
    path.write_text(text)
    with pytest.raises(ValueError):
        dict(iter_json_object(path, chunk_chars=3))


def test_compact_listing_gives_the_rows_a_dataframe_listing_gives(tone_corpus):
    corpus = fk.read_corpus(tone_corpus)
    notes = corpus.notes
    assert isinstance(notes, pd.DataFrame) and len(corpus) == len(notes)
    assert list(notes.columns) == fk.schema.NSYNTH_COLUMNS
    assert notes["note_id"].is_monotonic_increasing and notes["note_id"].is_unique
    assert (notes["path"] == [str(tone_corpus / i) for i in notes["note_id"]]).all()
    assert notes["pitch"].dtype == "int64"
    assert notes["instrument_str"].dtype == pd.DataFrame({"s": ["a"]})["s"].dtype  # as pandas makes str
    assert all(isinstance(q, list) for q in notes["qualities"])
    plain = Corpus(notes.copy(), corpus.problems, corpus.root, corpus.layout)
    for rows in ([3, 0, 7], [5]):
        assert corpus.take(rows).equals(plain.take(rows))
    assert (corpus.isin(notes["note_id"][:4]) == plain.isin(notes["note_id"][:4])).all()


def test_first_entry_of_a_repeated_note_id_is_kept(tmp_path, tone_corpus):
    split = tmp_path / "c" / "nsynth-train"
    shutil.copytree(tone_corpus / "nsynth-train", split)
    text = (split / "examples.json").read_text()
    key, entry = next(iter(json.loads(text).items()))
    again = json.dumps({**entry, "pitch": entry["pitch"] + 1})
    (split / "examples.json").write_text(text.rstrip()[:-1] + f", {json.dumps(key)}: {again}}}")
    notes = fk.read_corpus(tmp_path / "c").notes
    row = notes[notes["note_str"] == key]
    assert len(row) == 1 and row["pitch"].iloc[0] == entry["pitch"]


def test_examples_json_broken_halfway_falls_back_to_file_names_only(tmp_path, tone_corpus):
    split = tmp_path / "c" / "nsynth-train"
    shutil.copytree(tone_corpus / "nsynth-train", split)
    text = (split / "examples.json").read_text()
    (split / "examples.json").write_text(text[: len(text) // 2])
    corpus = fk.read_corpus(tmp_path / "c")
    assert len(corpus.problems) == 1 and "malformed examples.json" in corpus.problems[0][2]
    assert len(corpus) == len(list((split / "audio").glob("*.wav")))
    assert (corpus.notes["instrument"] == -1).all()  # labels from names, none from the half file


def test_an_entry_with_an_out_of_range_number_is_one_problem(tmp_path, tone_corpus):
    split = tmp_path / "c" / "nsynth-train"
    shutil.copytree(tone_corpus / "nsynth-train", split)
    examples = json.loads((split / "examples.json").read_text())
    key = sorted(examples)[0]
    examples[key]["pitch"] = 10**6
    (split / "examples.json").write_text(json.dumps(examples))
    corpus = fk.read_corpus(tmp_path / "c")
    assert [p[2] for p in corpus.problems] == [f"bad examples.json entry {key!r}: ValueError pitch 1000000 is out of range"]
    assert len(corpus) == len(examples) - 1
