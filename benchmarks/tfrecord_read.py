"""NSynth TFRecords: listing and extraction speed, against the same notes as files.

Writes the notes of an NSynth split folder (``examples.json`` + ``audio/``,
WAV or FLAC) as one ``nsynth-test.tfrecord`` (float32 samples, as Magenta's
files), then times

* listing it (``featurekit.read_corpus``: metadata read, audio seeked over),
* extracting it (``featurekit.extract``, default preset),
* extracting the same notes from their audio files (``extract_files``),

and checks that both give the same features.

usage: python benchmarks/tfrecord_read.py SPLIT_DIR SCRATCH_DIR [--jobs N]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import soundfile as sf

import featurekit as fk
from featurekit import tfrecord


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("split_dir", type=Path)
    ap.add_argument("scratch", type=Path)
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    examples = json.loads((args.split_dir / "examples.json").read_text())
    files = {p.stem: p for p in (args.split_dir / "audio").iterdir()}
    keys = sorted(k for k in examples if k in files)

    def records():
        for k in keys:
            audio, _ = sf.read(files[k], dtype="float32")
            yield tfrecord.encode_example({**examples[k], "audio": audio})

    args.scratch.mkdir(parents=True, exist_ok=True)
    path = args.scratch / "nsynth-test.tfrecord"
    t0 = time.perf_counter()
    tfrecord.write_tfrecord(path, records())
    print(f"wrote {len(keys)} records, {path.stat().st_size / 1e6:.0f} MB, "
          f"in {time.perf_counter() - t0:.1f} s")

    t0 = time.perf_counter()
    corpus = fk.read_corpus(path)
    dt = time.perf_counter() - t0
    print(f"listing: {len(corpus.notes)} notes in {dt:.2f} s ({len(corpus.notes) / dt:.0f} notes/s)")

    out = args.scratch / "feats-tfrecord"
    res = fk.extract(path, out, n_jobs=args.jobs, progress=False)
    print(f"extract from TFRecord: {res.n_written} notes in {res.seconds:.1f} s "
          f"({res.n_written / res.seconds:.0f} notes/s, {args.jobs} jobs)")

    config = fk.ExtractionConfig()
    t0 = time.perf_counter()
    feats, _ = fk.extract_files([files[k] for k in keys], config, n_jobs=args.jobs)
    dt = time.perf_counter() - t0
    print(f"extract_files from {files[keys[0]].suffix} files: {len(feats)} notes in {dt:.1f} s "
          f"({len(feats) / dt:.0f} notes/s, {args.jobs} jobs)")

    table = fk.load_features(out).sort_values("note_str")
    cols = [c for c in feats.columns if "__" in c]
    same = np.array_equal(table[cols].to_numpy(), feats[cols].to_numpy())
    print(f"identical features: {same}")


if __name__ == "__main__":
    main()
