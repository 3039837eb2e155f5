"""Declarative pipeline specs: one TOML file per pipeline.

A spec says *what* a pipeline is (which feature columns, which per-note
normalisation, scaler, SMOTE settings, classifier and parameters, optional
search grid); :mod:`featurekit.models.pipeline` turns it into an
imbalanced-learn ``Pipeline``.  Packaged specs live in ``featurekit/pipelines``
(``featurekit train rf`` reads ``rf.toml``); users pass their own file with
``--pipeline``.  Every key is validated on load and errors name the bad key::

    [pipeline]
    name = "rf"
    description = "RandomForest on the default preset"

    [features]                 # which columns of the feature table
    preset = "default"         # the features and statistics of a preset
    groups = ["mfcc"]          # optional: keep these families only
    features = ["mfcc"]        # optional: keep these features only
    statistics = ["mean"]      # optional: keep these statistics only
    exclude = ["chroma"]       # optional: drop features or families
    n_mfcc = 40                # optional: require MFCCs 0..39 (mfcc* features)

    [normalise]
    per_note = true            # level / pitch-relative per-note features
    pitch = false              # fitted per-pitch detrending (training rows only)

    [scaler]
    kind = "standard"          # standard | robust | quantile | none

    [smote]
    enabled = true
    k_neighbors = 5
    sampling_strategy = "auto"
    max_samples = 400000       # optional: cap the balanced set (under-samples large classes)

    [classifier]
    kind = "rf"
    [classifier.params]
    n_estimators = 300

    [[classifier.members]]     # kind = "ensemble": a soft vote of members,
    kind = "rf"                # each optionally on its own columns (a subset
    [classifier.members.features]  # of [features]; needs normalise off)
    preset = "default"

    [search]                   # optional
    cv = 3
    scoring = "f1_macro"
    [search.grid]
    max_features = ["sqrt", 0.2]
"""

from __future__ import annotations

import difflib
import sys
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path

from ..errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = [
    "PipelineSpec", "FeatureSelection", "ClassifierSpec", "SearchSpec",
    "load_spec", "parse_spec", "available_pipelines", "SCALERS", "CLASSIFIER_KINDS",
]

SCALERS = ("standard", "robust", "quantile", "none")
#: Classifier kinds a spec may name (see :mod:`featurekit.models.pipeline`).
CLASSIFIER_KINDS = ("rf", "extratrees", "svm", "hgb", "logreg", "knn", "ensemble")
SCORINGS = ("f1_macro", "balanced_accuracy", "accuracy")


@dataclass(frozen=True)
class FeatureSelection:
    """Which feature columns a pipeline uses (see the module docstring)."""

    preset: str | None = None
    groups: tuple = ()
    features: tuple = ()
    statistics: tuple = ()
    exclude: tuple = ()
    n_mfcc: int | None = None


@dataclass(frozen=True)
class ClassifierSpec:
    """A classifier kind, its parameters and (for ``ensemble``) its members.

    ``features`` (ensemble members only) narrows the columns that member sees
    to a subset of the pipeline's ``[features]``; None: all of them.
    """

    kind: str
    params: dict = field(default_factory=dict)
    members: tuple = ()
    features: FeatureSelection | None = None


@dataclass(frozen=True)
class SearchSpec:
    """A grid searched on training rows only (validation split or inner GroupKFold)."""

    grid: dict
    cv: int = 3
    scoring: str = "f1_macro"


