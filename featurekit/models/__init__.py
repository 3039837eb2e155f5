"""Honest, declarative SMOTE pipelines: train, evaluate, save, load and predict.

* :mod:`~featurekit.models.spec`: TOML pipeline specs (``featurekit/pipelines/*.toml``).
* :mod:`~featurekit.models.pipeline`: spec -> imbalanced-learn ``Pipeline``.
* :mod:`~featurekit.models.split`: instrument-disjoint splits.
* :mod:`~featurekit.models.columns`: the metadata columns the model code reads.
* :mod:`~featurekit.models.harness`: the one training loop (tables, labels, folds,
  refit, metrics, metadata, saving) behind every KIND.
* :mod:`~featurekit.models.classical`: the pipeline-spec KINDs on that harness
  (:mod:`featurekit.cnn.train` is the CNN's).
* :mod:`~featurekit.models.inputs`: how a model turns table rows into its input.
* :mod:`~featurekit.models.metrics`: metrics and metric files.
* :mod:`~featurekit.models.artifact`: skops model directories.
* :mod:`~featurekit.models.api`: ``train``, ``evaluate``, ``predict``, ``load_model``.
"""

from .api import (
    EvaluationResult,
    Model,
    PredictResult,
    TrainResult,
    evaluate,
    load_model,
    predict,
    train,
)
from .columns import TARGETS
from .harness import (
    config_dict,
    fit_errors,
    instrument_keys,
    instruments_of,
    load_table,
    prediction_frame,
    target_labels,
)
from .spec import PipelineSpec, available_pipelines, load_spec

__all__ = [
    "train", "evaluate", "predict", "load_model", "load_spec", "available_pipelines",
    "Model", "PipelineSpec", "TrainResult", "EvaluationResult", "PredictResult", "TARGETS",
    # shared building blocks of the training, evaluation and analysis code
    "load_table", "target_labels", "fit_errors", "config_dict", "instruments_of", "instrument_keys",
    "prediction_frame",
]
