"""The metadata columns the model code reads, in one place (until ``featurekit.schema``).

Every name here is a column of a feature table (see :func:`featurekit.load_features`)
that training, evaluation or prediction gives a meaning to.  Nothing else in
:mod:`featurekit.models` spells these names.
"""

from __future__ import annotations

__all__ = ["TARGETS", "ID_COLUMNS", "GROUP_COLUMNS", "GROUP_MEANING", "LIBRARY_COLUMN",
           "DEFAULT_LIBRARY", "INSTRUMENT_COLUMN", "SPLIT_COLUMN", "FAMILY_COLUMN"]

#: Targets :func:`featurekit.train` accepts.
TARGETS = ("instrument_family_str", "instrument_source_str", "pitch", "label")

#: Metadata copied into ``predictions.parquet`` when present.
ID_COLUMNS = ("note_id", "path", "split", "library", "instrument_str", "pitch", "velocity",
              "group", "source_path", "start", "end")

#: The evaluation group of a row: the first of these columns a table has.
GROUP_COLUMNS = ("group", "instrument_str", "instrument")

#: What a value of each group column stands for, in words (split descriptions).
GROUP_MEANING = {
    "group": "group",
    "instrument_str": "instrument",
    "instrument": "instrument",
}

#: The sample library / corpus an instrument comes from; instrument identity
#: across corpora is (library, instrument_str).
LIBRARY_COLUMN = "library"
#: The library of a row without a ``library`` value (real NSynth notes).
DEFAULT_LIBRARY = "nsynth"
INSTRUMENT_COLUMN = "instrument_str"
SPLIT_COLUMN = "split"
FAMILY_COLUMN = "instrument_family_str"
