"""Folder-per-label corpora: ``ROOT/<label>/**/<audio>`` (GTZAN's ``genres/``, IRMAS training data).

Optionally under split folders ``ROOT/<split>/<label>/...`` when every
top-level folder is a split name (:data:`SPLIT_FOLDERS`).  Any format
libsndfile reads is accepted, at any rate, channel count and length.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from ..errors import CorpusError
from ..schema import LAYOUT_COLUMNS
from .base import AUDIO_EXTENSIONS, Corpus, has_audio, list_audio_files, relative_id, visible_subdirs

__all__ = ["read_label_folders", "SPLIT_FOLDERS"]

#: Folder names read as splits in ``ROOT/<split>/<label>/`` layouts.
SPLIT_FOLDERS = ("train", "valid", "validation", "val", "test")


def read_label_folders(root) -> Corpus:
    """List a folder-per-label corpus (``ROOT/<label>/*.wav``, GTZAN/IRMAS style).

    Parameters
    ----------
    root : path-like
        Folder whose subfolders are labels (files may be nested deeper in a
        label folder), or whose subfolders are all split names
        (:data:`SPLIT_FOLDERS`) each holding label folders.

    Returns
    -------
    Corpus
        Rows :data:`~featurekit.schema.LAYOUT_COLUMNS`; ``group`` is the
        file's ``note_id``, ``library`` is None.  Audio files lying directly in
        ``root`` (or a split folder) have no label and become problems.
        Layout ``"folders"``.

    Raises
    ------
    CorpusError
        ``root`` is not a folder, or no label folder holds audio.
    """
    root = Path(root).expanduser()
    if not root.is_dir():
        raise CorpusError(f"corpus folder not found: {root}")
    root = root.resolve()
    tops = [d for d in visible_subdirs(root) if has_audio(d)]
    by_split = bool(tops) and all(d.name.lower() in SPLIT_FOLDERS for d in tops) and all(
        any(has_audio(s) for s in visible_subdirs(d)) for d in tops)
    bases = [(d, d.name) for d in tops] if by_split else [(root, "all")]
    rows, problems = [], []
    for base, split in bases:
        for path in list_audio_files(base):
            note_id = relative_id(path, root)
            parts = Path(os.path.relpath(path, base)).parts
            if len(parts) < 2:
                problems.append((note_id, str(path), "not inside a label folder (ROOT/<label>/file)"))
                continue
            rows.append({"note_id": note_id, "label": parts[0], "group": note_id,
                         "split": split, "library": None, "path": str(path)})
    if not rows:
        raise CorpusError(
            f"no labelled audio in {root}: expected ROOT/<label>/<file> with endings "
            f"{', '.join(sorted(AUDIO_EXTENSIONS))}"
        )
    notes = pd.DataFrame(rows, columns=LAYOUT_COLUMNS)
    return Corpus(notes=notes, problems=problems, root=root, layout="folders")
