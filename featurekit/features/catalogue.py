"""The feature catalogue in one import: registry, every family's features, presets.

Where things live:

* :mod:`~featurekit.features.registry` -- :class:`Feature`, :data:`FEATURES`,
  :func:`register`, :data:`STATISTICS`;
* one module per family, each feature a documented pure function:
  :mod:`~featurekit.features.mfcc` (``mfcc``, ``mel``),
  :mod:`~featurekit.features.spectral` (``spectral``, ``chroma``),
  :mod:`~featurekit.features.temporal`, :mod:`~featurekit.features.envelope`,
  :mod:`~featurekit.features.harmonic`;
* :mod:`~featurekit.features.presets` -- :class:`Preset`, :data:`PRESETS`,
  :func:`make_preset`;
* :mod:`featurekit.schema` -- the column-name format and :func:`parse_column`.
"""

from __future__ import annotations

from ..schema import ColumnName, feature_column, is_feature_column, parse_column
from .presets import PRESET_MFCC, PRESETS, Preset, make_preset, register_preset
from .registry import FEATURES, STATISTICS, Feature, register

__all__ = [
    "Feature", "FEATURES", "register", "STATISTICS", "Preset", "PRESETS", "PRESET_MFCC",
    "make_preset", "register_preset", "ColumnName", "feature_column", "parse_column",
    "is_feature_column",
]
