"""Former home of the label-folder and manifest readers, kept so old imports work.

They live in :mod:`featurekit.corpus` now (:mod:`~featurekit.corpus.folders`,
:mod:`~featurekit.corpus.manifest`, :mod:`~featurekit.corpus.reader`);
``read_manifest`` is :func:`featurekit.corpus.read_corpus_manifest` (not the
feature table's JSON manifest of :mod:`featurekit.table`).
"""

from .corpus import (
    AUDIO_EXTENSIONS,
    LAYOUT_COLUMNS,
    LAYOUTS,
    MANIFEST_SUFFIXES,
    SPLIT_FOLDERS,
    check_layout,
    detect_layout,
    is_audio,
    list_audio_files,
    read_corpus_manifest,
    read_label_folders,
)

#: Old name of :func:`featurekit.corpus.read_corpus_manifest`.
read_manifest = read_corpus_manifest

__all__ = [
    "AUDIO_EXTENSIONS", "LAYOUT_COLUMNS", "LAYOUTS", "MANIFEST_SUFFIXES", "SPLIT_FOLDERS",
    "check_layout", "detect_layout", "is_audio", "list_audio_files", "read_corpus_manifest",
    "read_label_folders", "read_manifest",
]
