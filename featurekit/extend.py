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

from .errors import ConfigError
from .features import PRESETS, make_preset, register
from .features import presets as _presets

__all__ = ["register_feature", "register_preset"]

#: Decorator adding ``func(analysis) -> ndarray`` to the catalogue: :func:`featurekit.features.register`.
register_feature = register


def register_preset(name: str, features, *, base: str | None = None, n_mfcc: int | None = None) -> dict:
    """Make a preset of catalogue features available by name.

    A convenience over :func:`featurekit.features.make_preset` and
    :func:`featurekit.features.register_preset`.

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
    if n_mfcc is not None and (isinstance(n_mfcc, bool) or not isinstance(n_mfcc, int) or n_mfcc < 1):
        raise ConfigError(f"n_mfcc must be a positive integer, got {n_mfcc!r}")
    added = dict(make_preset(name, features))  # validates names and fills default statistics
    entries = {**(dict(PRESETS[base]) if base else {}), **added}
    count = n_mfcc or (PRESETS[base].n_mfcc if base else 20)
    return dict(_presets.register_preset(make_preset(name, entries, n_mfcc=count)))
