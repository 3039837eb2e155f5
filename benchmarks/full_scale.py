"""Extraction at NSynth scale, measured end to end: 20,000 and 305,979 notes.

Builds NSynth-layout corpora with NSynth's split proportions (the full size is
exactly NSynth's: 289,205 train / 12,678 valid / 4,096 test notes) from copies
of a small rendered corpus (``featurekit synth``), each copy under new
instrument numbers and with one sample changed, so that every file is
distinct.  Then, per size, as fresh processes (``featurekit extract CORPUS
--out DIR -q``), it prints:

* wall time, CPU per note (user + system of the whole process tree), the
  workers' kernel share, and the peak RSS of the process tree (sampled from
  /proc every 0.2 s);
* the re-run of the finished extraction (nothing to do);
* SIGKILL of the whole process group at a random moment, then a re-run: the
  table must be identical (content hash of the table sorted by ``note_id``);
* ``featurekit.load_features`` of the table (fresh process: wall, CPU, peak RSS);
* pandas, polars and duckdb reading ``DIR/features`` in one call each.

It needs ~128 KiB of disk per note (40 GB at full size): it refuses to run
without ``--yes`` and prints what it needs.  On a shared machine wall times
are inflated; CPU per note is the steady figure.

Measured 2026-12-01 on the project's idle 2-core VM (``python
benchmarks/full_scale.py --yes``; README "Extraction end to end at scale")::

    20,000 notes:
      extract: 28 s wall, 2.57 CPU-ms/note (51 s user+sys of the tree), workers' sys 6 s of 48 s (12 %),
        peak tree RSS 784 MiB (driver alone 254 MiB), rc 0
      re-run of the finished extraction: 1.0 s wall, peak RSS 132 MiB
      SIGKILL then re-run: table IDENTICAL
    305,979 notes:
      built corpus-305979: 305,979 notes {'train': 289205, 'valid': 12678, 'test': 4096} in 105 s
      extract: 399 s wall, 2.22 CPU-ms/note (678 s user+sys of the tree), workers' sys 61 s of 649 s (9 %),
        peak tree RSS 827 MiB (driver alone 342 MiB), rc 0
      re-run of the finished extraction: 1.2 s wall, peak RSS 137 MiB
      SIGKILL at 309 s (killed), re-run 269 s: table IDENTICAL (7c5ceeeb6338fcdb vs 7c5ceeeb6338fcdb)
      load_features: 3.5 s wall, 3.1 s CPU, 305,979 x 215 (401 MiB as a DataFrame), peak RSS 1043 MiB
      readers: pandas 305,979 rows 0.5 s same rows; polars 305,979 rows 0.6 s same rows;
        duckdb 305,979 rows 2.2 s same rows
    peak tree RSS 784 -> 827 MiB (+5 %) from 20,000 to 305,979 notes

Usage::

    python benchmarks/full_scale.py --yes --sizes 20000
    python benchmarks/full_scale.py --yes                   # 20,000 and 305,979
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import signal
import struct
import subprocess
import sys
import time
from pathlib import Path

NSYNTH_SPLITS = {"train": 289_205, "valid": 12_678, "test": 4_096}
FULL = sum(NSYNTH_SPLITS.values())  # 305,979
BYTES_PER_NOTE = 128_044  # 4 s of 16 kHz 16-bit mono WAV
PAGE = os.sysconf("SC_PAGE_SIZE")
TICK = os.sysconf("SC_CLK_TCK")


def split_sizes(n: int) -> dict:
    """NSynth's split proportions scaled to ``n`` notes (exact at 305,979)."""
    sizes = {s: round(n * k / FULL) for s, k in NSYNTH_SPLITS.items()}
    sizes["train"] += n - sum(sizes.values())
    return sizes


def base_notes(base: Path) -> list:
    """(examples.json entry, wav path) of every note of a rendered corpus, in a fixed order."""
    notes = []
    for ex_path in sorted(base.glob("nsynth-*/examples.json")):
        examples = json.loads(ex_path.read_text())
        for key in sorted(examples):
            wav = ex_path.parent / "audio" / f"{key}.wav"
            if wav.is_file():
                notes.append((examples[key], wav))
    return notes


