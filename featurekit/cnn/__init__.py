"""Optional Keras 3 CNN on time-frequency frames, scored like the classical pipelines.

``pip install 'featurekit[cnn]'`` installs Keras 3 and JAX (CPU) as its
backend; the rest of featurekit never imports them.  ``KERAS_BACKEND`` is set
to ``jax`` before Keras is imported unless you set it yourself (``torch`` or
``tensorflow``, installed by you, work as well).

* :mod:`.backend`: importing Keras with a clear error when it is missing.
* :mod:`.model`: the network (the seed-style MFCC CNN by default).
* :mod:`.estimator`: :class:`KerasFramesClassifier`, a scikit-learn-style
  classifier of (n, F, T) frames with early stopping and class weights.
* :mod:`.train`: :func:`train_cnn`, behind ``featurekit.train(features, "cnn")``
  and ``featurekit train cnn``: the same honest splits, ``metrics.json``,
  confusion matrix and model directories as every other KIND.

Frames are extracted with ``featurekit extract CORPUS --out DIR --frames``
(see :mod:`featurekit.frames`).
"""

from __future__ import annotations

import importlib

__all__ = ["KerasFramesClassifier", "build_network", "train_cnn", "import_keras",
           "DEFAULT_BACKEND", "INSTALL_HINT"]

_LAZY = {
    "KerasFramesClassifier": "featurekit.cnn.estimator",
    "build_network": "featurekit.cnn.model",
    "train_cnn": "featurekit.cnn.train",
    "import_keras": "featurekit.cnn.backend",
    "DEFAULT_BACKEND": "featurekit.cnn.backend",
    "INSTALL_HINT": "featurekit.cnn.backend",
}


def __getattr__(name):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'featurekit.cnn' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
