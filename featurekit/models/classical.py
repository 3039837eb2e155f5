"""The classical model kind: a TOML pipeline spec fitted by the training harness.

:class:`PipelineKind` is the model-kind object :func:`featurekit.models.harness.run_training`
runs for every KIND but ``cnn``: its input is the spec's feature columns
(:class:`~featurekit.models.inputs.ColumnInput`), its fit the spec's
imbalanced-learn pipeline, selected from the spec's ``[search]`` grid first
when it has one (on NSynth's ``valid`` split, else by an inner GroupKFold).
"""

from __future__ import annotations

import numpy as np

from .harness import fingerprint
from .inputs import ColumnInput
from .metrics import plain_dict
from .pipeline import build_pipeline, search_grid
from .spec import PipelineSpec, select_columns
from .split import inner_cv

__all__ = ["PipelineKind"]


class PipelineKind:
    """A :class:`~featurekit.models.spec.PipelineSpec` as a model kind of the harness."""

    def __init__(self, spec: PipelineSpec):
        self.spec = spec
        self.name = spec.name
        self.columns = None

    def check(self) -> None:
        return None

    def prepare(self, table, source):
        return table

    def model_input(self, table) -> ColumnInput:
        self.columns = select_columns(self.spec, table.columns)
        return ColumnInput(self.columns)

    def fit(self, X, y, rows, *, plan, table, seed, n_jobs):
        """Fit the spec's pipeline on ``rows``; returns (fitted pipeline, chosen params or None)."""
        from sklearn.base import clone
        from sklearn.metrics import get_scorer
        from sklearn.model_selection import GridSearchCV, ParameterGrid

        spec = self.spec
        pipe = build_pipeline(spec, self.columns, seed=seed, n_jobs=n_jobs)
        grid = search_grid(spec)
        Xr, yr = X[rows], y[rows]
        if not grid:
            return pipe.fit(Xr, yr), None
        if plan.valid is not None:
            Xv, yv = X[plan.valid], y[plan.valid]
            scorer = get_scorer(spec.search.scoring)
            best = None  # (score, params, model); a NaN score never beats another
            for params in ParameterGrid(grid):
                cand = clone(pipe).set_params(**params).fit(Xr, yr)
                score = scorer(cand, Xv, yv)
                if best is None or (np.isnan(best[0]) and not np.isnan(score)) or score > best[0]:
                    best = (score, params, cand)
            return best[2], plain_dict(best[1])
        cv, groups = inner_cv(table, rows, yr, leaky=plan.leaky, n_splits=spec.search.cv, seed=seed)
        search = GridSearchCV(pipe, grid, scoring=spec.search.scoring, cv=cv, refit=True,
                              error_score="raise")
        search.fit(Xr, yr, groups=groups)
        return search.best_estimator_, plain_dict(search.best_params_)

    def split_info(self, final, chosen) -> dict:
        info = {}
        if self.spec.search is not None:
            info["search"] = {"grid": self.spec.search.grid, "chosen": chosen}
        solvers = solvers_of(final)
        if solvers:
            info["solver"] = ", ".join(solvers)
        resampled = resampling_of(final)
        if resampled:
            info["resampling"] = resampled
        return info

    def meta(self, final) -> dict:
        return {"feature_columns": self.columns, "spec": self.spec.to_dict(),
                "spec_text": self.spec.text}

    def fingerprint(self, table, target, X) -> dict:
        return fingerprint(table, self.columns, target)

    def save_extra(self, final):
        return None


def resampling_of(pipeline) -> str | None:
    """What the fitted pipeline's SMOTE step did when its size budget was reached, else None."""
    smote = getattr(pipeline, "named_steps", {}).get("smote")
    cap = getattr(smote, "cap_", None)
    if cap is None:
        return None
    total = sum(smote.counts_.values())
    return (f"SMOTE capped at max_samples={smote.max_samples:,}: {total:,} rows, at most "
            f"{cap:,} per class (larger classes under-sampled at random)")


def solvers_of(pipeline) -> list:
    """Which path each fitted estimator with a ``solver_`` took (e.g. ScalableSVC's "exact"/"nystroem").

    Looks at the final step and, through a calibration wrapper, at every
    calibrated copy; returns the distinct values in order (empty when none).
    """
    steps = getattr(pipeline, "steps", None)
    last = steps[-1][1] if steps else pipeline
    found = [last] + [getattr(c, "estimator", None) for c in getattr(last, "calibrated_classifiers_", [])]
    values = []
    for est in found:
        solver = getattr(est, "solver_", None)
        if solver is not None and solver not in values:
            values.append(str(solver))
    return values
