"""Honest, declarative SMOTE pipelines: train, evaluate, save, load and predict.

* :mod:`~featurekit.models.spec`: TOML pipeline specs (``featurekit/pipelines/*.toml``).
* :mod:`~featurekit.models.pipeline`: spec -> imbalanced-learn ``Pipeline``.
* :mod:`~featurekit.models.split`: instrument-disjoint splits.
* :mod:`~featurekit.models.metrics`: metrics and report files.
* :mod:`~featurekit.models.artifact`: skops model directories.
* :mod:`~featurekit.models.api`: ``train``, ``evaluate``, ``predict``, ``load_model``.
"""

from .api import (
    TARGETS,
    EvaluationResult,
    Model,
    PredictResult,
    TrainResult,
    evaluate,
    fit_errors,
    load_table,
    target_labels,
    config_dict,
    instruments_of,
    prediction_frame,
    load_model,
    predict,
    train,
)
from .spec import PipelineSpec, available_pipelines, load_spec

__all__ = [
    "train", "evaluate", "predict", "load_model", "load_spec", "available_pipelines",
    "Model", "PipelineSpec", "TrainResult", "EvaluationResult", "PredictResult", "TARGETS",
    # shared building blocks of the training, evaluation and analysis code
    "load_table", "target_labels", "fit_errors", "config_dict", "instruments_of", "prediction_frame",
]
