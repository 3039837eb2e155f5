"""Helpers (no tests): synthetic feature tables with the schema of ``featurekit.load_features`` (for model tests)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from featurekit.config import ExtractionConfig
from featurekit.features import AnalysisPlan, feature_names

FAMILIES = ("guitar", "organ", "reed")
SOURCES = ("acoustic", "electronic", "synthetic")


def make_table(*, preset="default", families=FAMILIES, instruments_per_family=4,
               pitches=(48, 55, 60, 67, 72), velocities=(75, 127), splits=("train", "test"),
               signal=1.5, seed=0, imbalance=True) -> pd.DataFrame:
    """A feature table: gaussian features with a per-family signal and per-instrument offsets.

    With ``splits=("train", "test")`` the last instrument of every family is
    the test instrument; with one split every note gets that value.
    ``imbalance`` drops notes from later families so SMOTE has work to do.
    """
    rng = np.random.default_rng(seed)
    config = ExtractionConfig(preset=preset)
    cols = feature_names(AnalysisPlan(config))
    centres = {f: rng.normal(0, signal, len(cols)) for f in families}
    rows, feats = [], []
    for fi, family in enumerate(families):
        for k in range(instruments_per_family):
            name = f"{family}_{SOURCES[k % 3]}_{k:03d}"
            inst_offset = rng.normal(0, 0.5, len(cols))
            split = splits[-1] if (len(splits) > 1 and k == instruments_per_family - 1) else splits[0]
            if len(splits) > 2 and k == instruments_per_family - 2:
                split = splits[1]
            notes = [(p, v) for p in pitches for v in velocities]
            if imbalance:
                notes = notes[: max(3, len(notes) - 3 * fi)]
            for p, v in notes:
                note_str = f"{name}-{p:03d}-{v:03d}"
                rows.append({
                    "note_id": f"{split}/{note_str}.wav", "note_str": note_str, "split": split,
                    "instrument": fi * 100 + k, "instrument_str": name,
                    "instrument_family": fi, "instrument_family_str": family,
                    "instrument_source": k % 3, "instrument_source_str": SOURCES[k % 3],
                    "pitch": p, "velocity": v, "qualities": [0] * 10, "qualities_str": [],
                    "path": f"/corpus/{split}/{note_str}.wav", "padded": False, "notes": "",
                })
                x = centres[family] + inst_offset + rng.normal(0, 1.0, len(cols))
                feats.append(x)
    meta = pd.DataFrame(rows)
    X = pd.DataFrame(np.asarray(feats, dtype=np.float32), columns=cols)
    # Plausible values where transforms need them: positive Hz, log2 f0.
    for c in cols:
        if c.startswith(("spectral_centroid", "spectral_bandwidth", "spectral_rolloff")):
            X[c] = np.abs(X[c]) * 500 + 200
        if c.startswith("temporal_rms"):
            X[c] = np.abs(X[c]) * 0.1 + 0.01
    if "harmonic_f0__value__00" in X.columns:
        X["harmonic_f0__value__00"] = np.log2(440 * 2 ** ((meta["pitch"] - 69) / 12)).astype(np.float32)
    table = pd.concat([meta, X], axis=1)
    table.attrs["featurekit"] = config.to_dict()
    return table


def write_table_dir(table: pd.DataFrame, directory):
    """Write ``table`` as a feature directory that ``featurekit.load_features`` reads."""
    from featurekit.table import FEATURES_DIR, write_shard

    directory.mkdir(parents=True, exist_ok=True)
    write_shard(table, directory / FEATURES_DIR / "part-00000.parquet",
                {"config": table.attrs["featurekit"]})
    return directory


FAST_SPEC = """
[pipeline]
name = "fast"
[features]
preset = "default"
exclude = ["chroma"]
[normalise]
per_note = true
[scaler]
kind = "standard"
[smote]
enabled = true
[classifier]
kind = "logreg"
[classifier.params]
C = 1.0
"""


#: A spec with a two-point search grid over the logistic regression's C.
SEARCH_SPEC = """
[features]
preset = "default"
[classifier]
kind = "logreg"
[search]
scoring = "f1_macro"
[search.grid]
C = [0.001, 1.0]
"""


def write_spec(tmp_path, text=FAST_SPEC, name="fast.toml"):
    """Write a pipeline spec file and return its path."""
    path = tmp_path / name
    path.write_text(text)
    return path


#: A soft vote: logistic regression on every column, a small forest on the MFCC columns only.
VOTE_SPEC = """
[features]
preset = "default"
[classifier]
kind = "ensemble"
[[classifier.members]]
kind = "logreg"
[[classifier.members]]
kind = "rf"
params = { n_estimators = 10 }
[classifier.members.features]
groups = ["mfcc"]
"""
