"""The model input of a CNN: each row's (F, T) time-frequency matrix.

:class:`FramesInput` is the ``frames`` adapter of :mod:`featurekit.models.inputs`:
it reads the ``frames`` column of a table (one (F, T) array per row, see
:func:`featurekit.frames.attach_frames`) into an (n, F, T) array.  It imports
neither Keras nor the rest of :mod:`featurekit.cnn`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import ModelError
from ..frames import FRAMES_COLUMN, attach_frames

__all__ = ["FramesInput", "frames_matrix"]


def frames_matrix(table: pd.DataFrame, shape) -> np.ndarray:
    """Stack a table's ``frames`` column into an array.

    Parameters
    ----------
    table : DataFrame
        With a ``frames`` column of (F, T) arrays (see
        :func:`featurekit.frames.attach_frames`; :func:`featurekit.extract_files`
        adds one when the config has frames).
    shape : (int, int)
        The (F, T) every matrix must have.

    Returns
    -------
    ndarray, shape (n, F, T), float32
    """
    if FRAMES_COLUMN not in table.columns:
        raise ModelError("the model reads time-frequency frames, but the table has no 'frames' "
                         "column (use featurekit.frames.attach_frames or a feature directory "
                         "extracted with --frames)")
    shape = tuple(shape)
    if len(table) == 0:
        return np.zeros((0, *shape), np.float32)
    x = np.stack([np.asarray(v, dtype=np.float32).reshape(-1) for v in table[FRAMES_COLUMN]])
    if x.shape[1] != shape[0] * shape[1]:
        raise ModelError(f"frames of {x.shape[1]} values do not fit the model's {shape} input")
    return x.reshape((len(table), *shape))


class FramesInput:
    """(F, T) frames of kind ``frames`` (``"mfcc"`` or ``"logmel"``) per row.

    Parameters
    ----------
    frames : str
        The frames kind.
    shape : (int, int)
        (F, T).
    """

    kind = "frames"

    def __init__(self, frames: str, shape):
        self.frames = frames
        self.shape = tuple(int(v) for v in shape)

    @classmethod
    def from_meta(cls, meta: dict) -> "FramesInput":
        spec = meta.get("input") or {}
        if "shape" in spec:
            return cls(spec["frames"], spec["shape"])
        return cls(meta["frames"]["kind"], meta["frames"]["shape"])  # models before meta["input"]

    def to_dict(self) -> dict:
        return {"kind": self.kind, "frames": self.frames, "shape": list(self.shape)}

    def prepare(self, table: pd.DataFrame, source=None) -> pd.DataFrame:
        """``table`` with its frames read from the feature directory ``source`` (if it lacks them)."""
        if FRAMES_COLUMN in table.columns or source is None or isinstance(source, pd.DataFrame):
            return table
        return attach_frames(table, source, kind=self.frames)

    def matrix(self, table: pd.DataFrame) -> np.ndarray:
        """Shape (n_rows, F, T), float32."""
        return frames_matrix(table, self.shape)
