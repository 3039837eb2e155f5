"""Feature catalogue, presets and the batch feature engine."""

from .analysis import Analysis, AnalysisPlan
from .catalogue import (
    FEATURES,
    PRESETS,
    STATISTICS,
    ColumnName,
    Feature,
    is_feature_column,
    parse_column,
)
from .engine import compute_features, feature_names

__all__ = [
    "Analysis", "AnalysisPlan", "FEATURES", "PRESETS", "STATISTICS", "ColumnName",
    "Feature", "is_feature_column", "parse_column", "compute_features", "feature_names",
]