@dataclass(frozen=True)
class PipelineSpec:
    """A validated pipeline spec.

    Attributes
    ----------
    name : str
    description : str
    features : FeatureSelection
    per_note : bool
        Add per-note level- and pitch-relative features (stateless, honest).
    pitch_norm : bool
        Detrend features against the estimated pitch, fitted on training rows.
    scaler : str
    smote : bool
    smote_k_neighbors : int
    smote_sampling_strategy : str
    smote_max_samples : int or None
        Budget of the resampled set (:class:`~featurekit.models.resample.AdaptiveSMOTE`).
    classifier : ClassifierSpec
    search : SearchSpec or None
    source : str
        Where the spec came from (file path or ``package:NAME``).
    text : str
        The TOML text, saved verbatim with models.
    """

    name: str
    description: str
    features: FeatureSelection
    per_note: bool
    pitch_norm: bool
    scaler: str
    smote: bool
    smote_k_neighbors: int
    smote_sampling_strategy: str
    classifier: ClassifierSpec
    search: SearchSpec | None
    smote_max_samples: int | None = None
    source: str = ""
    text: str = ""

    def member_columns(self, columns) -> dict:
        """Positions in ``columns`` of each ensemble member with its own ``features``.

        Parameters
        ----------
        columns : list of str
            The pipeline's feature columns, in order (empty: positions unknown).

        Returns
        -------
        dict
            member index -> list of int positions in ``columns`` (empty dict
            when ``columns`` is empty or no member has its own features).
        """
        columns = list(columns)
        if not columns:
            return {}
        pos = {c: i for i, c in enumerate(columns)}
        return {i: [pos[c] for c in select_columns(self, columns, member=i)]
                for i, m in enumerate(self.classifier.members) if m.features is not None}

    def to_dict(self) -> dict:
        """JSON-serialisable view (without the TOML text)."""
        d = asdict(self)
        d.pop("text")
        return d


# --- schema -----------------------------------------------------------------
#: section -> {key: (expected type(s), description)}
_SCHEMA = {
    "pipeline": {"name": (str,), "description": (str,)},
    "features": {
        "preset": (str,), "groups": (list,), "features": (list,), "statistics": (list,),
        "exclude": (list,), "n_mfcc": (int,),
    },
    "normalise": {"per_note": (bool,), "pitch": (bool,)},
    "scaler": {"kind": (str,)},
    "smote": {"enabled": (bool,), "k_neighbors": (int,), "sampling_strategy": (str,),
              "max_samples": (int,)},
    "classifier": {"kind": (str,), "params": (dict,), "members": (list,), "features": (dict,)},
    "search": {"grid": (dict,), "cv": (int,), "scoring": (str,)},
}
_SMOTE_STRATEGIES = ("auto", "minority", "not minority", "not majority", "all")


