"""The General MIDI -> NSynth table.

The table, ``featurekit/data/gm_nsynth.csv`` (documented in ``data/README.md``),
gives every General MIDI program an NSynth family and source and the playable
range of the real instrument, or leaves it out (empty family, with the reason
in ``comment``) when no NSynth family honestly fits.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..corpus import FAMILIES, QUALITIES, SOURCES, SPLITS  # NSynth's vocabulary
from ..errors import CorpusError

__all__ = ["FAMILIES", "QUALITIES", "SOURCES", "SPLITS", "GM_TABLE", "load_gm_table"]

GM_TABLE = Path(__file__).resolve().parent.parent / "data" / "gm_nsynth.csv"


def load_gm_table(include_unmapped: bool = False) -> pd.DataFrame:
    """Read the General MIDI -> NSynth table.

    Parameters
    ----------
    include_unmapped : bool
        Also return the programs left out (empty ``family``; ``comment`` says why).

    Returns
    -------
    DataFrame
        Indexed by GM program (0-127, as MIDI program-change numbers) with
        ``gm_name``, ``family``, ``source``, ``pitch_min`` and ``pitch_max``
        (MIDI note numbers bounding the real instrument's playable range,
        inclusive) and ``comment``.

    Raises
    ------
    CorpusError
        The shipped table is corrupt.
    """
    table = pd.read_csv(GM_TABLE, index_col="program", keep_default_na=False)
    mapped = table["family"] != ""
    bad = table[mapped & (~table["family"].isin(FAMILIES) | ~table["source"].isin(SOURCES))]
    if len(bad) or list(table.index) != list(range(128)):
        raise CorpusError(f"{GM_TABLE} is corrupt (check programs {list(bad.index)})")
    if include_unmapped:
        return table
    table = table[mapped].astype({"pitch_min": int, "pitch_max": int})
    low, high = table["pitch_min"], table["pitch_max"]
    if not ((0 <= low) & (low <= high) & (high <= 127)).all():
        raise CorpusError(f"{GM_TABLE} has a pitch range outside 0 <= min <= max <= 127")
    return table
