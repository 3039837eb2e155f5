"""Feature registry, the catalogue's feature families, presets and the batch engine.

Add a feature with :func:`register` and select features with
:func:`make_preset` (see :mod:`featurekit.features.registry`).
"""

from ..schema import ColumnName, feature_column, is_feature_column, parse_column
from .analysis import Analysis, AnalysisPlan
from .engine import compute_features, feature_names
from .presets import PRESET_MFCC, PRESETS, Preset, make_preset, register_preset
from .registry import FEATURES, STATISTICS, Feature, register

__all__ = [
    "Analysis", "AnalysisPlan", "FEATURES", "PRESETS", "PRESET_MFCC", "STATISTICS", "ColumnName",
    "Feature", "Preset", "register", "make_preset", "register_preset", "feature_column",
    "is_feature_column", "parse_column", "compute_features", "feature_names",
]
