"""Your own features: add one to the catalogue and build a preset from it.

A feature is a pure function of an :class:`~featurekit.features.Analysis` (a
batch of clips with its STFT, mel, MFCC, envelope... computed once, see
:mod:`featurekit.features.analysis`):

* ``kind="frames"``: return shape ``(batch, frames, size)``; a preset asks
  for statistics over frames (``mean``, ``std``, ``min``, ``max``, ``median``);
* ``kind="clip"``: return shape ``(batch, size)``, one value per clip
  (statistic ``value``).

:func:`register_feature` adds it to :data:`featurekit.FEATURES` under a name
whose first ``_``-separated token is its family (the group importances and
:func:`featurekit.parse_column` report); :func:`register_preset` makes a
preset (a mapping feature -> statistics) usable everywhere a preset name is
(``extract``, ``extract_features``, ``FeatureExtractor``, ``ExtractionConfig``).

Registration lives in the Python process that runs it.  ``extract`` with
worker processes (``n_jobs != 1``) looks features up in each worker, so
register them in a module the workers import too, or run with ``n_jobs=1``
or ``backend="threading"``.  See docs/entry-points.md for a worked example.
"""

from __future__ import annotations

import re

from .errors import ConfigError
from .features.catalogue import FEATURES, PRESET_MFCC, PRESETS, STATISTICS, Feature

#: Feature names: lower-case words joined by single underscores (no ``__``).
NAME_RE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")

KINDS = ("frames", "clip")


def register_feature(name: str, *, kind: str, unit: str, doc: str | None = None):
    """Decorator adding ``func(analysis) -> ndarray`` to the feature catalogue.

    Parameters
    ----------
    name : str
        Column prefix, e.g. ``"brightness_ratio"`` (family ``brightness``);
        lower-case words joined by ``_``, not already in the catalogue.
    kind : {"frames", "clip"}
        ``"frames"``: the function returns ``(batch, frames, size)``;
        ``"clip"``: ``(batch, size)``.
    unit : str
        Unit of the values (documentation and plots).
    doc : str, optional
        One-line description; default: the first line of the function's
        docstring.

    Returns
    -------
    callable
        The decorator; it returns the function unchanged.

    Raises
    ------
    ConfigError
        A malformed or taken name, an unknown kind, no description.
    """
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise ConfigError(
            f"feature name {name!r} must be lower-case words joined by single '_' "
            "(the first word is its family), e.g. 'brightness_ratio'")
    if name in FEATURES:
        raise ConfigError(f"feature {name!r} is already in the catalogue; choose another name")
    if kind not in KINDS:
        raise ConfigError(f"kind must be one of {list(KINDS)}, got {kind!r}")

    def decorator(func):
        text = doc or (func.__doc__ or "").strip().split("\n")[0].strip()
        if not text:
            raise ConfigError(f"feature {name!r} needs doc= or a docstring")
        FEATURES[name] = Feature(name, name.split("_")[0], kind, func, unit, text)
        return func

    return decorator


def register_preset(name: str, features, *, base: str | None = None, n_mfcc: int | None = None) -> dict:
    """Make a preset of catalogue features available by name.

    Parameters
    ----------
    name : str
        Preset name (not one that exists already).
    features : mapping of str to tuple of str, or list of str
        ``{feature: statistics}``; a bare list takes ``("mean", "std")`` for
        frame features and ``("value",)`` for clip features.
    base : str, optional
        An existing preset whose entries come first (``features`` add to or
        override them).
    n_mfcc : int, optional
        MFCCs computed for mfcc-family features; default: the base preset's
        count, else 20.

    Returns
    -------
    dict
        The preset's ``{feature: statistics}`` mapping.

    Raises
    ------
    ConfigError
        A taken name, an unknown base, feature or statistic, or a statistic
        that does not fit the feature's kind.
    """
    if not isinstance(name, str) or not name or name in PRESETS:
        raise ConfigError(f"preset name {name!r} is empty or already taken; "
                          f"existing presets: {sorted(PRESETS)}")
    if base is not None and base not in PRESETS:
        raise ConfigError(f"unknown base preset {base!r}; choose one of {sorted(PRESETS)}")
    if not isinstance(features, dict):
        features = {f: None for f in features}
    spec = dict(PRESETS[base]) if base else {}
    for feat, stats in features.items():
        entry = FEATURES.get(feat)
        if entry is None:
            raise ConfigError(f"unknown feature {feat!r} in preset {name!r}; "
                              "register it first (featurekit.register_feature)")
        if stats is None:
            stats = ("value",) if entry.kind == "clip" else ("mean", "std")
        stats = (stats,) if isinstance(stats, str) else tuple(stats)
        allowed = ("value",) if entry.kind == "clip" else tuple(STATISTICS)
        bad = [s for s in stats if s not in allowed]
        if bad or not stats:
            raise ConfigError(f"statistics {bad or list(stats)} do not fit {entry.kind} feature "
                              f"{feat!r}; choose from {list(allowed)}")
        spec[feat] = stats
    if not spec:
        raise ConfigError(f"preset {name!r} holds no features")
    if n_mfcc is not None and (isinstance(n_mfcc, bool) or not isinstance(n_mfcc, int) or n_mfcc < 1):
        raise ConfigError(f"n_mfcc must be a positive integer, got {n_mfcc!r}")
    PRESETS[name] = spec
    PRESET_MFCC[name] = n_mfcc or (PRESET_MFCC[base] if base else 20)
    return dict(spec)
