"""Which rows of a table a saved model was not trained on, and how to score them.

The model's own record comes first: ``predictions.parquet`` in its directory
holds the ``note_id`` of every note it reported on (its held-out notes) and,
for a cross-validated model, the ``fold`` of each.

* No ``fold`` column (an NSynth-split model): the saved pipeline never saw
  those notes; it is scored on them as it is.
* A ``fold`` column (cross-validated, then refitted on all notes): the saved
  pipeline saw every note, so each fold is replayed: the pipeline is refitted
  on the notes of the other folds and scored on the fold's own.

A table that holds none of those notes (e.g. a new corpus) is scored on its
rows whose instrument is not among the model's ``train_instruments``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import ConfigError
from .engine import subsample_rows

__all__ = ["Fold", "held_out_folds", "limit_rows", "PREDICTIONS_FILE"]

#: The held-out predictions a trained model directory holds.
PREDICTIONS_FILE = "predictions.parquet"


@dataclass
class Fold:
    """Table rows to score (``test``) and, for a replayed fold, the rows to refit on."""

    test: np.ndarray
    train: np.ndarray | None = None  # None: score the saved, fitted pipeline


def _read_predictions(model) -> pd.DataFrame | None:
    path = model.path / PREDICTIONS_FILE if model.path is not None else None
    if path is None or not path.is_file():
        return None
    import pyarrow.parquet as pq

    names = pq.read_schema(path).names
    if "note_id" not in names:
        return None
    return pd.read_parquet(path, columns=[c for c in ("note_id", "fold") if c in names])


def _from_predictions(model, table, preds):
    ids = table["note_id"].astype(str).to_numpy()
    pred_ids = preds["note_id"].astype(str).to_numpy()
    if len(np.unique(pred_ids)) != len(pred_ids):
        return None
    if "fold" not in preds.columns:
        rows = np.flatnonzero(np.isin(ids, pred_ids))
        if not len(rows):
            return None
        where = model.meta.get("split", {}).get("test", "the test notes")
        return [Fold(rows)], (f"{len(rows)} held-out notes of the saved model "
                              f"({PREDICTIONS_FILE}; {where})")
    fold_of = pd.Series(preds["fold"].to_numpy(), index=pred_ids)
    table_fold = fold_of.reindex(ids).to_numpy()
    known = ~pd.isna(table_fold)
    if not known.any():
        return None
    folds = []
    for k in np.unique(table_fold[known]):
        test = np.flatnonzero(known & (table_fold == k))
        train = np.flatnonzero(known & (table_fold != k))
        folds.append(Fold(test, train))
    n = int(known.sum())
    what = (f"out-of-fold: {n} notes in {len(folds)} folds of the model's cross-validation "
            f"({PREDICTIONS_FILE}); the pipeline is refitted on each fold's other notes and "
            f"scored on the fold's own")
    if n < len(preds):
        what += f" (the table holds {n} of its {len(preds)} notes)"
    return folds, what


def _unseen_instruments(model, table):
    from ..models import instruments_of

    seen = set(model.meta.get("train_instruments") or [])
    if not seen or "instrument_str" not in table.columns:
        return None
    keys = [c for c in ("library", "instrument_str") if c in table.columns]
    codes = table[keys].astype(str).groupby(keys, sort=False).ngroup().to_numpy()
    first = np.unique(codes, return_index=True)[1]  # first row of instrument 0, 1, ...
    one_each = table.iloc[first].reset_index(drop=True)  # instruments_of: one row per instrument
    unseen_code = np.array([not set(instruments_of(one_each, [i])) <= seen
                            for i in range(len(one_each))])
    rows = np.flatnonzero(unseen_code[codes])
    if not len(rows):
        return None
    return [Fold(rows)], (f"{len(rows)} notes from {int(unseen_code.sum())} instruments the saved "
                          f"model was not trained on")


def held_out_folds(model, table) -> tuple[list[Fold], str]:
    """Folds of ``table`` rows the scored pipelines never trained on, and their description.

    Raises
    ------
    ConfigError
        The table holds neither the model's held-out notes nor notes of an
        instrument it was not trained on.
    """
    found = None
    preds = _read_predictions(model)
    if preds is not None and "note_id" in table.columns:
        found = _from_predictions(model, table, preds)
    if found is None:
        found = _unseen_instruments(model, table)
    if found is None:
        raise ConfigError(
            "the table holds no held-out notes: none of the model's held-out notes "
            f"({PREDICTIONS_FILE}) and no note of an instrument it was not trained on; pass "
            "the features it was trained and tested on, or of instruments it has not heard"
        )
    folds, what = found
    split = model.meta.get("split", {})
    if split.get("leaky"):
        what += f". {split.get('description', 'LEAKY split')}"
    return folds, what


def limit_rows(folds: list[Fold], max_samples, seed) -> tuple[list[Fold], str]:
    """Keep at most ``max_samples`` held-out rows: a seeded subsample, from as few folds as needed.

    Replayed folds are taken in a seeded random order until their rows reach
    ``max_samples`` (each fold used costs one refit), then
    :func:`~featurekit.inspection.engine.subsample_rows` draws ``max_samples``
    of their rows.  Returns the kept folds and a note ("" when nothing was cut).
    """
    total = sum(len(f.test) for f in folds)
    size = total if max_samples is None else subsample_rows(total, max_samples, seed).size
    if size == total:
        return folds, ""
    n_folds = len(folds)
    if n_folds > 1:
        order = np.random.default_rng([seed, 2**32 - 2]).permutation(n_folds)
        sizes = np.cumsum([len(folds[i].test) for i in order])
        used = int(np.searchsorted(sizes, size)) + 1  # folds needed to hold ``size`` rows
        folds = [folds[i] for i in sorted(order[:used])]
    test = np.concatenate([f.test for f in folds])
    pick = subsample_rows(len(test), size, seed)
    bounds = np.cumsum([0] + [len(f.test) for f in folds])
    out = []
    for f, lo, hi in zip(folds, bounds[:-1], bounds[1:]):
        mine = pick[(pick >= lo) & (pick < hi)] - lo
        if len(mine):
            out.append(Fold(f.test[mine], f.train))
    where = f", from {len(out)} of the {n_folds} folds" if n_folds > 1 else ""
    return out, (f"scored on a seeded subsample of {size} of the {total} held-out "
                 f"notes{where} (max_samples={max_samples}, seed {seed})")
