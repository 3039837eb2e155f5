"""The metadata columns the model code reads, as named by :mod:`featurekit.schema`.

Every name here is a column of a feature table (see :func:`featurekit.load_features`)
that training, evaluation or prediction gives a meaning to.  Nothing else in
:mod:`featurekit.models` spells these names.
"""

from __future__ import annotations

from ..schema import DEFAULT_LIBRARY, GROUP_COLUMNS, ID_COLUMNS, TARGETS

__all__ = ["TARGETS", "ID_COLUMNS", "GROUP_COLUMNS", "GROUP_MEANING", "LIBRARY_COLUMN",
           "DEFAULT_LIBRARY", "INSTRUMENT_COLUMN", "SPLIT_COLUMN", "FAMILY_COLUMN"]

#: What a value of each group column stands for, in words (split descriptions).
GROUP_MEANING = {
    "group": "group",
    "instrument_str": "instrument",
    "instrument": "instrument",
}

#: The sample library / corpus an instrument comes from; instrument identity
#: across corpora is (library, instrument_str).
LIBRARY_COLUMN = "library"
INSTRUMENT_COLUMN = "instrument_str"
SPLIT_COLUMN = "split"
FAMILY_COLUMN = "instrument_family_str"
