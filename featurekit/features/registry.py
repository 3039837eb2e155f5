"""The feature registry: what a feature is and how one is added.

A feature is a pure function of an :class:`~featurekit.features.analysis.Analysis`
(a batch of equal-length clips whose STFT, mel spectrum, envelope, ... are
computed once and shared) returning an array:

* ``kind="frames"``: shape ``(batch, frames, size)``; a preset summarises it
  over frames with the statistics of :data:`STATISTICS` (``mean``, ``std``,
  ``min``, ``max``, ``median``), each giving ``size`` columns;
* ``kind="clip"``: shape ``(batch, size)``, one value per clip (the only
  statistic is ``value``).

Columns are named ``<feature>__<statistic>__<NN>``
(:func:`featurekit.schema.feature_column`); the first ``_``-separated token of
the feature's name is its *family* (the group importances report), so a new
feature joins a family by its name.

Adding a feature
----------------
>>> import numpy as np
>>> from featurekit.features import register, make_preset
>>> @register("spectral_peak", kind="frames", unit="Hz")
... def spectral_peak(a):
...     '''Frequency of the loudest STFT bin per frame, shape (B, T, 1), Hz.'''
...     return a.plan.freqs[np.argmax(a.power, axis=-1)][..., None]
>>> preset = make_preset("peaks", ["mfcc", "spectral_peak"])
>>> preset["spectral_peak"]
('mean', 'std')

Pass the preset to :func:`featurekit.features.register_preset` to extract it
by name (``ExtractionConfig(preset="peaks")``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..errors import ConfigError
from ..schema import COLUMN_SEPARATOR

__all__ = ["Feature", "FEATURES", "STATISTICS", "KINDS", "register"]

#: Output kinds of a feature function.
KINDS = ("frames", "clip")


@dataclass(frozen=True)
class Feature:
    """One registry entry.

    Attributes
    ----------
    name : str
        Column prefix; its first ``_``-separated token is the family.
    family : str
        Group used by importances (``mfcc``, ``spectral``, ...).
    kind : {"frames", "clip"}
    func : callable
        ``func(analysis) -> ndarray`` (see the module docstring for shapes).
    unit : str
        Unit of the values, for documentation and plots.
    doc : str
        One-line description.
    sample_rate : int or None
        The only clip rate (Hz) the feature works at (a pre-trained model's),
        checked by :class:`~featurekit.config.ExtractionConfig`; None: any.
    """

    name: str
    family: str
    kind: str
    func: Callable
    unit: str
    doc: str
    sample_rate: int | None = None


#: Every registered feature, by name.
FEATURES: dict[str, Feature] = {}


#: Summaries of a ``kind="frames"`` feature over its frames: ``(B, T, k) -> (B, k)``.
STATISTICS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "mean": lambda x: x.mean(axis=1),
    "std": lambda x: x.std(axis=1),
    "min": lambda x: x.min(axis=1),
    "max": lambda x: x.max(axis=1),
    "median": lambda x: np.median(x, axis=1),
}

#: The statistic of a ``kind="clip"`` feature.
CLIP_STATISTIC = "value"


def register(name: str, *, kind: str, unit: str, doc: str | None = None,
             replace: bool = False, sample_rate: int | None = None) -> Callable:
    """Decorator adding a feature function to :data:`FEATURES`.

    Parameters
    ----------
    name : str
        Feature name, the column prefix: lower-case letters, digits and single
        ``_``; its first ``_``-separated token is the family
        (``"spectral_peak"`` joins ``spectral``).
    kind : {"frames", "clip"}
        ``"frames"``: the function returns shape ``(batch, frames, size)``,
        summarised by a preset's statistics; ``"clip"``: shape
        ``(batch, size)``, one value per clip.
    unit : str
        Unit of the values (``"Hz"``, ``"dB"``, ``"s"``, ``"ratio"``...).
    doc : str, optional
        One-line description; default: the first line of the function's
        docstring.
    replace : bool, default=False
        Allow replacing a feature of the same name (else an error).
    sample_rate : int, optional
        The only sample rate (Hz) the feature works at; extraction configs of
        a preset holding it must use that rate.

    Returns
    -------
    callable
        The decorator; it returns the function unchanged.

    Raises
    ------
    ConfigError
        A malformed name, an unknown ``kind``, an empty ``unit``, a name
        already registered (without ``replace``), or no description.
    """
    if (not isinstance(name, str) or not name or COLUMN_SEPARATOR in name
            or name.startswith("_") or name.endswith("_")
            or not name.replace("_", "").isalnum() or name != name.lower()):
        raise ConfigError(
            f"bad feature name {name!r}: use lower-case letters, digits and single '_' "
            "(the first '_'-separated token is the family)"
        )
    if kind not in KINDS:
        raise ConfigError(f"feature {name!r}: kind must be one of {', '.join(KINDS)}, got {kind!r}")
    if not unit:
        raise ConfigError(f"feature {name!r}: give the unit of its values")
    if name in FEATURES and not replace:
        raise ConfigError(f"feature {name!r} is already registered; pass replace=True to replace it")

    def decorator(func):
        text = doc or (func.__doc__ or "").strip().split("\n")[0].strip()
        if not text:
            raise ConfigError(f"feature {name!r}: give a one-line doc (or a docstring)")
        FEATURES[name] = Feature(name, name.split("_")[0], kind, func, unit, text, sample_rate)
        return func

    return decorator
