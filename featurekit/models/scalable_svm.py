"""An RBF support-vector classifier that stays usable at NSynth scale.

An exact RBF SVM (libsvm) costs O(n^2) time and kernel-cache memory: about a
minute at 20,000 rows, hours at the 300,000 notes of NSynth's train split
(several times that after SMOTE).  :class:`ScalableSVC` fits the exact SVM up
to :data:`EXACT_MAX_SAMPLES` rows and, above, the same RBF kernel
approximated by Nystroem features (``n_components`` landmark rows) followed
by a least-squares linear SVM (LS-SVM: ridge regression on the +-1 class
codes, :class:`sklearn.linear_model.RidgeClassifier`), whose cost is linear
in n (one ``n_components``-square Gram matrix).  A hinge-loss linear SVM by
SGD on the same features cost ~15x the CPU at 50,000 rows (macro-F1 0.299 vs
0.289 on the 1,999-note real NSynth dev table, exact SVM 0.285; see
``benchmarks/svm_scale.py``).  Which one was used is recorded in ``solver_``.
"""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.kernel_approximation import Nystroem
from sklearn.linear_model import RidgeClassifier
from sklearn.svm import SVC
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import unique_labels
from sklearn.utils.validation import check_is_fitted, validate_data

__all__ = ["ScalableSVC", "EXACT_MAX_SAMPLES"]

#: Above this many training rows (as the classifier sees them: after SMOTE,
#: within a calibration fold) ``solver="auto"`` uses the Nystroem path.
EXACT_MAX_SAMPLES = 20_000


class ScalableSVC(ClassifierMixin, BaseEstimator):
    """RBF SVM: exact (libsvm) on small data, Nystroem + least-squares linear SVM on large.

    Parameters
    ----------
    C : float
        Regularisation of both paths (the least-squares path uses ridge
        ``alpha = 1 / C``, the LS-SVM's equivalent).
    kernel : {"rbf"}
        Only the RBF kernel has a scalable path here.
    gamma : "scale", "auto" or float
        RBF width, as in :class:`sklearn.svm.SVC` (``"scale"``:
        ``1 / (n_features * X.var())``); the same value for both paths.
    cache_size : float
        Kernel cache (MB) of the exact path.
    solver : {"auto", "exact", "nystroem"}
        ``"auto"``: exact up to ``exact_max_samples`` rows, Nystroem above.
    exact_max_samples : int
        The ``"auto"`` threshold (default :data:`EXACT_MAX_SAMPLES`).
    n_components : int
        Nystroem landmarks (features of the approximate kernel map).
    random_state : int, RandomState or None

    Attributes
    ----------
    solver_ : str
        ``"exact"`` or ``"nystroem"``: the path ``fit`` took.
    gamma_ : float
        The RBF width used.
    classes_ : ndarray
    estimator_ : SVC or (Nystroem, RidgeClassifier) pair
        The fitted model (``nystroem_``, ``linear_`` on the Nystroem path).
    n_features_in_ : int
    """

    _parameter_constraints = {
        "C": [Interval(numbers.Real, 0, None, closed="neither")],
        "kernel": [StrOptions({"rbf"})],
        "gamma": [StrOptions({"scale", "auto"}), Interval(numbers.Real, 0, None, closed="neither")],
        "cache_size": [Interval(numbers.Real, 0, None, closed="neither")],
        "solver": [StrOptions({"auto", "exact", "nystroem"})],
        "exact_max_samples": [Interval(numbers.Integral, 1, None, closed="left")],
        "n_components": [Interval(numbers.Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(self, C=1.0, kernel="rbf", gamma="scale", cache_size=200, solver="auto",
                 exact_max_samples=EXACT_MAX_SAMPLES, n_components=1000,
                 random_state=None):
        self.C = C
        self.kernel = kernel
        self.gamma = gamma
        self.cache_size = cache_size
        self.solver = solver
        self.exact_max_samples = exact_max_samples
        self.n_components = n_components
        self.random_state = random_state

    def _gamma_value(self, X) -> float:
        if self.gamma == "scale":
            var = float(X.var())
            return 1.0 / (X.shape[1] * var) if var > 0 else 1.0
        if self.gamma == "auto":
            return 1.0 / X.shape[1]
        return float(self.gamma)

    def fit(self, X, y):
        """Fit on ``X`` (n_samples, n_features), ``y`` (n_samples,); returns self."""
        self._validate_params()
        X, y = validate_data(self, X, y, dtype=[np.float64, np.float32])
        self.classes_ = unique_labels(y)
        n = X.shape[0]
        self.gamma_ = self._gamma_value(X)
        exact = self.solver == "exact" or (self.solver == "auto" and n <= self.exact_max_samples)
        if exact:
            self.solver_ = "exact"
            self.estimator_ = SVC(C=self.C, kernel="rbf", gamma=self.gamma_,
                                  cache_size=self.cache_size, random_state=self.random_state)
            self.estimator_.fit(X, y)
            return self
        self.solver_ = "nystroem"
        X = X.astype(np.float32, copy=False)
        self.nystroem_ = Nystroem(kernel="rbf", gamma=self.gamma_,
                                  n_components=min(self.n_components, n),
                                  random_state=self.random_state).fit(X)
        Z = self._features(X)
        self.linear_ = RidgeClassifier(alpha=1.0 / self.C).fit(Z, y)
        del Z
        self.estimator_ = (self.nystroem_, self.linear_)
        return self

    def _features(self, X, batch=65_536):
        """Nystroem map of ``X`` in float32, in row batches (bounded temporaries)."""
        X = np.asarray(X, dtype=np.float32)
        Z = np.empty((X.shape[0], self.nystroem_.components_.shape[0]), np.float32)
        for lo in range(0, X.shape[0], batch):
            Z[lo : lo + batch] = self.nystroem_.transform(X[lo : lo + batch])
        return Z

    def decision_function(self, X):
        """Decision values, shape (n_samples, n_classes) (or (n_samples,) for two classes)."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        if self.solver_ == "exact":
            return self.estimator_.decision_function(X)
        return self.linear_.decision_function(self._features(X))

    def predict(self, X):
        """Predicted labels, shape (n_samples,)."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        if self.solver_ == "exact":
            return self.estimator_.predict(X)
        return self.linear_.predict(self._features(X))
