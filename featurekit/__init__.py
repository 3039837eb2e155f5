"""featurekit: classical-ML instrument recognition from audio.

The public API is imported lazily so ``import featurekit`` (and the CLI's
``--help``) stay fast; see ``__all__`` for what is available.
"""

from __future__ import annotations

import importlib

from ._version import __version__
from .errors import AudioError, ConfigError, CorpusError, FeaturekitError, ModelError
from .errors import FeaturekitWarning

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
    "parse_column": "featurekit.schema",
    "PRESETS": "featurekit.features.presets",
    "FEATURES": "featurekit.features.registry",
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
    "read_label_folders": "featurekit.corpus", "read_manifest": "featurekit.layouts",
    "read_corpus_manifest": "featurekit.corpus", "list_audio_files": "featurekit.corpus",
    "predict_timeline": "featurekit.timeline", "plot_timeline": "featurekit.timeline",
    "render_corpus": "featurekit.synth", "SynthResult": "featurekit.synth",
    # entry points: scikit-learn, NumPy, your own features, `info`
    "FeatureExtractor": "featurekit.transformer", "extract_features": "featurekit.arrays",
    "register_feature": "featurekit.extend", "register_preset": "featurekit.extend",
    "info": "featurekit.summary", "format_info": "featurekit.summary",
}

__all__ = [
    "__version__", "FeaturekitError", "ConfigError", "CorpusError", "AudioError",
    "ModelError", *_LAZY,
    "FeaturekitWarning",
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