def build_corpus(base: Path, root: Path, n: int) -> Path:
    """An NSynth jsonwav corpus of ``n`` distinct notes at ``root`` (reused if complete)."""
    done = root / ".complete"
    if done.exists() and done.read_text() == str(n):
        return root
    if root.exists():
        shutil.rmtree(root)
    notes = base_notes(base)
    sizes = split_sizes(n)
    t0 = time.perf_counter()
    copy = 0
    written = 0
    for split, size in sizes.items():
        audio = root / f"nsynth-{split}" / "audio"
        audio.mkdir(parents=True)
        examples = {}
        while len(examples) < size:
            copy += 1
            for ex, wav in notes:
                if len(examples) == size:
                    break
                family, source = ex["instrument_family_str"], ex["instrument_source_str"]
                number = copy * 1000 + int(ex["instrument_str"].rsplit("_", 1)[1])
                inst = f"{family}_{source}_{number:06d}"
                key = f"{inst}-{ex['pitch']:03d}-{ex['velocity']:03d}"
                if key in examples:
                    continue
                data = bytearray(wav.read_bytes())
                # one sample changed (the last one, by the copy number): distinct files
                last = struct.unpack_from("<h", data, len(data) - 2)[0]
                struct.pack_into("<h", data, len(data) - 2, max(-32768, min(32767, last + copy)))
                (audio / f"{key}.wav").write_bytes(data)
                examples[key] = {**ex, "note_str": key, "instrument_str": inst,
                                 "instrument": copy * 100_000 + int(ex["instrument"])}
                written += 1
        (root / f"nsynth-{split}" / "examples.json").write_text(json.dumps(examples))
    done.write_text(str(n))
    print(f"  built {root}: {written:,} notes {sizes} in {time.perf_counter() - t0:.0f} s", flush=True)
    return root


def _proc_tree(root_pid: int) -> dict:
    """{pid: (rss bytes, utime s, stime s)} of ``root_pid`` and its descendants."""
    parents, stats = {}, {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{d}/statm") as fh:
                rss = int(fh.read().split()[1]) * PAGE
        except OSError:
            continue
        pid = int(d)
        parents[pid] = int(fields[1])
        stats[pid] = (rss, int(fields[11]) / TICK, int(fields[12]) / TICK)
    tree, frontier = {root_pid}, [root_pid]
    while frontier:
        p = frontier.pop()
        kids = [c for c, pp in parents.items() if pp == p and c not in tree]
        tree.update(kids)
        frontier.extend(kids)
    return {p: stats[p] for p in tree if p in stats}


def run_measured(cmd, kill_after=None) -> dict:
    """Run ``cmd`` in its own process group; sample the tree; optionally SIGKILL it."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, start_new_session=True, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    peak, driver_peak, last = 0, 0, {}
    killed = False
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)  # rusage: the whole reaped tree
        if pid:
            break
        tree = _proc_tree(proc.pid)
        peak = max(peak, sum(v[0] for v in tree.values()))
        driver_peak = max(driver_peak, tree.get(proc.pid, (0,))[0])
        for p, v in tree.items():
            last[p] = v
        if kill_after is not None and not killed and time.perf_counter() - t0 >= kill_after:
            os.killpg(proc.pid, signal.SIGKILL)
            killed = True
        time.sleep(0.2)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - t0
    output = proc.stdout.read() if proc.stdout else ""
    workers = {p: v for p, v in last.items() if p != proc.pid}
    w_user = sum(v[1] for v in workers.values())
    w_sys = sum(v[2] for v in workers.values())
    sampled = sum(v[1] + v[2] for v in last.values())
    # wait4 counts the processes the driver reaped; the /proc samples also catch any it did not
    return {"wall": wall, "cpu": max(usage.ru_utime + usage.ru_stime, sampled), "sampled_cpu": sampled,
            "workers_user": w_user, "workers_sys": w_sys, "peak_rss": peak, "driver_peak_rss": driver_peak,
            "rc": proc.returncode, "killed": killed, "output": output}


def table_hash(out: Path) -> str:
    """Content hash of the feature table sorted by note_id (paths included)."""
    import pandas as pd

    import featurekit as fk

    df = fk.load_features(out)
    for c in df.columns:
        if df[c].dtype == object:
            df[c] = df[c].map(repr)
    return hashlib.sha256(pd.util.hash_pandas_object(df, index=False).to_numpy().tobytes()).hexdigest()[:16]


LOAD_SNIPPET = """
import json, resource, time
t = time.perf_counter(); c = time.process_time()
import featurekit as fk
import featurekit.table  # featurekit imports lazily: time pandas/pyarrow apart
t1 = time.perf_counter(); c1 = time.process_time()
df = fk.load_features({out!r})
r = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({{"import_s": t1 - t, "load_s": time.perf_counter() - t1,
                   "load_cpu_s": time.process_time() - c1, "rows": len(df), "cols": df.shape[1],
                   "frame_mib": df.memory_usage(deep=True).sum() / 2**20,
                   "peak_rss_mib": r.ru_maxrss / 1024}}))
