"""Benchmark: featurekit extract vs a per-file librosa loop; CPU, wall, memory.

Prints, for an NSynth-format corpus (synthetic tones by default, or any corpus
given with --corpus):

* featurekit's CPU-ms per 4-second note *including start-up* (the CLI run as a
  fresh process; user+sys CPU of it and its worker processes), wall time and
  notes/s with --jobs workers;
* the same kind of features computed by a typical per-file librosa loop
  (librosa.load, then one librosa.feature call per feature, each recomputing
  its STFT), CPU-ms per note, and the speed-up;
* the projected wall time for the full NSynth corpus (305,979 notes);
* optionally (--rss-notes 20000) the peak resident memory of the whole
  process tree while extracting that many notes.

Usage::

    python benchmarks/extract_speed.py                 # 2,112 tone notes, 2 jobs
    python benchmarks/extract_speed.py --rss-notes 20000
    python benchmarks/extract_speed.py --corpus /data/nsynth-test
    python benchmarks/extract_speed.py --preset transfer --no-baseline --notes 1000
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

NSYNTH_NOTES = 305_979


def make_corpus(root: Path, notes: int) -> Path:
    from featurekit.corpus import FAMILIES
    from featurekit.testing import make_tone_corpus

    per_pitch = 11 * 4 * 2  # families x instruments x velocities
    pitches = tuple(range(24, 24 + max(1, -(-notes // per_pitch))))
    return make_tone_corpus(root, families=FAMILIES, instruments_per_family=4,
                            pitches=pitches, velocities=(64, 127))


def replicate(corpus: Path, root: Path, notes: int) -> Path:
    """A larger corpus of hard links to ``corpus``'s files under new instrument names."""
    examples, audio = {}, root / "nsynth-train" / "audio"
    audio.mkdir(parents=True)
    base = [(split, k, v) for split in sorted(corpus.glob("nsynth-*"))
            for k, v in json.loads((split / "examples.json").read_text()).items()]
    copy = 0
    while len(examples) < notes:
        for split, key, ex in base:
            if len(examples) >= notes:
                break
            inst = f"{ex['instrument_str'][:-3]}{copy * 100 + int(ex['instrument_str'][-3:]):03d}"
            note_str = f"{inst}-{ex['pitch']:03d}-{ex['velocity']:03d}"
            os.link(split / "audio" / f"{key}.wav", audio / f"{note_str}.wav")
            examples[note_str] = {**ex, "note_str": note_str, "instrument_str": inst}
        copy += 1
    (root / "nsynth-train" / "examples.json").write_text(json.dumps(examples))
    return root