def _suggest(name, options):
    close = difflib.get_close_matches(str(name), [str(o) for o in options], n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _fail(where, msg):
    raise ConfigError(f"pipeline spec {where}: {msg}")


def _check_keys(where, table, allowed, prefix):
    for key in table:
        if key not in allowed:
            _fail(where, f"unknown key '{prefix}{key}'{_suggest(key, allowed)}; "
                         f"allowed: {', '.join(sorted(allowed))}")


def _typed(where, table, section, key, default, label=None):
    """``table[key]`` checked against the schema type of ``section.key``; ``label`` names it."""
    label = label or section
    if key not in table:
        return default
    value = table[key]
    types = _SCHEMA[section][key]
    ok = isinstance(value, types) and not (bool not in types and isinstance(value, bool))
    if not ok:
        _fail(where, f"'{label}.{key}' must be {' or '.join(t.__name__ for t in types)}, "
                     f"got {value!r}")
    return value


def _str_list(where, table, section, key, allowed=None, label=None):
    label = label or section
    values = _typed(where, table, section, key, [], label)
    for v in values:
        if not isinstance(v, str):
            _fail(where, f"'{label}.{key}' must be a list of strings, got {v!r}")
        if allowed is not None and v not in allowed:
            _fail(where, f"'{label}.{key}' has unknown value {v!r}{_suggest(v, allowed)}; "
                         f"choose from {', '.join(sorted(set(allowed)))}")
    return tuple(values)


def _selection(where, feats, label="features") -> FeatureSelection:
    """A validated :class:`FeatureSelection` from a ``[features]``-shaped table."""
    from ..features.catalogue import FEATURES, PRESETS, STATISTICS

    _check_keys(where, feats, _SCHEMA["features"], f"{label}.")
    families = sorted({f.family for f in FEATURES.values()})
    preset = _typed(where, feats, "features", "preset", None, label)
    if preset is not None and preset not in PRESETS:
        _fail(where, f"'{label}.preset' is {preset!r}{_suggest(preset, PRESETS)}; "
                     f"choose one of {', '.join(PRESETS)}")
    n_mfcc = _typed(where, feats, "features", "n_mfcc", None, label)
    if n_mfcc is not None and n_mfcc < 1:
        _fail(where, f"'{label}.n_mfcc' must be >= 1, got {n_mfcc}")
    selection = FeatureSelection(
        preset=preset,
        groups=_str_list(where, feats, "features", "groups", families, label),
        features=_str_list(where, feats, "features", "features", FEATURES, label),
        statistics=_str_list(where, feats, "features", "statistics", [*STATISTICS, "value"],
                             label),
        exclude=_str_list(where, feats, "features", "exclude", [*FEATURES, *families], label),
        n_mfcc=n_mfcc,
    )
    if not (selection.preset or selection.groups or selection.features):
        _fail(where, f"'{label}' must set at least one of preset, groups or features")
    return selection


def _classifier(where, table, prefix="classifier"):
    _check_keys(where, table, _SCHEMA["classifier"], f"{prefix}.")
    kind = table.get("kind")
    if kind is None:
        _fail(where, f"'{prefix}.kind' is required; choose one of {', '.join(CLASSIFIER_KINDS)}")
    if kind not in CLASSIFIER_KINDS:
        _fail(where, f"'{prefix}.kind' is {kind!r}{_suggest(kind, CLASSIFIER_KINDS)}; "
                     f"choose one of {', '.join(CLASSIFIER_KINDS)}")
    params = table.get("params", {})
    if not isinstance(params, dict):
        _fail(where, f"'{prefix}.params' must be a table, got {params!r}")
    members = table.get("members", [])
    features = table.get("features")
    if features is not None:
        if "members" not in prefix:
            _fail(where, f"'{prefix}.features' is only allowed on ensemble members; "
                         f"the pipeline's columns are set in [features]")
        if not isinstance(features, dict):
            _fail(where, f"'{prefix}.features' must be a table, got {features!r}")
        features = _selection(where, features, f"{prefix}.features")
    if members and kind != "ensemble":
        _fail(where, f"'{prefix}.members' is only allowed with kind = \"ensemble\"")
    if kind == "ensemble":
        if not isinstance(members, list) or len(members) < 2:
            _fail(where, f"'{prefix}.members' must list at least two classifiers for an ensemble")
        members = tuple(
            _classifier(where, m, f"{prefix}.members[{i}]") if isinstance(m, dict)
            else _fail(where, f"'{prefix}.members[{i}]' must be a table")
            for i, m in enumerate(members)
        )
        if any(m.kind == "ensemble" for m in members):
            _fail(where, f"'{prefix}.members' cannot nest another ensemble")
    spec = ClassifierSpec(kind=kind, params=dict(params), members=tuple(members),
                          features=features)
    # Parameter names and values are checked against the estimator itself.
    from .pipeline import check_classifier_params

    check_classifier_params(spec, where=f"pipeline spec {where}", prefix=prefix)
    return spec


def parse_spec(data: dict, *, source: str = "<dict>", text: str = "") -> PipelineSpec:
    """Validate a parsed TOML mapping and return a :class:`PipelineSpec`.

    Raises
    ------
    ConfigError
        Naming the first bad key or value.
    """
    where = source
    _check_keys(where, data, _SCHEMA, "")
    for section, table in data.items():
        if not isinstance(table, dict):
            _fail(where, f"'{section}' must be a table ([{section}]), got {table!r}")
        if section != "classifier":
            _check_keys(where, table, _SCHEMA[section], f"{section}.")

    pipe = data.get("pipeline", {})
    name = _typed(where, pipe, "pipeline", "name", Path(source).stem if source else "pipeline")
    description = _typed(where, pipe, "pipeline", "description", "")

    selection = _selection(where, data.get("features", {}))

    norm = data.get("normalise", {})
    per_note = _typed(where, norm, "normalise", "per_note", False)
    pitch_norm = _typed(where, norm, "normalise", "pitch", False)

    scaler = _typed(where, data.get("scaler", {}), "scaler", "kind", "standard")
    if scaler not in SCALERS:
        _fail(where, f"'scaler.kind' is {scaler!r}{_suggest(scaler, SCALERS)}; "
                     f"choose one of {', '.join(SCALERS)}")

    sm = data.get("smote", {})
    smote = _typed(where, sm, "smote", "enabled", True)
    k = _typed(where, sm, "smote", "k_neighbors", 5)
    if k < 1:
        _fail(where, f"'smote.k_neighbors' must be >= 1, got {k}")
    strategy = _typed(where, sm, "smote", "sampling_strategy", "auto")
    if strategy not in _SMOTE_STRATEGIES:
        _fail(where, f"'smote.sampling_strategy' is {strategy!r}; "
                     f"choose one of {', '.join(_SMOTE_STRATEGIES)}")
    max_samples = _typed(where, sm, "smote", "max_samples", None)
    if max_samples is not None and max_samples < 1:
        _fail(where, f"'smote.max_samples' must be >= 1, got {max_samples}")

    if "classifier" not in data:
        _fail(where, "missing [classifier] section (with kind = \"rf\", \"svm\", ...)")
    classifier = _classifier(where, data["classifier"])
    if (per_note or pitch_norm) and any(m.features is not None for m in classifier.members):
        _fail(where, "'classifier.members[].features' needs normalise.per_note and "
                     "normalise.pitch off (members select the pipeline's input columns)")

    search = None
    if "search" in data:
        s = data["search"]
        grid = _typed(where, s, "search", "grid", None)
        if not grid:
            _fail(where, "'search.grid' must be a non-empty table of parameter = [values]")
        for key, values in grid.items():
            if not isinstance(values, list) or not values:
                _fail(where, f"'search.grid.{key}' must be a non-empty list, got {values!r}")
        cv = _typed(where, s, "search", "cv", 3)
        if cv < 2:
            _fail(where, f"'search.cv' must be >= 2, got {cv}")
        scoring = _typed(where, s, "search", "scoring", "f1_macro")
        if scoring not in SCORINGS:
            _fail(where, f"'search.scoring' is {scoring!r}; choose one of {', '.join(SCORINGS)}")
        search = SearchSpec(grid=dict(grid), cv=cv, scoring=scoring)

    spec = PipelineSpec(
        name=name, description=description, features=selection, per_note=per_note,
        pitch_norm=pitch_norm, scaler=scaler, smote=smote, smote_k_neighbors=k,
        smote_sampling_strategy=strategy, smote_max_samples=max_samples,
        classifier=classifier, search=search, source=source, text=text,
    )
    if search is not None:
        from .pipeline import check_search_grid

        check_search_grid(spec, where=f"pipeline spec {where}")
    return spec


def _packaged():
    return resources.files("featurekit").joinpath("pipelines")


def available_pipelines() -> list[str]:
    """Names of the packaged pipeline specs (``featurekit train NAME``)."""
    return sorted(p.name[: -len(".toml")] for p in _packaged().iterdir()
                  if p.name.endswith(".toml"))


def load_spec(name_or_path) -> PipelineSpec:
    """Load and validate a pipeline spec.

    Parameters
    ----------
    name_or_path : str or path-like
        A packaged pipeline name (``"rf"``, ``"svm"``, ``"hgb"``, ``"logreg"``,
        ``"mfcc40-rf"``, ...) or the path of a TOML file.

    Returns
    -------
    PipelineSpec

    Raises
    ------
    ConfigError
        Unknown name, unreadable file, invalid TOML, or an invalid key/value.
    """
    if isinstance(name_or_path, PipelineSpec):
        return name_or_path
    text_name = str(name_or_path)
    path = Path(text_name)
    if path.suffix == ".toml" or path.exists() or "/" in text_name:
        if not path.is_file():
            raise ConfigError(f"pipeline spec {text_name}: no such file")
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"pipeline spec {text_name}: cannot read ({exc})") from None
        source = str(path)
    else:
        names = available_pipelines()
        if text_name not in names:
            raise ConfigError(
                f"unknown pipeline {text_name!r}{_suggest(text_name, names)}; choose one of "
                f"{', '.join(names)} or the path of a pipeline TOML file"
            )
        text = _packaged().joinpath(f"{text_name}.toml").read_text(encoding="utf-8")
        source = f"{text_name}.toml"
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"pipeline spec {source}: invalid TOML ({exc})") from None
    return parse_spec(data, source=source, text=text)


