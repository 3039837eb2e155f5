"""Model inspection: which features a fitted model relies on.

* :mod:`~featurekit.inspection.engine`: :func:`permutation_importance` (shaped
  like :func:`sklearn.inspection.permutation_importance`, with column groups
  and per-class drops) and :func:`mdi_importance`; pure, no file I/O.
* :mod:`~featurekit.inspection.heldout`: the rows of a table a saved model
  was not trained on, from its ``predictions.parquet``.
* :mod:`~featurekit.inspection.plots`: bar plots on ``matplotlib.figure.Figure``.
* :mod:`~featurekit.inspection.outputs`: the rule for replacing output files.

:func:`featurekit.importances` ties them together for a saved model.
"""

from .engine import MAX_SAMPLES, SCORINGS, mdi_importance, permutation_importance, subsample_rows

__all__ = ["permutation_importance", "mdi_importance", "subsample_rows", "MAX_SAMPLES", "SCORINGS"]
