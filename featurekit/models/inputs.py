"""Model inputs: how a saved model turns rows of a feature table into its input array.

A :class:`~featurekit.models.artifact.Model` does not know what its estimator
reads: it asks its *input adapter*, named in the model's metadata
(``meta["input"]["kind"]``) and looked up in :data:`INPUT_KINDS`:

``columns`` (:class:`ColumnInput`)
    The feature columns ``meta["feature_columns"]``, in order: a float32
    matrix of shape (n_rows, n_columns).  Every classical pipeline.
``frames`` (:class:`featurekit.cnn.inputs.FramesInput`)
    The (F, T) time-frequency matrix of every row: shape (n_rows, F, T).

An adapter has ``kind``, ``from_meta(meta)`` (a classmethod), ``matrix(table)``
and ``prepare(table, source)``, which adds what the table lacks from the
feature directory ``source`` it was loaded from (frames live beside the
feature shards) and returns the table unchanged when there is nothing to add.
"""

from __future__ import annotations

import importlib

import numpy as np
import pandas as pd

from ..errors import ModelError

__all__ = ["ColumnInput", "INPUT_KINDS", "model_input"]

#: input kind -> "module:class" of its adapter (imported on first use, so the
#: optional parts stay optional).
INPUT_KINDS = {
    "columns": "featurekit.models.inputs:ColumnInput",
    "frames": "featurekit.cnn.inputs:FramesInput",
}


class ColumnInput:
    """The feature columns of a table, in the model's order.

    Parameters
    ----------
    columns : list of str
    preset : str, optional
        The preset of the model's extraction config (named in the error when
        columns are missing).
    """

    kind = "columns"

    def __init__(self, columns, preset=None):
        self.columns = list(columns)
        self.preset = preset

    @classmethod
    def from_meta(cls, meta: dict) -> "ColumnInput":
        return cls(meta.get("feature_columns", []),
                   (meta.get("extraction_config") or {}).get("preset"))

    def to_dict(self) -> dict:
        return {"kind": self.kind}

    def prepare(self, table: pd.DataFrame, source=None) -> pd.DataFrame:
        return table

    def matrix(self, table: pd.DataFrame) -> np.ndarray:
        """Shape (n_rows, len(columns)), float32."""
        missing = [c for c in self.columns if c not in table.columns]
        if missing:
            raise ModelError(
                f"the table lacks {len(missing)} feature columns the model was trained on "
                f"(e.g. {missing[0]}); extract with the model's config "
                f"(preset {self.preset!r})"
            )
        return table[self.columns].to_numpy(dtype=np.float32)


def model_input(meta: dict):
    """The input adapter a model's metadata names (``meta["input"]["kind"]``)."""
    spec = meta.get("input")
    if spec is None:
        # models saved before meta["input"] existed: a CNN recorded only its frames
        spec = {"kind": "frames"} if meta.get("frames") else {"kind": "columns"}
    target = INPUT_KINDS.get(spec.get("kind"))
    if target is None:
        raise ModelError(f"unknown model input kind {spec.get('kind')!r}; "
                         f"this featurekit reads {', '.join(INPUT_KINDS)}")
    module, name = target.split(":")
    return getattr(importlib.import_module(module), name).from_meta(meta)