"""


def readers(out: Path) -> str:
    import duckdb
    import pandas as pd
    import polars as pl

    d = out / "features"
    got = {}
    t = time.perf_counter()
    got["pandas"] = (pd.read_parquet(d)["note_id"], time.perf_counter() - t)
    t = time.perf_counter()
    got["polars"] = (pl.read_parquet(d / "*.parquet")["note_id"].to_pandas(), time.perf_counter() - t)
    t = time.perf_counter()
    got["duckdb"] = (duckdb.sql(f"SELECT * FROM read_parquet('{d}/*.parquet')").df()["note_id"],
                     time.perf_counter() - t)
    ref = sorted(got["pandas"][0])
    parts = []
    for name, (ids, secs) in got.items():
        same = sorted(ids) == ref and len(set(ids)) == len(ids)
        parts.append(f"{name} {len(ids):,} rows {secs:.1f} s {'same rows' if same else 'DIFFERENT'}")
    return "; ".join(parts)


def measure(corpus: Path, work: Path, n: int, jobs: int, kill: bool, seed: int) -> dict:
    exe = [sys.executable, "-m", "featurekit.cli.main", "extract", str(corpus)]
    out = work / f"feats-{n}"
    if out.exists():
        shutil.rmtree(out)
    first = run_measured(exe + ["--out", str(out), "-q", "--jobs", str(jobs)])
    if first["rc"] != 0:
        print(first["output"])
    ws = first["workers_sys"] / max(1e-9, first["workers_user"] + first["workers_sys"])
    print(f"  extract: {first['wall']:.0f} s wall, "
          f"{1000 * first['cpu'] / n:.2f} CPU-ms/note ({first['cpu']:.0f} s user+sys of the tree), "
          f"workers' sys {first['workers_sys']:.0f} s of {first['workers_user'] + first['workers_sys']:.0f} s "
          f"({100 * ws:.0f} %), peak tree RSS {first['peak_rss'] / 2**20:.0f} MiB "
          f"(driver alone {first['driver_peak_rss'] / 2**20:.0f} MiB), rc {first['rc']}",
          flush=True)
    again = run_measured(exe + ["--out", str(out), "-q", "--jobs", str(jobs)])
    print(f"  re-run of the finished extraction: {again['wall']:.1f} s wall, "
          f"peak RSS {again['peak_rss'] / 2**20:.0f} MiB; "
          f"{again['output'].strip().splitlines()[1].strip() if again['output'].count(chr(10)) else ''}",
          flush=True)
    ref_hash = table_hash(out)
    result = {"n": n, "wall_s": first["wall"], "cpu_s": first["cpu"], "cpu_ms_per_note": 1000 * first["cpu"] / n,
              "workers_sys_share": ws, "peak_rss_mib": first["peak_rss"] / 2**20,
              "driver_peak_rss_mib": first["driver_peak_rss"] / 2**20,
              "rerun_s": again["wall"], "hash": ref_hash}
    if kill:
        killed_out = work / f"killed-{n}"
        if killed_out.exists():
            shutil.rmtree(killed_out)
        at = random.Random(seed).uniform(0.1, 0.9) * first["wall"]
        k = run_measured(exe + ["--out", str(killed_out), "-q", "--jobs", str(jobs)], kill_after=at)
        r = run_measured(exe + ["--out", str(killed_out), "-q", "--jobs", str(jobs)])
        h = table_hash(killed_out)
        print(f"  SIGKILL at {at:.0f} s ({'killed' if k['killed'] else 'had finished'}), re-run "
              f"{r['wall']:.0f} s: table {'IDENTICAL' if h == ref_hash else 'DIFFERENT'} "
              f"({h} vs {ref_hash})", flush=True)
        result["kill_identical"] = h == ref_hash
        shutil.rmtree(killed_out)
    load = subprocess.run([sys.executable, "-c", LOAD_SNIPPET.format(out=str(out))],
                          capture_output=True, text=True)
    lr = json.loads(load.stdout.strip().splitlines()[-1])
    print(f"  load_features: {lr['load_s']:.1f} s wall, {lr['load_cpu_s']:.1f} s CPU, "
          f"{lr['rows']:,} x {lr['cols']} ({lr['frame_mib']:.0f} MiB as a DataFrame), "
          f"peak RSS {lr['peak_rss_mib']:.0f} MiB (import featurekit {lr['import_s']:.1f} s)", flush=True)
    print(f"  readers: {readers(out)}", flush=True)
    print(f"  table files: {sorted(p.name for p in (out / 'features').iterdir())}", flush=True)
    result.update(load_s=lr["load_s"], load_cpu_s=lr["load_cpu_s"])
    return result


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--yes", action="store_true", help="really build the corpora (disk, see above)")
    ap.add_argument("--sizes", default=f"20000,{FULL}")
    ap.add_argument("--work", default="/work/scratch/scale/full",
                    help="scratch directory for the corpora and tables")
    ap.add_argument("--base", help="rendered corpus to copy (default: render one with featurekit synth)")
    ap.add_argument("--jobs", type=int, default=-1)
    ap.add_argument("--no-kill", action="store_true", help="skip the SIGKILL + re-run check")
    ap.add_argument("--keep", action="store_true", help="keep each corpus after measuring it")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    work = Path(args.work)
    need = max(sizes) * BYTES_PER_NOTE * 1.05 + max(sizes) * 2_500
    print(f"full_scale: corpora of {', '.join(f'{n:,}' for n in sizes)} notes need "
          f"~{need / 1e9:.0f} GB in {work} (one corpus at a time)")
    if not args.yes:
        print("refusing to build them without --yes")
        return 2
    work.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(work).free
    if free < need:
        print(f"only {free / 1e9:.0f} GB free in {work}")
        return 2
    base = Path(args.base) if args.base else work / "base"
    if not args.base and not (base / ".complete").exists():
        subprocess.run([sys.executable, "-m", "featurekit.cli.main", "synth", "-s", "bundled",
                        "--out", str(base), "--pitch-step", "4", "--velocities", "75,127", "-q"],
                       check=True)
        (base / ".complete").write_text("1")
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} before the run "
          f"(other work inflates wall times; CPU per note is the steadier figure); "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    results = []
    for n in sizes:
        print(f"{n:,} notes:", flush=True)
        corpus = build_corpus(base, work / f"corpus-{n}", n)
        results.append(measure(corpus, work, n, args.jobs, not args.no_kill, args.seed))
        if not args.keep:
            shutil.rmtree(corpus)
    if len(results) > 1:
        a, b = results[0], results[-1]
        print(f"peak tree RSS {a['peak_rss_mib']:.0f} -> {b['peak_rss_mib']:.0f} MiB "
              f"({100 * (b['peak_rss_mib'] / a['peak_rss_mib'] - 1):+.0f} %) from {a['n']:,} to {b['n']:,} notes")
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
