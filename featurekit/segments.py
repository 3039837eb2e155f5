"""Former home of the window cutter, kept so old imports work: see :mod:`featurekit.corpus.segments`."""

from .corpus.segments import (
    SEGMENT_COLUMNS,
    audio_duration,
    check_segment_args,
    segment_corpus,
    window_id,
    windows,
)

__all__ = ["SEGMENT_COLUMNS", "audio_duration", "check_segment_args", "segment_corpus",
           "window_id", "windows"]
