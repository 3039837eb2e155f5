"""Turn a :class:`~featurekit.models.spec.PipelineSpec` into an imbalanced-learn Pipeline.

The pipeline is ``[note_norm] -> [pitch_norm] -> scaler -> [smote] -> classifier``.
Because it is an :class:`imblearn.pipeline.Pipeline`, SMOTE runs inside
``fit`` only: it sees the rows the pipeline is fitted on (a training fold) and
is skipped by ``predict``, so over-sampling never touches test rows.
"""

from __future__ import annotations

import difflib
import warnings

from imblearn.pipeline import Pipeline
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import (
    ExtraTreesClassifier,
    HistGradientBoostingClassifier,
    RandomForestClassifier,
    VotingClassifier,
)
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline as SkPipeline
from sklearn.preprocessing import QuantileTransformer, RobustScaler, StandardScaler
from .scalable_svm import ScalableSVC  # scale: exact RBF SVM or Nystroem above 20k rows

from ..errors import ConfigError
from .resample import AdaptiveSMOTE
from .transform import PITCH_COLUMN, NoteNormalizer, PitchNormalizer

#: Folds of the SVM's probability calibration (on training rows only).
SVM_CALIBRATION_CV = 3

__all__ = ["build_pipeline", "make_classifier", "check_classifier_params", "parameter_error",
           "check_search_grid", "search_grid"]

#: kind -> (estimator class, fixed defaults a spec may override)
_CLASSIFIERS = {
    "rf": (RandomForestClassifier, {"n_jobs": -1}),
    "extratrees": (ExtraTreesClassifier, {"n_jobs": -1}),
    "svm": (ScalableSVC, {}),
    "hgb": (HistGradientBoostingClassifier, {}),
    "logreg": (LogisticRegression, {"max_iter": 2000}),
    "knn": (KNeighborsClassifier, {}),
    "ensemble": (VotingClassifier, {"voting": "soft"}),
}


def _param_names(cls) -> set:
    import inspect

    return {n for n in inspect.signature(cls.__init__).parameters if n != "self"}


def make_classifier(spec, *, seed=0, n_jobs=None, member_columns=None):
    """Instantiate a classifier from a :class:`~featurekit.models.spec.ClassifierSpec`.

    ``random_state`` is set to ``seed`` unless the spec sets it, and ``n_jobs``
    (when given) overrides the spec's for estimators that take it.  An
    ensemble member with its own ``features`` becomes
    ``Pipeline([("columns", ColumnTransformer(...)), (kind, estimator)])``
    keeping the input column positions ``member_columns[i]`` (none when not given).
    """
    cls, defaults = _CLASSIFIERS[spec.kind]
    params = {**defaults, **spec.params}
    names = _param_names(cls)
    if "random_state" in names and "random_state" not in spec.params:
        params["random_state"] = seed
    if n_jobs is not None and "n_jobs" in names and spec.kind in ("rf", "extratrees"):
        params["n_jobs"] = n_jobs
    if spec.kind == "ensemble":
        members = []
        for i, m in enumerate(spec.members):
            est = make_classifier(m, seed=seed, n_jobs=n_jobs)
            if m.features is not None:
                keep = list((member_columns or {}).get(i, []))
                est = SkPipeline([
                    ("columns", ColumnTransformer([("keep", "passthrough", keep)],
                                                  remainder="drop")),
                    (m.kind, est),
                ])
            members.append((f"{m.kind}{i}", est))
        params["estimators"] = members
    est = cls(**params)
    if spec.kind == "svm":
        # Probabilities by Platt scaling on 3-fold decision values of the
        # training rows (what SVC(probability=True) did, without its deprecation).
        est = CalibratedClassifierCV(est, method="sigmoid", cv=SVM_CALIBRATION_CV,
                                     ensemble=False)
    return est


def classifier_param_prefix(kind) -> str:
    """Pipeline prefix of the classifier's own parameters (``classifier__``...)."""
    return "classifier__estimator__" if kind == "svm" else "classifier__"


