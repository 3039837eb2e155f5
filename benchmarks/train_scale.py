"""How long do the default pipelines take to fit at NSynth scale, and how much memory?

Builds a synthetic feature table of ``--rows`` notes (default 300,000, NSynth's
train split is 289,205) x the default preset's columns, with NSynth's family
imbalance and instrument structure, and times fitting each default pipeline
(SMOTE included) on ``--cores`` cores (default 2).  Each pipeline runs in its
own process so its peak memory (max RSS, the table included) is its own.

Targets (issue): every pipeline <= 15 minutes and <= 12 GB peak memory.  Wall
time is only meaningful on an otherwise idle machine; the fit's CPU time
(user + system, all threads) is printed too, and on ``--cores`` free cores the
wall time is at least CPU time / cores.

The svm pipeline switches to its scalable path (Nystroem + least-squares
linear SVM, :mod:`featurekit.models.scalable_svm`) above 20,000 rows and is
fitted at full size; the solver used is printed.  ``--svm-rows`` still fits
it on fewer rows (no extrapolation is printed: a projection would be one).
"rows after SMOTE" are the rows the classifier was fitted on: the packaged
pipelines cap the balanced set at ``[smote] max_samples = 400000``
(:class:`featurekit.models.resample.AdaptiveSMOTE`; chosen by
``benchmarks/smote_budget.py``), and the note says when the cap was reached.

Measured 2026-12-02 05:30-06:07 UTC on the idle 2-core VM (scikit-learn 1.9.1,
imbalanced-learn 0.14.2), ``python benchmarks/train_scale.py``::

    pipeline        rows after SMOTE       fit of which SMOTE   fit CPU  peak RSS  note
    rf           300,000     399,993    518.6s          27.3s   1016.1s    1.96GB  met; SMOTE capped at 36,363/class
    extratrees   300,000     399,993    104.3s          28.1s    195.6s    3.06GB  met; SMOTE capped at 36,363/class
    ensemble     300,000     399,993    597.0s          30.5s   1169.5s    4.21GB  met; SMOTE capped at 36,363/class
    hgb          300,000     399,993    743.1s          29.2s   1459.2s    2.14GB  met; SMOTE capped at 36,363/class
    logreg       300,000     399,993     30.8s          25.6s     56.0s    1.23GB  met; SMOTE capped at 36,363/class
    svm          300,000     399,993    119.3s          28.6s    194.6s    5.41GB  met; solver_=nystroem; SMOTE capped at 36,363/class

Before the cap (2026-12-01, same machine, SMOTE to 747,406 rows): rf 1,089 s,
hgb 1,120 s, ensemble 1,180 s (missed), extratrees 159 s, svm 206 s, logreg 52 s.

Usage::

    python benchmarks/train_scale.py                 # every default pipeline
    python benchmarks/train_scale.py --kinds rf --rows 100000
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

#: NSynth train split family counts (bass ... vocal), for a realistic imbalance.
NSYNTH_FAMILY_COUNTS = {
    "bass": 65474, "brass": 12675, "flute": 8773, "guitar": 32690, "keyboard": 51821,
    "mallet": 34201, "organ": 34477, "reed": 13911, "string": 19474, "synth_lead": 5501,
    "vocal": 10208,
}
DEFAULT_KINDS = ("rf", "extratrees", "ensemble", "hgb", "logreg", "svm")


def make_table(n_rows: int, seed: int = 0):
    """A synthetic default-preset feature table with family signal and instrument offsets."""
    import numpy as np
    import pandas as pd

    from featurekit.config import ExtractionConfig
    from featurekit.features import AnalysisPlan, feature_names

    rng = np.random.default_rng(seed)
    cols = feature_names(AnalysisPlan(ExtractionConfig()))
    fams = list(NSYNTH_FAMILY_COUNTS)
    p = np.array(list(NSYNTH_FAMILY_COUNTS.values()), float)
    family = rng.choice(len(fams), size=n_rows, p=p / p.sum())
    # ~1,000 instruments, as NSynth: each a random offset around its family.
    n_inst = 1000
    inst_family = rng.choice(len(fams), size=n_inst, p=p / p.sum())
    instrument = np.empty(n_rows, np.int64)
    for f in range(len(fams)):
        rows = np.flatnonzero(family == f)
        pool = np.flatnonzero(inst_family == f)
        instrument[rows] = rng.choice(pool, size=len(rows))
    centres = rng.normal(0, 0.6, (len(fams), len(cols))).astype(np.float32)
    offsets = rng.normal(0, 0.6, (n_inst, len(cols))).astype(np.float32)
    X = centres[family] + offsets[instrument]
    X += rng.standard_normal(X.shape, dtype=np.float32)
    pitch = rng.integers(21, 109, n_rows)
    for j, c in enumerate(cols):  # plausible units where transforms need them
        if c.startswith(("spectral_centroid", "spectral_bandwidth", "spectral_rolloff")):
            X[:, j] = np.abs(X[:, j]) * 500 + 200
        elif c.startswith("temporal_rms"):
            X[:, j] = np.abs(X[:, j]) * 0.1 + 0.01
        elif c == "harmonic_f0__value__00":
            X[:, j] = np.log2(440 * 2 ** ((pitch - 69) / 12))
    meta = pd.DataFrame({
        "note_id": [f"n{i:07d}" for i in range(n_rows)],
        "split": "train",
        "instrument_str": [f"i{i:04d}" for i in instrument],
        "instrument_family_str": np.asarray(fams, dtype=object)[family],
        "pitch": pitch,
    })
    return pd.concat([meta, pd.DataFrame(X, columns=cols)], axis=1)


def _cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _time_smote() -> list:
    """Record the wall time of every SMOTE resampling (appended to the returned list)."""
    from featurekit.models.resample import AdaptiveSMOTE

    spent, original = [], AdaptiveSMOTE._fit_resample

    def timed(self, X, y):
        t = time.perf_counter()
        try:
            return original(self, X, y)
        finally:
            spent.append(time.perf_counter() - t)

    AdaptiveSMOTE._fit_resample = timed
    return spent


def child(kind: str, rows: int, cores: int, seed: int) -> dict:
    """Fit one pipeline on ``rows`` synthetic rows; return timings and peak memory."""
    import warnings

    import numpy as np
    from threadpoolctl import threadpool_limits

    from featurekit.models.pipeline import build_pipeline
    from featurekit.models.spec import load_spec, select_columns

    if hasattr(os, "sched_setaffinity"):
        cpus = sorted(os.sched_getaffinity(0))[:cores]
        os.sched_setaffinity(0, cpus)
    t0 = time.perf_counter()
    table = make_table(rows, seed)
    spec = load_spec(kind)
    cols = select_columns(spec, table.columns)
    X = table[cols].to_numpy(np.float32)
    y = table["instrument_family_str"].to_numpy()
    del table
    build_s = time.perf_counter() - t0
    pipe = build_pipeline(spec, cols, seed=seed, n_jobs=cores)
    smote_s = _time_smote()
    with threadpool_limits(limits=cores), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t1, c1 = time.perf_counter(), _cpu_s()
        pipe.fit(X, y)
        fit_s, fit_cpu_s = time.perf_counter() - t1, _cpu_s() - c1
        t2 = time.perf_counter()
        pipe.predict(X[:10_000])
        predict_s = time.perf_counter() - t2
    solver = None
    clf = pipe.named_steps["classifier"]
    if hasattr(clf, "calibrated_classifiers_"):
        solver = getattr(clf.calibrated_classifiers_[0].estimator, "solver_", None)
    n_fit = cap = None
    if "smote" in pipe.named_steps:  # the rows the classifier was fitted on
        smote = pipe.named_steps["smote"]
        n_fit, cap = int(sum(smote.counts_.values())), smote.cap_
    return {
        "kind": kind, "rows": rows, "columns": len(cols), "rows_after_smote": n_fit,
        "cores": cores, "table_s": round(build_s, 1), "fit_s": round(fit_s, 1),
        "fit_cpu_s": round(fit_cpu_s, 1), "smote_s": round(sum(smote_s), 1),
        "predict_10k_s": round(predict_s, 2), "solver": solver, "smote_cap": cap,
        "peak_rss_gb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2),
    }


def run_one(kind, rows, cores, seed, timeout):
    cmd = [sys.executable, __file__, "--child", kind, "--rows", str(rows),
           "--cores", str(cores), "--seed", str(seed)]
    t0 = time.perf_counter()
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"kind": kind, "rows": rows, "error": f"timed out after {timeout:.0f} s"}
    if out.returncode != 0:
        return {"kind": kind, "rows": rows,
                "error": (out.stderr.strip().splitlines() or ["failed"])[-1]}
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["wall_s"] = round(time.perf_counter() - t0, 1)
    return result


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=300_000)
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument("--kinds", default=",".join(DEFAULT_KINDS))
    ap.add_argument("--svm-rows", type=int, default=None,
                    help="fit the svm pipeline on this many rows instead of --rows")
    ap.add_argument("--timeout", type=float, default=3600, help="seconds per pipeline")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", help="also write the results to this file")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.rows, args.cores, args.seed)))
        return 0

    print(f"train_scale: {args.rows:,} synthetic rows x default preset, {args.cores} cores")
    print(f"{'pipeline':10s} {'rows':>9s} {'after SMOTE':>11s} {'fit':>9s} {'of which SMOTE':>14s} "
          f"{'fit CPU':>9s} {'peak RSS':>9s}  note")
    results = []
    for kind in args.kinds.split(","):
        rows = min(args.rows, args.svm_rows) if kind == "svm" and args.svm_rows else args.rows
        r = run_one(kind, rows, args.cores, args.seed, args.timeout)
        results.append(r)
        if "error" in r:
            print(f"{kind:10s} {rows:9,d} {'':>11s} {'-':>9s} {'-':>14s} {'-':>9s} {'-':>9s}  "
                  f"{r['error']}")
            continue
        note = ""
        ok = r["fit_s"] <= 900 and r["peak_rss_gb"] <= 12  # every pipeline
        note = f"target <= 900 s and <= 12 GB: {'met' if ok else 'MISSED'}"
        if r.get("solver"):
            note += f"; solver_={r['solver']}"
        if r.get("smote_cap"):
            note += f"; SMOTE capped at {r['smote_cap']:,}/class"
        after = f"{r['rows_after_smote']:,}" if r["rows_after_smote"] else "-"
        print(f"{kind:10s} {rows:9,d} {after:>11s} {r['fit_s']:8.1f}s {r['smote_s']:13.1f}s "
              f"{r['fit_cpu_s']:8.1f}s {r['peak_rss_gb']:7.2f}GB  {note}", flush=True)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(results, fh, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
