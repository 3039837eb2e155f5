"""featurekit: classical-ML instrument recognition from audio.

The public API is imported lazily so ``import featurekit`` (and the CLI's
``--help``) stay fast; see ``__all__`` for what is available.
"""

from __future__ import annotations

import importlib

from ._version import __version__
from .errors import AudioError, ConfigError, CorpusError, FeaturekitError, ModelError

#: public name -> module that defines it
_LAZY = {
    "ExtractionConfig": "featurekit.config",
    "extract": "featurekit.extraction",
    "extract_files": "featurekit.extraction",
    "ExtractResult": "featurekit.extraction",
    "load_features": "featurekit.table",
    "load_failures": "featurekit.table",
    "load_frames": "featurekit.frames",
    "read_corpus": "featurekit.corpus",
    "parse_column": "featurekit.features.catalogue",
    "PRESETS": "featurekit.features.catalogue",
    "FEATURES": "featurekit.features.catalogue",
    "train": "featurekit.models.api",
    "evaluate": "featurekit.models.api",
    "predict": "featurekit.models.api",
    "load_model": "featurekit.models.api",
    "importances": "featurekit.importance",
    "group_importances": "featurekit.importance",
    "plot_importances": "featurekit.importance",
    "write_report": "featurekit.report",
    "write_html_report": "featurekit.report",
    "compare_models": "featurekit.compare",
    "read_label_folders": "featurekit.layouts", "read_manifest": "featurekit.layouts",
    "predict_timeline": "featurekit.timeline", "plot_timeline": "featurekit.timeline",
    "render_corpus": "featurekit.synth", "SynthResult": "featurekit.synth",
}

__all__ = [
    "__version__", "FeaturekitError", "ConfigError", "CorpusError", "AudioError",
    "ModelError", *_LAZY,
]


def __getattr__(name):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'featurekit' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
