"""The row schema of every feature table: one home for column names and types.

A feature table has one row per note (or analysis window).  Its columns are

* **metadata columns**, listed in :data:`COLUMNS` with their Arrow type and
  their *role*:

  ``id``
      ``note_id``, unique within a table (the audio path relative to the
      corpus root, plus ``@<start>`` for a window).
  ``split``
      ``split``, the corpus split a row came from (``"all"`` when none).
  ``label``
      What is known about the sound: NSynth's labels, a manifest's ``label``,
      the ``library`` (sample library or corpus) an instrument comes from.
  ``group``
      ``group``, the unit evaluation keeps on one side of a split.
  ``provenance``
      Where the audio is (``path``).
  ``window``
      Where a window lies in its file (``source_path``, ``start``, ``end``).
  ``status``
      What extraction did (``padded``, ``notes``; ``error`` in failures).

* **feature columns**, float32, named ``<feature>__<statistic>__<NN>``
  (:func:`feature_column`, :func:`parse_column`).

Which metadata columns can be a training target is :data:`TARGETS`; which
ones define the evaluation group, in order of preference, is
:data:`GROUP_COLUMNS`; an instrument is identified across corpora by
:data:`INSTRUMENT_KEY`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import pyarrow as pa

from .errors import ConfigError

__all__ = [
    "Column", "COLUMNS", "ARROW_TYPES", "ROLES", "NSYNTH_COLUMNS", "LAYOUT_COLUMNS",
    "SEGMENT_COLUMNS", "STATUS_COLUMNS", "FAILURE_COLUMNS", "RESERVED_COLUMNS", "TARGETS",
    "GROUP_COLUMNS", "INSTRUMENT_KEY", "ID_COLUMNS", "DEFAULT_LIBRARY", "FEATURE_TYPE",
    "ColumnName", "COLUMN_SEPARATOR", "feature_column", "parse_column", "is_feature_column",
    "columns_with_role",
]

#: Roles a metadata column can have (see the module docstring).
ROLES = ("id", "split", "label", "group", "provenance", "window", "status")


@dataclass(frozen=True)
class Column:
    """One metadata column.

    Attributes
    ----------
    name : str
    type : pyarrow.DataType
        The type every shard stores it as.
    role : str
        One of :data:`ROLES`.
    doc : str
        One-line description.
    """

    name: str
    type: pa.DataType
    role: str
    doc: str


_S, _I = pa.string(), pa.int64()

#: Every metadata column featurekit knows, in table order.
COLUMNS: dict[str, Column] = {c.name: c for c in (
    Column("note_id", _S, "id", "Unique row id: audio path relative to the corpus root (+ @start)."),
    Column("split", _S, "split", "Corpus split (train/valid/test, a split folder or column; 'all')."),
    Column("note_str", _S, "label", "NSynth note name <family>_<source>_<NNN>-<pitch>-<velocity>."),
    Column("library", _S, "label",
           "Sample library or corpus the instrument comes from ('nsynth', a SoundFont stem, "
           "a manifest's value; None when unknown)."),
    Column("instrument", _I, "label", "NSynth's global instrument id (-1 when unknown)."),
    Column("instrument_str", _S, "label", "Instrument name, unique within its library."),
    Column("instrument_family", _I, "label", "Index of the family in NSynth's family list."),
    Column("instrument_family_str", _S, "label", "Instrument family (bass, brass, ...)."),
    Column("instrument_source", _I, "label", "Index of the source in NSynth's source list."),
    Column("instrument_source_str", _S, "label", "acoustic, electronic or synthetic."),
    Column("pitch", _I, "label", "MIDI pitch."),
    Column("velocity", _I, "label", "MIDI velocity."),
    Column("qualities", pa.list_(_I), "label", "NSynth's 10 binary note qualities."),
    Column("qualities_str", pa.list_(_S), "label", "Names of the qualities a note has."),
    Column("label", _S, "label", "Label of a label-folder or manifest corpus."),
    Column("group", _S, "group", "Evaluation group (manifest group, else the file's note_id)."),
    Column("path", _S, "provenance", "Audio file the row was read from."),
    Column("source_path", _S, "window", "File a window was cut from."),
    Column("start", pa.float64(), "window", "Window start in the file (s)."),
    Column("end", pa.float64(), "window", "Where the window's audio stops (s)."),
    Column("padded", pa.bool_(), "status", "True when zeros were added to reach the clip length."),
    Column("notes", _S, "status", "Repairs applied while reading (downmixed, resampled, ...)."),
    Column("error", _S, "status", "Why a note failed (failures table only)."),
)}

#: Arrow type of each metadata column (shards must agree on them).
ARROW_TYPES: dict[str, pa.DataType] = {name: c.type for name, c in COLUMNS.items()}

#: Type of every feature column.
FEATURE_TYPE = pa.float32()

#: Library of NSynth rows whose examples.json entry names none.
DEFAULT_LIBRARY = "nsynth"

#: Metadata columns of every NSynth row, in table order.
NSYNTH_COLUMNS = [
    "note_id", "split", "note_str", "library", "instrument", "instrument_str",
    "instrument_family", "instrument_family_str", "instrument_source",
    "instrument_source_str", "pitch", "velocity", "qualities", "qualities_str", "path",
]

#: Metadata columns of every label-folder or manifest row, in table order.
LAYOUT_COLUMNS = ["note_id", "label", "group", "split", "library", "path"]

#: Columns a segmented corpus adds to every row.
SEGMENT_COLUMNS = [n for n, c in COLUMNS.items() if c.role == "window"]

#: Columns extraction adds to every feature row.
STATUS_COLUMNS = ["padded", "notes"]

#: Columns of the failures table.
FAILURE_COLUMNS = ["note_id", "path", "error"]

#: Columns featurekit writes itself: a corpus manifest may not carry them.
RESERVED_COLUMNS = frozenset(n for n, c in COLUMNS.items() if c.role in ("id", "window", "status"))

#: Metadata columns ``featurekit train`` accepts as its target.
TARGETS = ("instrument_family_str", "instrument_source_str", "pitch", "label")

#: Columns that define the evaluation group, first present wins.
GROUP_COLUMNS = ("group", "instrument_str", "instrument")

#: Columns that together identify an instrument across corpora.
INSTRUMENT_KEY = ("library", "instrument_str")

#: Metadata copied next to predictions when present.
ID_COLUMNS = ("note_id", "path", "split", "library", "instrument_str", "pitch", "velocity",
              "group", "source_path", "start", "end")


def columns_with_role(role: str) -> list[str]:
    """Names of the metadata columns with ``role`` (one of :data:`ROLES`), in table order."""
    if role not in ROLES:
        raise ConfigError(f"unknown column role {role!r}; choose one of {', '.join(ROLES)}")
    return [n for n, c in COLUMNS.items() if c.role == role]


# --- feature column names ------------------------------------------------------
#: Separator of the three parts of a feature column name.
COLUMN_SEPARATOR = "__"


class ColumnName(NamedTuple):
    """A feature column name, parsed.

    ``group`` is the feature's family: the first ``_``-separated token of its
    name (``mfcc``, ``spectral``, ``chroma``, ``temporal``, ``envelope``,
    ``harmonic``, ``mel``).
    """

    group: str
    feature: str
    statistic: str
    index: int

    def __str__(self):
        return feature_column(self.feature, self.statistic, self.index)


def feature_column(feature: str, statistic: str, index: int) -> str:
    """The column name ``<feature>__<statistic>__<NN>`` (index zero-padded to 2 digits).

    Examples
    --------
    >>> feature_column("mfcc_delta", "std", 3)
    'mfcc_delta__std__03'
    """
    return f"{feature}{COLUMN_SEPARATOR}{statistic}{COLUMN_SEPARATOR}{index:02d}"


def parse_column(name: str) -> ColumnName:
    """Split ``'mfcc_delta__std__03'`` into ``('mfcc', 'mfcc_delta', 'std', 3)``.

    Raises
    ------
    ConfigError
        When ``name`` is not a feature column (the message names it).
    """
    parts = str(name).split(COLUMN_SEPARATOR)
    if len(parts) != 3 or not parts[2].isdigit() or not parts[0] or not parts[1]:
        raise ConfigError(
            f"not a featurekit feature column: {name!r} "
            "(expected <feature>__<statistic>__<NN>, e.g. 'mfcc__mean__00')"
        )
    feature, stat, idx = parts
    return ColumnName(feature.split("_")[0], feature, stat, int(idx))


def is_feature_column(name: str) -> bool:
    """True for columns named ``<feature>__<statistic>__<NN>``."""
    try:
        parse_column(name)
    except ConfigError:
        return False
    return True