def check_classifier_params(spec, *, where="pipeline spec", prefix="classifier"):
    """Raise :class:`ConfigError` naming a parameter the estimator does not take or accept."""
    cls, _ = _CLASSIFIERS[spec.kind]
    names = _param_names(cls)
    forbidden = {"estimators"} if spec.kind == "ensemble" else set()
    for key in spec.params:
        if key not in names or key in forbidden:
            close = difflib.get_close_matches(key, sorted(names - forbidden), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ConfigError(
                f"{where}: unknown key '{prefix}.params.{key}' for {cls.__name__}{hint}"
            )
    if spec.kind == "ensemble" and spec.params.get("voting", "soft") != "soft":
        raise ConfigError(f"{where}: '{prefix}.params.voting' must be \"soft\" "
                          f"(predictions need probabilities)")
    if spec.kind == "svm" and spec.params.get("probability", False):
        raise ConfigError(f"{where}: '{prefix}.params.probability' is not needed: "
                          f"featurekit calibrates SVM probabilities itself")
    est = make_classifier(spec)
    est = getattr(est, "estimator", est) if spec.kind == "svm" else est
    problem = parameter_error(est)
    if problem is not None:
        # sklearn names the parameter in its message: "The 'C' parameter of SVC must be ..."
        raise ConfigError(f"{where}: bad value in '{prefix}.params': {problem}")


def parameter_error(estimator) -> str | None:
    """sklearn's message for a bad parameter value of ``estimator``, or None when all are valid.

    Uses public behaviour only: a scikit-learn estimator's ``fit`` checks its
    parameters before its data, so fitting a clone on zero rows fails either
    on a parameter (that message is returned) or on the empty data (the
    parameters are valid).  Nothing is fitted.
    """
    import numpy as np
    from sklearn.base import clone
    from sklearn.utils import check_array

    X, y = np.empty((0, 1)), np.empty(0)
    try:
        check_array(X)
    except ValueError as exc:
        empty = str(exc).split(" while ")[0]  # "Found array with 0 sample(s) (shape=(0, 1))"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            clone(estimator).fit(X, y)
        except (ValueError, TypeError) as exc:
            return None if str(exc).startswith(empty) else str(exc)
    return None


def _scaler(kind, seed):
    if kind == "standard":
        return StandardScaler()
    if kind == "robust":
        return RobustScaler()
    if kind == "quantile":
        return QuantileTransformer(output_distribution="normal", subsample=100_000,
                                   random_state=seed)
    return None


def build_pipeline(spec, columns, *, seed=0, n_jobs=None) -> Pipeline:
    """An unfitted :class:`imblearn.pipeline.Pipeline` for ``spec``.

    Parameters
    ----------
    spec : PipelineSpec
    columns : list of str
        The feature columns the pipeline will receive, in order.
    seed : int
        ``random_state`` of SMOTE and the classifier.
    n_jobs : int or None
        Override of the forest classifiers' ``n_jobs``.

    Returns
    -------
    imblearn.pipeline.Pipeline
    """
    columns = list(columns)
    steps = []
    if spec.per_note:
        steps.append(("note_norm", NoteNormalizer(columns=columns)))
    if spec.pitch_norm:
        if columns and PITCH_COLUMN not in columns:
            raise ConfigError(
                f"pipeline {spec.name!r}: normalise.pitch needs the column {PITCH_COLUMN} "
                f"(extract with --preset default or full)"
            )
        # The pitch normaliser sees NoteNormalizer's output columns when both are on.
        steps.append(("pitch_norm", PitchNormalizer(columns=_after_note_norm(columns)
                                                    if spec.per_note else columns)))
    scaler = _scaler(spec.scaler, seed)
    if scaler is not None:
        steps.append(("scaler", scaler))
    if spec.smote:
        steps.append(("smote", AdaptiveSMOTE(
            sampling_strategy=spec.smote_sampling_strategy,
            k_neighbors=spec.smote_k_neighbors, max_samples=spec.smote_max_samples,
            random_state=seed)))
    steps.append(("classifier", make_classifier(spec.classifier, seed=seed, n_jobs=n_jobs,
                                                member_columns=spec.member_columns(columns))))
    return Pipeline(steps)


def _after_note_norm(columns):
    import numpy as np

    if not columns:
        return columns
    probe = NoteNormalizer(columns=columns).fit(np.ones((1, len(columns))))
    return list(probe.get_feature_names_out())


def search_grid(spec) -> dict:
    """The spec's search grid with pipeline parameter names (``classifier__C``)."""
    if spec.search is None:
        return {}
    prefix = classifier_param_prefix(spec.classifier.kind)
    return {(k if "__" in k else f"{prefix}{k}"): list(v) for k, v in spec.search.grid.items()}


def check_search_grid(spec, *, where="pipeline spec"):
    """Raise :class:`ConfigError` naming a grid key the pipeline does not have."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        names = set(build_pipeline(spec, []).get_params(deep=True))
    for key, full in zip(spec.search.grid, search_grid(spec)):
        if full not in names:
            prefix = classifier_param_prefix(spec.classifier.kind)
            options = sorted(n for n in names if n.startswith(prefix))
            close = difflib.get_close_matches(full, options, n=1)
            hint = f" (did you mean {close[0].removeprefix(prefix)!r}?)" if close else ""
            raise ConfigError(f"{where}: unknown key 'search.grid.{key}'{hint}")
