"""Import Keras 3 on the backend featurekit installs (JAX), or say how to install it.

Why JAX: of the three Keras 3 backends, ``jax[cpu]`` is the one that installs
from PyPI on a fresh Linux/macOS/Windows machine as plain wheels with no
accelerator libraries (about 100 MB of wheels: jaxlib 85 MB), where
``tensorflow-cpu`` is a 275 MB wheel (1.6 GB installed) and PyPI's ``torch``
on Linux pulls the CUDA build (several GB) unless a CPU-only index is
configured.  See ``docs/cnn.md``.
"""

from __future__ import annotations

import os

from ..errors import FeaturekitError

__all__ = ["import_keras", "DEFAULT_BACKEND", "INSTALL_HINT"]

#: The backend ``featurekit[cnn]`` installs and selects unless KERAS_BACKEND is set.
DEFAULT_BACKEND = "jax"
INSTALL_HINT = "pip install 'featurekit[cnn]'"


def import_keras():
    """Return the ``keras`` module (Keras 3), on ``KERAS_BACKEND`` or else JAX.

    A ``KERAS_BACKEND`` set by the user is respected; otherwise it is set to
    ``jax`` before the first import of Keras (Keras' own default is
    TensorFlow, which ``featurekit[cnn]`` does not install).

    Raises
    ------
    FeaturekitError
        Keras 3 or its backend is not installed; the message says what to install.
    """
    os.environ.setdefault("KERAS_BACKEND", DEFAULT_BACKEND)
    backend = os.environ["KERAS_BACKEND"]
    try:
        import keras
    except ImportError as exc:
        missing = getattr(exc, "name", None) or ""
        if missing.split(".")[0] == "keras":
            raise FeaturekitError(
                f"the CNN needs Keras 3 and a backend, which are optional: {INSTALL_HINT}"
            ) from None
        raise FeaturekitError(
            f"Keras cannot load its backend {backend!r} (KERAS_BACKEND): {exc}; "
            f"{INSTALL_HINT} installs Keras with JAX (unset KERAS_BACKEND to use it)"
        ) from None
    except ValueError as exc:  # Keras: "Unable to import backend : NAME"
        raise FeaturekitError(
            f"Keras has no backend {backend!r} (KERAS_BACKEND: jax, torch, tensorflow): {exc}"
        ) from None
    version = getattr(keras, "__version__", "0")
    if int(version.split(".")[0]) < 3:
        raise FeaturekitError(f"the CNN needs Keras 3, found Keras {version}: {INSTALL_HINT}")
    if keras.backend.backend() == "jax":
        _jax_compilation_cache()
    return keras


def _jax_compilation_cache() -> None:
    """Keep JAX's compiled train/predict steps on disk (unless the user chose a cache).

    Compiling the CNN's training step costs seconds of CPU; every network of
    the same architecture and input shape (each cross-validation fold, each
    later run) then loads it instead.  The directory is
    ``$JAX_COMPILATION_CACHE_DIR`` when set (JAX reads it itself), else
    ``$XDG_CACHE_HOME/featurekit/jax`` (``~/.cache/featurekit/jax``); a
    directory that cannot be created leaves caching off.
    """
    import jax

    if jax.config.jax_compilation_cache_dir:
        return
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    path = os.path.join(base, "featurekit", "jax")
    try:
        os.makedirs(path, exist_ok=True)
    except OSError:
        return
    jax.config.update("jax_compilation_cache_dir", path)