# --- column selection -------------------------------------------------------
def _is_mfcc(p) -> bool:
    """Features with one column per MFCC coefficient (mfcc, deltas, onset, tail...)."""
    return p.group == "mfcc"


def _short(names, n=3):
    names = list(names)
    more = f" and {len(names) - n} more" if len(names) > n else ""
    return ", ".join(names[:n]) + more


def _preset_pairs(name):
    """The (feature, statistic) pairs preset ``name`` computes."""
    from ..features.catalogue import PRESETS

    return {(f, s) for f, stats in PRESETS[name].items() for s in stats}


def select_columns(spec: PipelineSpec, columns, *, member=None) -> list[str]:
    """The feature columns of a table that ``spec`` (or one ensemble member) uses, in table order.

    Parameters
    ----------
    spec : PipelineSpec
    columns : iterable of str
        Column names of a feature table (metadata columns are ignored).
    member : int, optional
        Index of an ensemble member of ``spec.classifier`` with its own
        ``features``: select its columns from ``columns`` (the pipeline's own).

    Returns
    -------
    list of str

    Raises
    ------
    ConfigError
        When the table lacks features or MFCC coefficients the spec needs
        (the message says which preset to extract with), or nothing is left.
    """
    from ..features import is_feature_column, parse_column
    from ..features.catalogue import PRESET_MFCC, PRESETS

    sel = spec.features
    where = f"pipeline {spec.name!r}"
    if member is not None:
        sel = spec.classifier.members[member].features
        where = f"pipeline {spec.name!r} classifier.members[{member}]"
        if sel is None:
            return [c for c in columns if is_feature_column(c)]
    parsed = [(c, parse_column(c)) for c in columns if is_feature_column(c)]
    if not parsed:
        raise ConfigError(f"{where}: the table has no feature columns")
    present_pairs = {(p.feature, p.statistic) for _, p in parsed}

    if sel.preset is not None:
        wanted = _preset_pairs(sel.preset)
        mfcc_limit = sel.n_mfcc or PRESET_MFCC[sel.preset]
        missing = sorted(f"{f}__{s}" for f, s in wanted - present_pairs)
        if missing and member is not None:
            raise ConfigError(f"{where}: needs {_short(missing)}, outside the pipeline's "
                              f"[features]; widen [features] to include them")
        if missing:
            larger = [p for p in PRESETS if p != sel.preset and wanted <= _preset_pairs(p)
                      and PRESET_MFCC[p] >= mfcc_limit]
            raise ConfigError(
                f"{where}: the table lacks features of preset {sel.preset!r}: {_short(missing)}; "
                f"extract with {' or '.join(f'--preset {p}' for p in [sel.preset, *larger])}"
            )
        keep = [(c, p) for c, p in parsed if (p.feature, p.statistic) in wanted]
    else:
        mfcc_limit = sel.n_mfcc
        keep = parsed
    for name in sel.features:
        if not any(p.feature == name for _, p in keep):
            if member is not None:
                raise ConfigError(f"{where}: needs {name!r} columns, outside the pipeline's "
                                  f"[features]; widen [features] to include them")
            raise ConfigError(f"{where}: the table has no {name!r} columns; "
                              f"extract with a preset that computes it (e.g. --preset full)")
    if sel.groups:
        keep = [(c, p) for c, p in keep if p.group in sel.groups]
    if sel.features:
        keep = [(c, p) for c, p in keep if p.feature in sel.features]
    if sel.statistics:
        keep = [(c, p) for c, p in keep if p.statistic in sel.statistics]
    if sel.exclude:
        keep = [(c, p) for c, p in keep
                if p.feature not in sel.exclude and p.group not in sel.exclude]
    if mfcc_limit is not None:
        keep = [(c, p) for c, p in keep if not _is_mfcc(p) or p.index < mfcc_limit]
    if sel.n_mfcc is not None:
        have = {}
        for _, p in keep:
            if _is_mfcc(p):
                have.setdefault((p.feature, p.statistic), set()).add(p.index)
        if not have:
            raise ConfigError(f"{where}: n_mfcc = {sel.n_mfcc} but no MFCC columns are selected")
        for (feat, stat), idx in sorted(have.items()):
            if len(idx) < sel.n_mfcc:
                raise ConfigError(
                    f"{where}: needs {sel.n_mfcc} {feat}__{stat} columns "
                    f"({feat}__{stat}__00..{sel.n_mfcc - 1:02d}) but the table has {len(idx)}; "
                    f"extract with --preset mfcc40 or --preset full"
                )
    if not keep:
        raise ConfigError(f"{where}: the feature selection leaves no columns of this table")
    return [c for c, _ in keep]
