"""``KerasFramesClassifier``: a scikit-learn-style CNN classifier of time-frequency frames.

``fit`` standardises each frequency row with the training rows' statistics,
weights classes inversely to their frequency, and stops early on validation
loss: on the ``validation_data`` given (the NSynth ``valid`` split), else on a
holdout of whole groups (instruments) carved out of the training rows, so
early stopping never looks at a test row nor at a training instrument.

The fitted Keras network (``model_``) cannot go into a skops file: a saved
model keeps it beside ``model.skops`` as ``model.keras`` (:meth:`save_network`)
and a loaded one reads it back on first use (:meth:`attach_files`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.validation import check_is_fitted

from ..errors import ConfigError, ModelError
from .backend import import_keras

__all__ = ["KerasFramesClassifier", "KERAS_FILE"]

#: File name of the network inside a model directory.
KERAS_FILE = "model.keras"
_EPS = 1e-6
#: Rows per predict step (inputs are padded to a multiple of it).
_PREDICT_BATCH = 256


class KerasFramesClassifier(ClassifierMixin, BaseEstimator):
    """CNN classifier of (F, T) time-frequency matrices (see :mod:`featurekit.frames`).

    Parameters
    ----------
    filters : tuple of int, optional
        Filters per convolutional block; default: ``(32, 64)`` for inputs
        smaller than 48 on both sides (the seed MFCC CNN), else ``(16, 32, 64)``.
    dense : int, default=64
        Hidden dense units.
    dropout : float, default=0.3
    epochs : int, default=40
        Maximum epochs; early stopping usually ends sooner.
    batch_size : int, default=32
    learning_rate : float, default=1e-3
        Adam's step size.
    patience : int, default=6
        Epochs without a lower validation loss before stopping (the weights
        of the best epoch are kept).
    class_weight : {"balanced", None}, default="balanced"
        Weight each training class by ``n / (k * n_class)``.
    validation_fraction : float, default=0.2
        Share of the training groups held out for early stopping when
        ``fit`` gets no ``validation_data``; 0 trains all ``epochs`` without it.
    random_state : int, default=0
        Seeds the weights, dropout, the per-epoch shuffling and the holdout.
        The seeds are local (per-layer seeds and a NumPy ``default_rng``):
        fitting never reseeds Python's, NumPy's or Keras' global generators.
    verbose : int, default=0
        Keras' ``fit`` verbosity.

    Attributes
    ----------
    classes_ : ndarray, shape (n_classes,)
    input_shape_ : tuple of int
        (F, T).
    mean_, scale_ : ndarray, shape (F,)
        Per-row standardisation learnt on the training rows.
    model_ : keras.Model
        The network.
    n_epochs_ : int
        Epochs run.
    best_epoch_ : int
        1-based epoch whose weights were kept.
    history_ : dict of list of float
        Keras' per-epoch ``loss``, ``accuracy`` (and ``val_*``).
    validation_ : str
        What early stopping watched.
    """

    def __init__(self, filters=None, dense=64, dropout=0.3, epochs=40, batch_size=32,
                 learning_rate=1e-3, patience=6, class_weight="balanced",
                 validation_fraction=0.2, random_state=0, verbose=0):
        self.filters = filters
        self.dense = dense
        self.dropout = dropout
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.patience = patience
        self.class_weight = class_weight
        self.validation_fraction = validation_fraction
        self.random_state = random_state
        self.verbose = verbose

    # --- checks -----------------------------------------------------------
    def check_params(self):
        """Raise :class:`~featurekit.errors.ConfigError` naming a bad parameter value."""
        for name in ("epochs", "batch_size", "patience"):
            value = getattr(self, name)
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
                raise ConfigError(f"{name} must be a positive integer, got {value!r}")
        if not 0 <= self.dropout < 1:
            raise ConfigError(f"dropout must be in [0, 1), got {self.dropout!r}")
        if not 0 <= self.validation_fraction < 1:
            raise ConfigError(f"validation_fraction must be in [0, 1), "
                              f"got {self.validation_fraction!r}")
        if not self.learning_rate > 0:
            raise ConfigError(f"learning_rate must be > 0, got {self.learning_rate!r}")
        if self.class_weight not in ("balanced", None):
            raise ConfigError(f"class_weight must be 'balanced' or None, got {self.class_weight!r}")

    @staticmethod
    def _frames(X) -> np.ndarray:
        X = np.asarray(X, dtype=np.float32)
        if X.ndim != 3:
            raise ValueError(f"expected frames of shape (n, F, T), got shape {X.shape}")
        if not np.isfinite(X).all():
            raise ValueError("frames contain NaN or infinite values")
        return X

    def _scaled(self, X):
        return ((X - self.mean_[None, :, None]) / self.scale_[None, :, None])[..., None]

    # --- fit --------------------------------------------------------------
    def fit(self, X, y, *, groups=None, validation_data=None):
        """Train the CNN.

        Parameters
        ----------
        X : array-like, shape (n, F, T)
        y : array-like, shape (n,)
        groups : array-like, shape (n,), optional
            Group (instrument) of each row: without ``validation_data``,
            early stopping watches a holdout of whole groups.  Without
            groups the holdout is a stratified random one.
        validation_data : (X_valid, y_valid), optional
            Rows early stopping watches (e.g. NSynth ``valid``); labels the
            training rows lack are ignored there.

        Returns
        -------
        self
        """
        self.check_params()
        keras = import_keras()
        X = self._frames(X)
        y = np.asarray(y)
        if len(X) != len(y):
            raise ValueError(f"X has {len(X)} rows but y has {len(y)}")
        classes = np.unique(y)
        if len(classes) < 2:
            raise ValueError(f"need at least 2 classes to train, got {len(classes)}")
        self.classes_ = classes
        self.input_shape_ = tuple(int(v) for v in X.shape[1:])
        if validation_data is not None:
            fit_rows = np.arange(len(X))
            Xv, yv = self._frames(validation_data[0]), np.asarray(validation_data[1])
            known = np.isin(yv, classes)
            Xv, yv = Xv[known], yv[known]
            self.validation_ = f"given validation rows ({len(yv)} notes)"
        else:
            fit_rows, hold = _holdout(y, groups, self.validation_fraction, self.random_state)
            Xv, yv = X[hold], y[hold]
            self.validation_ = (f"holdout of {len(np.unique(np.asarray(groups)[hold]))} groups "
                                f"({len(hold)} notes)" if groups is not None and len(hold)
                                else f"random holdout ({len(hold)} notes)" if len(hold)
                                else "none (all epochs run)")
        Xt, yt = X[fit_rows], y[fit_rows]
        self.mean_ = Xt.mean(axis=(0, 2)).astype(np.float32)
        self.scale_ = (Xt.std(axis=(0, 2)) + _EPS).astype(np.float32)
        yt_idx = np.searchsorted(classes, yt)
        weights = np.ones(len(yt_idx), dtype=np.float32)
        if self.class_weight == "balanced":
            present = np.unique(yt_idx)
            w = compute_class_weight("balanced", classes=present, y=yt_idx)
            weights = w[np.searchsorted(present, yt_idx)].astype(np.float32)
        batch = int(self.batch_size)

        from .model import build_network

        seed = int(self.random_state)
        net = build_network(self.input_shape_, len(classes), filters=self.filters,
                            dense=self.dense, dropout=self.dropout, seed=seed)
        net.compile(optimizer=keras.optimizers.Adam(learning_rate=float(self.learning_rate)),
                    loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        callbacks, validation = [], None
        if len(yv):
            validation = _full_batches(batch, self._scaled(Xv), np.searchsorted(classes, yv),
                                       np.ones(len(yv), np.float32))
            callbacks.append(keras.callbacks.EarlyStopping(
                monitor="val_loss", patience=int(self.patience), restore_best_weights=True))
        xs, ys, ws = _full_batches(batch, self._scaled(Xt), yt_idx, weights)
        batches = _shuffled_batches(keras, xs, ys, ws, batch, np.random.default_rng(seed))
        history = net.fit(batches, validation_data=validation, epochs=int(self.epochs),
                          callbacks=callbacks, verbose=self.verbose)
        self.model_ = net
        self.history_ = {k: [float(v) for v in vals] for k, vals in history.history.items()}
        self.n_epochs_ = len(self.history_["loss"])
        val_loss = self.history_.get("val_loss")
        self.best_epoch_ = int(np.argmin(val_loss)) + 1 if val_loss else self.n_epochs_
        return self

    # --- predict ----------------------------------------------------------
    def _network(self):
        net = getattr(self, "model_", None)
        if net is None:
            path = getattr(self, "_keras_path", None)
            if path is None:
                raise ModelError("this KerasFramesClassifier has no network: fit it, or load "
                                 "its model directory with featurekit.load_model")
            keras = import_keras()
            try:
                net = keras.saving.load_model(path, compile=False)
            except Exception as exc:
                raise ModelError(f"{path} cannot be loaded ({type(exc).__name__}: {exc})") from None
            self.model_ = net
        return net

    def predict_proba(self, X):
        """Class probabilities, shape (n, n_classes), columns in ``classes_`` order."""
        check_is_fitted(self, "classes_")
        X = self._frames(X)
        if tuple(X.shape[1:]) != self.input_shape_:
            raise ValueError(f"frames of shape {tuple(X.shape[1:])} do not fit the network's "
                             f"input {self.input_shape_}")
        if len(X) == 0:
            return np.zeros((0, len(self.classes_)))
        (xs,) = _full_batches(_PREDICT_BATCH, self._scaled(X))
        proba = self._network().predict(xs, batch_size=_PREDICT_BATCH, verbose=0)
        proba = np.asarray(proba, dtype=np.float64)[: len(X)]
        return proba / proba.sum(axis=1, keepdims=True)

    def predict(self, X):
        """Most probable class of each row, shape (n,)."""
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    # --- files ------------------------------------------------------------
    def save_network(self, directory) -> Path:
        """Write the network to ``directory/model.keras``; returns the path."""
        path = Path(directory) / KERAS_FILE
        self._network().save(path)
        return path

    def attach_files(self, directory) -> None:
        """Read the network from ``directory/model.keras`` when first needed.

        Called by :func:`featurekit.load_model`; a missing file is an error now,
        a missing Keras only when the network is used.
        """
        path = Path(directory) / KERAS_FILE
        if not path.is_file():
            raise ModelError(f"{directory} holds a CNN model but no {KERAS_FILE}")
        self.__dict__.pop("model_", None)
        self._keras_path = str(path)

    def __getstate__(self):
        # skops (and pickle) get everything but the Keras objects.
        state = dict(super().__getstate__())
        state.pop("model_", None)
        state.pop("_keras_path", None)
        return state


def _full_batches(batch, *arrays):
    """Pad ``arrays`` (rows first) to a multiple of ``batch`` rows.

    Every batch then has one shape, so JAX compiles the train, test and
    predict steps once per network instead of once more for a last, partial
    batch.  Padding repeats the first rows; callers give padded rows zero
    sample weight (the last array) or drop their predictions.
    """
    n = len(arrays[0])
    pad = (-n) % batch
    if pad == 0:
        return arrays
    idx = np.resize(np.arange(n), pad)
    out = [np.concatenate([a, a[idx]]) for a in arrays]
    if len(arrays) == 3:  # (x, y, sample_weight): padded rows weigh nothing
        out[2][n:] = 0
    return tuple(out)


def _shuffled_batches(keras, x, y, w, batch, rng):
    """A Keras ``PyDataset`` of full ``(x, y, w)`` batches, reshuffled by ``rng`` every epoch.

    Keras' own ``shuffle=True`` draws from NumPy's global generator; this one
    draws from ``rng`` only.
    """

    class Batches(keras.utils.PyDataset):
        def __init__(self):
            super().__init__()
            self.order = rng.permutation(len(x))

        def __len__(self):
            return len(x) // batch

        def __getitem__(self, i):
            idx = self.order[i * batch:(i + 1) * batch]
            return x[idx], y[idx], w[idx]

        def on_epoch_end(self):
            self.order = rng.permutation(len(x))

    return Batches()


def _holdout(y, groups, fraction, seed):
    """(fit rows, holdout rows) for early stopping.

    With ``groups``: per class, ``round(fraction * n)`` of the class's groups
    (keeping at least one in training) are held out whole.  Without: a
    stratified random ``fraction`` of the rows of classes with >= 2 rows.
    """
    rng = np.random.default_rng(seed)
    n = len(y)
    rows = np.arange(n)
    if fraction <= 0:
        return rows, rows[:0]
    hold = np.zeros(n, dtype=bool)
    if groups is not None:
        groups = np.asarray(groups).astype(str)
        # each group's majority class
        owner = {}
        for g in np.unique(groups):
            labels, counts = np.unique(y[groups == g], return_counts=True)
            owner[g] = labels[np.argmax(counts)]
        for cls in np.unique(y):
            own = sorted(g for g, c in owner.items() if c == cls)
            k = min(len(own) - 1, int(round(fraction * len(own))))
            if k > 0:
                hold |= np.isin(groups, rng.permutation(own)[:k])
    else:
        for cls in np.unique(y):
            idx = rows[y == cls]
            k = min(len(idx) - 1, int(round(fraction * len(idx))))
            if k > 0:
                hold[rng.permutation(idx)[:k]] = True
    return rows[~hold], rows[hold]