class TreeRSS(threading.Thread):
    """Samples the summed RSS of a process and all its descendants (Linux /proc)."""

    def __init__(self, pid, interval=0.1):
        super().__init__(daemon=True)
        self.pid, self.interval, self.peak, self.stop = pid, interval, 0, threading.Event()

    def _tree_rss(self):
        parents, rss = {}, {}
        for d in os.listdir("/proc"):
            if d.isdigit():
                try:
                    with open(f"/proc/{d}/stat") as fh:
                        fields = fh.read().rsplit(")", 1)[1].split()
                    parents[int(d)] = int(fields[1])
                    rss[int(d)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
                except (OSError, IndexError, ValueError):
                    pass
        tree, frontier = {self.pid}, [self.pid]
        while frontier:
            p = frontier.pop()
            kids = [c for c, pp in parents.items() if pp == p and c not in tree]
            tree.update(kids)
            frontier.extend(kids)
        return sum(rss.get(p, 0) for p in tree)

    def run(self):
        while not self.stop.is_set():
            self.peak = max(self.peak, self._tree_rss())
            time.sleep(self.interval)


def run_cli(corpus, out, jobs, watch_rss=False, preset="default"):
    """Run ``featurekit extract`` as a fresh process; (wall s, CPU s, peak tree RSS bytes)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    cmd = [sys.executable, "-m", "featurekit.cli.main", "extract", str(corpus), "--out", str(out),
           "--jobs", str(jobs), "--quiet", "--preset", preset]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    watcher = TreeRSS(proc.pid) if watch_rss else None
    if watcher:
        watcher.start()
    proc.wait()
    wall = time.perf_counter() - t0
    if watcher:
        watcher.stop.set()
        watcher.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode not in (0, 3):
        sys.exit(f"featurekit extract failed with exit code {proc.returncode}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, (watcher.peak if watcher else None)


def librosa_loop(paths):
    """CPU seconds per note of a typical per-file librosa feature script."""
    import librosa

    def features(path):
        y, sr = librosa.load(path, sr=16000)
        kw = dict(n_fft=1024, hop_length=512)
        mfcc = librosa.feature.mfcc(y=y, sr=sr, n_mfcc=20, n_mels=64, **kw)
        parts = [mfcc, librosa.feature.delta(mfcc),
                 librosa.feature.spectral_centroid(y=y, sr=sr, **kw),
                 librosa.feature.spectral_bandwidth(y=y, sr=sr, **kw),
                 librosa.feature.spectral_rolloff(y=y, sr=sr, **kw),
                 librosa.feature.spectral_flatness(y=y, **kw),
                 librosa.feature.spectral_contrast(y=y, sr=sr, **kw),
                 librosa.feature.chroma_stft(y=y, sr=sr, **kw),
                 librosa.feature.zero_crossing_rate(y, frame_length=1024, hop_length=512),
                 librosa.feature.rms(y=y, frame_length=1024, hop_length=512)]
        return np.concatenate([np.r_[p.mean(axis=1), p.std(axis=1)] for p in parts])

    features(paths[0])  # numba JIT and caches: not counted, in the baseline's favour
    t0 = time.process_time()
    for p in paths:
        features(p)
    return (time.process_time() - t0) / len(paths)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, help="NSynth-format corpus (default: synthesise tones)")
    ap.add_argument("--notes", type=int, default=2000, help="tone notes to synthesise (default 2000)")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--baseline-notes", type=int, default=150, help="notes timed for the librosa loop")
    ap.add_argument("--rss-notes", type=int, default=0, help="also measure peak RSS on this many notes")
    ap.add_argument("--workdir", type=Path, help="where to write corpora and tables (default: a temp dir)")
    ap.add_argument("--preset", default="default",
                    help="extraction preset (e.g. transfer: default + MusiCNN embeddings)")
    ap.add_argument("--no-baseline", action="store_true", help="skip the librosa loop")
    args = ap.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="fk-bench-", dir=args.workdir))
    try:
        corpus = args.corpus
        if corpus is None:
            t0 = time.perf_counter()
            corpus = make_corpus(work / "corpus", args.notes)
            print(f"synthesised tone corpus in {time.perf_counter() - t0:.1f} s")
        from featurekit.corpus import read_corpus

        listing = read_corpus(corpus)
        n = len(listing.notes)
        print(f"corpus: {corpus} ({n} notes), {os.cpu_count()} cores, --jobs {args.jobs}")

        small = listing.notes["note_id"].iloc[: min(64, n)]
        tiny = work / "tiny"
        (tiny / "audio").mkdir(parents=True)
        for nid, path in zip(small, listing.notes["path"].iloc[: len(small)]):
            os.symlink(path, tiny / "audio" / Path(nid).name)
        wall0, cpu0, _ = run_cli(tiny / "audio", work / "out-tiny", args.jobs, preset=args.preset)
        wall, cpu, _ = run_cli(corpus, work / "out", args.jobs, preset=args.preset)
        per_note_wall = max(wall - wall0, 1e-9) / max(n - len(small), 1)
        print(f"\nfeaturekit extract ({args.preset} preset, fresh process, start-up included)")
        print(f"  {n} notes: wall {wall:.2f} s ({n / wall:.0f} notes/s), CPU {cpu:.2f} s "
              f"= {1000 * cpu / n:.2f} CPU-ms/note")
        print(f"  start-up (64-note run): wall {wall0:.2f} s, CPU {cpu0:.2f} s")
        print(f"  steady state: {1000 * per_note_wall:.2f} wall-ms/note on {args.jobs} jobs")
        projected = wall0 + per_note_wall * NSYNTH_NOTES
        print(f"  projected full NSynth ({NSYNTH_NOTES:,} notes): {projected / 60:.1f} min wall")

        if not args.no_baseline:
            paths = listing.notes["path"].iloc[: args.baseline_notes].tolist()
            base = librosa_loop(paths)
            print(f"\nper-file librosa loop (same kinds of features, {len(paths)} notes, 1 process)")
            print(f"  {1000 * base:.2f} CPU-ms/note -> featurekit is {base / (cpu / n):.1f}x "
                  "faster per CPU-second")
            print(f"  projected full NSynth: {base * NSYNTH_NOTES / 3600:.1f} h on one core")

        if args.rss_notes:
            big = replicate(Path(corpus), work / "big", args.rss_notes)
            wall, cpu, peak = run_cli(big, work / "out-big", args.jobs, watch_rss=True,
                                      preset=args.preset)
            print(f"\n{args.rss_notes} notes: wall {wall:.1f} s, CPU {1000 * cpu / args.rss_notes:.2f} "
                  f"CPU-ms/note, peak RSS of the process tree {peak / 2**20:.0f} MiB")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
