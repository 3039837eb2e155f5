"""Finding the notes of a corpus and their labels.

:func:`read_corpus` lists any supported layout into a :class:`Corpus` (one
row per note: metadata, ``path``, a unique ``note_id``; plus the problems met
while listing, which extraction records as failures).  One module per layout,
over a shared :mod:`~featurekit.corpus.base`:

* :mod:`~featurekit.corpus.nsynth` -- NSynth roots, single splits and
  NSynth-named files, WAV or FLAC;
* :mod:`~featurekit.corpus.folders` -- folder-per-label corpora;
* :mod:`~featurekit.corpus.manifest` -- CSV/Parquet manifests;
* :mod:`~featurekit.corpus.segments` -- any layout cut into fixed-length windows;
* :mod:`~featurekit.corpus.reader` -- layout detection and :func:`read_corpus`.

Column names and types live in :mod:`featurekit.schema`.
"""

from ..schema import LAYOUT_COLUMNS, NSYNTH_COLUMNS, SEGMENT_COLUMNS
from .base import (
    AUDIO_EXTENSIONS,
    FAMILIES,
    LAYOUT_HELP,
    NOTE_RE,
    QUALITIES,
    SOURCES,
    SPLITS,
    Corpus,
    is_audio,
    list_audio_files,
    parse_note_str,
)
from .folders import SPLIT_FOLDERS, read_label_folders
from .manifest import MANIFEST_SUFFIXES, read_corpus_manifest
from .nsynth import read_nsynth
from .reader import LAYOUTS, check_layout, detect_layout, read_corpus
from .segments import audio_duration, check_segment_args, segment_corpus, window_id, windows

__all__ = [
    "read_corpus", "Corpus", "list_audio_files", "is_audio", "AUDIO_EXTENSIONS",
    "read_nsynth", "read_label_folders", "read_corpus_manifest", "detect_layout",
    "check_layout", "LAYOUTS", "LAYOUT_HELP", "MANIFEST_SUFFIXES", "SPLIT_FOLDERS",
    "segment_corpus", "windows", "window_id", "check_segment_args", "audio_duration",
    "parse_note_str", "NOTE_RE", "FAMILIES", "SOURCES", "QUALITIES", "SPLITS",
    "NSYNTH_COLUMNS", "LAYOUT_COLUMNS", "SEGMENT_COLUMNS",
]
