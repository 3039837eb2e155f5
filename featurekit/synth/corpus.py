"""Planning and writing a whole NSynth-format corpus: :func:`render_corpus`.

Each (SoundFont, GM program) pair is one instrument.  Instruments are numbered
per family and source in (SoundFont file name, program) order, so numbers never
depend on the order SoundFonts are given in.  Whole instruments go to one split:
a SoundFont pinned to a split sends all its instruments there; the others are
split per family by a seeded shuffle of instruments.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import ConfigError, CorpusError, OutputError
from ..fileio import MARKER, atomic_path, mark_output, read_marker, write_text_atomic
from . import gus, render, similarity
from .gm import FAMILIES, GM_TABLE, QUALITIES, SOURCES, SPLITS, load_gm_table
from .soundfonts import SoundFontSpec, check_distinct, default_soundfonts

#: NSynth's five velocities.
DEFAULT_VELOCITIES = (25, 50, 75, 100, 127)
#: Files written beside the splits: instrument provenance, presets skipped.
_PROVENANCE = ("synth_instruments.csv", "synth_skipped.csv")
#: Kind of the owner marker (:mod:`featurekit.fileio`) a rendered corpus carries.
CORPUS_KIND = "synth-corpus"


@dataclass
class SynthResult:
    """What :func:`render_corpus` wrote.

    Attributes
    ----------
    out : Path
        Corpus root holding ``nsynth-<split>/examples.json`` and ``audio/``.
    counts : dict of str to int
        Notes written per split, non-empty splits only, in NSynth's split order.
    instruments : DataFrame
        One row per rendered instrument, by ``instrument`` id: ``soundfont``,
        ``program``, ``gm_name``, ``preset_name``, ``family``, ``source``,
        ``instrument_str``, ``instrument``, ``split``, ``n_notes`` (short copies
        included), ``short_copies``, ``silent_notes`` (dropped) and ``gain_db``
        (levels "synth": the anti-clipping gain, <= 0 dB; "nsynth": the median
        gain of its notes to NSynth's peak level).
    skipped : DataFrame
        Presets not rendered: ``soundfont``, ``program``, ``gm_name``, ``reason``.
    seconds : float
        Wall-clock time of the run.
    """

    out: Path
    counts: dict
    instruments: pd.DataFrame
    skipped: pd.DataFrame
    seconds: float

    @property
    def n_notes(self) -> int:
        """Total notes written."""
        return sum(self.counts.values())

    def summary(self) -> str:
        """A short human-readable report (what ``featurekit synth`` prints)."""
        rate = self.n_notes / max(self.seconds, 1e-9)
        lines = [f"Rendered {self.n_notes} notes of {len(self.instruments)} instruments into "
                 f"{self.out} ({self.seconds:.1f} s, {rate:.0f} notes/s)",
                 f"  {'split':<6} {'instruments':>11} {'notes':>7}"]
        per_split = self.instruments.groupby("split").size()
        lines += [f"  {s:<6} {per_split[s]:>11} {n:>7}" for s, n in self.counts.items()]
        short = (int(self.instruments["short_copies"].sum())
                 if "short_copies" in self.instruments else 0)
        if short:
            lines.append(f"  of which {short} short copies (each a note's first 0.3-1.5 s)")
        silent = int(self.instruments["silent_notes"].sum())
        if silent:
            lines.append(f"Dropped {silent} silent notes (peak below {render.SILENCE_DB:.0f} dBFS)")
        if len(self.skipped):
            lines.append(f"Skipped {len(self.skipped)} presets:")
            lines += [f"  {Path(r.soundfont).name} program {r.program} ({r.gm_name}): {r.reason}"
                      for r in self.skipped.itertuples()]
        return "\n".join(lines)


#: Default share of the notes given a short copy (``render_corpus(short_copies=...)``).
SHORT_COPIES = 1.0
#: Default ``render_corpus(levels=...)``: every clip at NSynth's peak level.
LEVELS = "nsynth"


def render_corpus(soundfonts, out, *, velocities=DEFAULT_VELOCITIES, pitch_step: int = 1,
                  test_fraction: float = 0.2, valid_fraction: float = 0.1, seed: int = 0,
                  programs=None, max_instruments_per_family: int | None = None,
                  overwrite: bool = False, n_jobs: int = -1, progress: bool = True,
                  augment: bool = False, pitch_range: str = "instrument",
                  short_copies: float = SHORT_COPIES, levels: str = LEVELS) -> SynthResult:
    """Render an NSynth-format corpus from General MIDI SoundFonts.

    Every note is NSynth's: 16 kHz mono 16-bit PCM, 4 s (64,000 samples), the
    key held 3 s then released, at every pitch of the GM program's playable
    range (``featurekit/data/gm_nsynth.csv``) and every velocity.

    Parameters
    ----------
    soundfonts : str, Path, SoundFontSpec, a sequence of them, or None
        ``None``: :func:`~featurekit.synth.soundfonts.default_soundfonts`
        (every installed ``.sf2``, each real file once).  Otherwise SoundFonts, each ``PATH[:SPLIT][:synthetic|:sampled]``: ``:train``,
        ``:valid`` or ``:test`` puts all its instruments in that split;
        ``:synthetic`` labels all its instruments ``synthetic`` (detected from
        ``opl``/``fm`` in the file name unless ``:sampled``).  ``bundled`` is
        pretty_midi's TimGM6mb.sf2.
    out : str or Path
        Corpus root: ``nsynth-<split>/examples.json`` and ``nsynth-<split>/audio/``
        for each non-empty split, plus ``synth_instruments.csv`` and
        ``synth_skipped.csv`` (provenance).
    velocities : sequence of int
        MIDI velocities (1-127) of every pitch.
    pitch_step : int
        Semitones between rendered pitches (1 = every pitch of the range, as
        NSynth); the grid passes through middle C (MIDI 60).
    test_fraction, valid_fraction : float
        Share of each family's instruments, among SoundFonts without a pinned
        split, put in the test and valid splits (rounded half up; at least one
        instrument per family stays in train).
    seed : int
        Seed of that instrument split and of ``max_instruments_per_family``.
    programs : sequence of int, optional
        GM programs (0-127) to render; default every program the table maps.
    max_instruments_per_family : int, optional
        Keep at most this many instruments per family (a seeded choice).
    overwrite : bool
        Replace the corpus already in ``out`` (its ``nsynth-*`` folders and
        provenance files), provided this function wrote it: ``out`` carries an
        owner marker (``.featurekit-output.json``, kind ``synth-corpus``)
        listing every one of those files.  Other files in ``out`` are kept.
    n_jobs : int
        joblib processes (-1: all cores).
    progress : bool
        Show a tqdm progress bar over notes.
    augment : bool
        Pass every note through a random recording chain (room, microphone
        EQ and band, noise floor, gain, detune, early release; see
        :mod:`featurekit.synth.augment`), seeded per note by ``seed``.
    short_copies : float
        Share of the notes (0-1; default 1: every note) that also get a short copy: the
        note's first 0.3-1.5 s faded out over 20 ms, as note
        ``<instrument_str>-<pitch>-<velocity>-short`` of the same instrument and
        split (:func:`featurekit.synth.augment.cut_short`; which notes and how
        long, seeded per note by ``seed``).  Real notes are often short and
        their files end with them; a model that has only heard 4 s notes
        mistakes them (README, "Recognition on real recordings"). 0: none.
    levels : {"nsynth", "synth"}
        ``"nsynth"`` (default): every clip is scaled to a peak of
        :data:`~featurekit.synth.render.NSYNTH_PEAK_DB` (-1.1 dBFS), as NSynth's
        published notes are peak-normalised at every velocity (so velocity
        changes timbre, not level); the grouped CV chose it (README,
        "Recognition on real recordings").  ``"synth"``: the synthesizer's
        levels, an instrument scaled down as a whole only if its loudest
        note would clip (``gain_db`` in ``synth_instruments.csv``).
    pitch_range : {"instrument", "piano"}
        ``"instrument"``: the GM program's playable range (the table's
        ``pitch_min``..``pitch_max``); ``"piano"``: every program over the
        piano's MIDI 21-108, as NSynth rendered its instruments (silent
        notes are dropped either way).

    Returns
    -------
    SynthResult
        Every ``examples.json`` entry also carries ``library``, the SoundFont's
        file stem (links resolved): instrument identity across corpora is
        (library, instrument_str), as rendered names follow NSynth's.

    Warns
    -----
    NearCopyWarning
        Two SoundFonts pinned to different splits (or one pinned, one left to
        the seeded split) are near-copies (:mod:`featurekit.synth.similarity`:
        probe notes that are the same recording), so the split would not be
        recording-disjoint.  Near-copies both left to the seeded split are
        not warned about: their instruments of one GM program are one unit of
        that split (one split for all of them, counted once in the fractions).

    Raises
    ------
    ConfigError
        A bad argument (named in the message).
    OutputError
        A corpus already in ``out`` without ``overwrite``, or one featurekit
        synth did not write (or holding files it did not write) with it.
    CorpusError
        A SoundFont that TinySoundFont cannot load, or no preset left to render.
    MissingRendererError
        TinySoundFont is not installed.

    Notes
    -----
    Presets absent from bank 0 of a SoundFont, or whose loudest middle note is
    silent, are skipped and reported; single silent notes (outside a preset's
    samples) are dropped and counted.  The same inputs give byte-identical files,
    whatever ``n_jobs``.

    Each worker process loads the SoundFonts it plays (TinySoundFont keeps
    samples as float32: about 3x the file size in RAM, 1.5 GB for
    MuseScore_General_Full.sf2) and keeps the last one until joblib retires
    it, so lower ``n_jobs`` for large SoundFonts on small machines.  Loading
    costs 0.5-1.5 s of CPU per worker and SoundFont; it pays off from a few
    thousand notes.
    """
    from joblib import Parallel, delayed
    from tqdm.auto import tqdm

    started = time.perf_counter()
    if isinstance(short_copies, bool) or not isinstance(short_copies, (int, float)) \
            or not 0 <= short_copies <= 1:
        raise ConfigError(f"short_copies must be a share of the notes in [0, 1], "
                          f"got {short_copies!r}")
    velocities = _check_args(velocities, pitch_step, test_fraction, valid_fraction, n_jobs,
                             max_instruments_per_family)
    if soundfonts is None:
        soundfonts = default_soundfonts()
    if isinstance(soundfonts, (str, Path, SoundFontSpec)):
        soundfonts = [soundfonts]
    specs = sorted((SoundFontSpec.parse(s) for s in soundfonts), key=lambda s: s.key)
    if not specs:
        raise ConfigError("no SoundFont given")
    specs = [replace(s, path=gus.cached_soundfont(s.path)) if gus.is_gus_config(s.path) else s
             for s in specs]
    check_distinct(specs)
    if levels not in render.LEVELS:
        raise ConfigError(f"levels must be one of {', '.join(render.LEVELS)}, got {levels!r}")
    if pitch_range not in PITCH_RANGES:
        raise ConfigError(f"pitch_range must be one of {', '.join(PITCH_RANGES)}, "
                          f"got {pitch_range!r}")
    table = _select_programs(load_gm_table(), programs)
    if pitch_range == "piano":
        table = table.assign(pitch_min=PIANO_PITCHES[0], pitch_max=PIANO_PITCHES[1])
    pitches = {p: _pitches(r.pitch_min, r.pitch_max, pitch_step) for p, r in table.iterrows()}
    out = Path(out)
    _prepare_out(out, overwrite)

    with Parallel(n_jobs=n_jobs, return_as="generator") as parallel:
        # absent and silent presets are found before numbering, so numbers have no gaps
        probe_notes = [(p, ps[len(ps) // 2], velocities[-1]) for p, ps in pitches.items()]
        found = list(parallel(delayed(render.probe)(str(s.path), probe_notes) for s in specs))
        plan, skipped = _plan(specs, table, found)
        pairs = _cross_split_pairs(specs, test_fraction, valid_fraction)
        together = {}  # SoundFont -> its near-copy group (unpinned near-copies only)
        if pairs:  # near-copy SoundFonts on two splits would share recordings across them
            paths = sorted({str(s.path) for pair in pairs for s in pair})
            waves = dict(zip(paths, parallel(delayed(similarity.probe_waveforms)(p)
                                             for p in paths)))
            copies = similarity.near_copies(waves, [(str(a.path), str(b.path)) for a, b in pairs])
            pinned = {str(s.path) for s in specs if s.split}
            # unpinned near-copies are split together (one GM program of both: one split);
            # a pair with a pinned SoundFont is the user's choice: warned about
            together = near_copy_groups([(a, b) for a, b, _ in copies
                                         if a not in pinned and b not in pinned])
            similarity.warn_near_copies([c for c in copies if c[0] in pinned or c[1] in pinned],
                                        stacklevel=3)
        if plan.empty:
            raise CorpusError(f"nothing to render: all {len(skipped)} presets were skipped "
                              f"(e.g. program {skipped[0][1]}: {skipped[0][3]})")
        if max_instruments_per_family is not None:
            plan = _choose(plan, max_instruments_per_family, seed)
        number = plan.groupby(["family", "source"]).cumcount().map("{:03d}".format)
        plan["instrument_str"] = plan["family"] + "_" + plan["source"] + "_" + number
        plan["instrument"] = plan["instrument_str"].rank(method="first").astype(int) - 1
        plan["split"] = _assign_splits(plan, test_fraction, valid_fraction, seed, together)

        notes = [[(p, v) for p in pitches[r.program] for v in velocities]
                 for r in plan.itertuples()]
        folders = [out / f"nsynth-{split}" / "audio" for split in plan["split"]]
        for folder in set(folders):
            folder.mkdir(parents=True, exist_ok=True)
        tasks = (delayed(render.render_instrument)(r.soundfont, r.program, n, r.instrument_str,
                                                   str(folder), seed if augment else None,
                                                   seed if short_copies else None,
                                                   short_copies, levels)
                 for r, n, folder in zip(plan.itertuples(), notes, folders))
        results = []
        with tqdm(total=sum(map(len, notes)), unit="note", desc="synth",
                  disable=not progress) as bar:
            for n, done in zip(notes, parallel(tasks)):
                results.append(done)
                bar.update(len(n))
    render.unload()

    for column in ("silent_notes", "gain_db"):
        plan[column] = [r[column] for r in results]
    plan["n_notes"] = [len(r["notes"]) + len(r["short_notes"]) for r in results]
    plan["short_copies"] = [len(r["short_notes"]) for r in results]
    counts = {}
    for split, examples in _examples(plan, results).items():
        _write_json(out / f"nsynth-{split}" / "examples.json", examples)
        counts[split] = len(examples)
    instruments = plan.drop(columns="pinned").sort_values("instrument").reset_index(drop=True)
    skipped = pd.DataFrame(skipped, columns=["soundfont", "program", "gm_name", "reason"])
    for name, frame in zip(_PROVENANCE, (instruments, skipped)):
        with atomic_path(out / name) as tmp:
            frame.to_csv(tmp, index=False)
    mark_output(out, CORPUS_KIND, files=_corpus_files(out))
    return SynthResult(out, counts, instruments, skipped, time.perf_counter() - started)


def _check_args(velocities, pitch_step, test_fraction, valid_fraction, n_jobs,
                max_instruments_per_family) -> tuple[int, ...]:
    """Validate the numeric arguments; return the velocities sorted."""
    velocities = tuple(velocities)
    if not velocities:
        raise ConfigError("velocities must not be empty")
    for v in velocities:
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or not 1 <= v <= 127:
            raise ConfigError(f"velocity must be an integer in 1..127, got {v!r}")
    if len(set(velocities)) != len(velocities):
        raise ConfigError(f"velocities must be distinct, got {list(velocities)}")
    if isinstance(pitch_step, bool) or not isinstance(pitch_step, (int, np.integer)) \
            or pitch_step < 1:
        raise ConfigError(f"pitch_step must be an integer >= 1 (semitones), got {pitch_step!r}")
    for name, value in (("test_fraction", test_fraction), ("valid_fraction", valid_fraction)):
        if not 0 <= value < 1:
            raise ConfigError(f"{name} must be in [0, 1), got {value!r}")
    if test_fraction + valid_fraction >= 1:
        raise ConfigError("test_fraction + valid_fraction must be < 1, got "
                          f"{test_fraction} + {valid_fraction}")
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or n_jobs == 0:
        raise ConfigError(f"n_jobs must be a non-zero integer, got {n_jobs!r}")
    if max_instruments_per_family is not None and (
            isinstance(max_instruments_per_family, bool)
            or not isinstance(max_instruments_per_family, int) or max_instruments_per_family < 1):
        raise ConfigError("max_instruments_per_family must be an integer >= 1, got "
                          f"{max_instruments_per_family!r}")
    return tuple(sorted(int(v) for v in velocities))


def _select_programs(table: pd.DataFrame, programs) -> pd.DataFrame:
    if programs is None:
        return table
    programs = list(programs)
    if not programs:
        raise ConfigError("programs must not be empty (None renders every mapped program)")
    unmapped = [p for p in programs if p not in table.index]
    if unmapped:
        raise ConfigError(f"GM program(s) {unmapped} have no NSynth family "
                          f"(see {GM_TABLE.name}: 0-127, some left out)")
    return table.loc[sorted(set(programs))]


#: ``pitch_range`` choices of :func:`render_corpus`.
PITCH_RANGES = ("instrument", "piano")
#: MIDI pitches of a standard piano, NSynth's range for every instrument.
PIANO_PITCHES = (21, 108)


def _pitches(low: int, high: int, step: int) -> list[int]:
    """Pitches of ``[low, high]`` on a grid of ``step`` semitones through middle C."""
    return [p for p in range(low, high + 1) if (p - 60) % step == 0] or [(low + high) // 2]


def _corpus_files(out: Path) -> list[str]:
    """What a corpus in ``out`` consists of: files under ``nsynth-*`` and the provenance files."""
    files = [name for name in _PROVENANCE if (out / name).exists() or (out / name).is_symlink()]
    for folder in (out / f"nsynth-{s}" for s in SPLITS):
        if folder.exists() or folder.is_symlink():
            if not folder.is_dir() or folder.is_symlink():
                files.append(folder.name)
                continue
            files += [p.relative_to(out).as_posix() for p in folder.rglob("*")
                      if not p.is_dir() or p.is_symlink()]
    return sorted(files)


def _prepare_out(out: Path, overwrite: bool) -> None:
    """Create ``out``; refuse a corpus already there or, with ``overwrite``, remove it.

    Only a corpus :func:`render_corpus` provably wrote is removed: ``out``'s
    owner marker (kind :data:`CORPUS_KIND`) must list every file under its
    ``nsynth-*`` folders and every provenance file.  Other files in ``out``
    are left alone.
    """
    marker = read_marker(out) if out.is_dir() else None
    if marker is not None and marker.get("kind") != CORPUS_KIND:
        raise OutputError(f"refusing to write a corpus into {out}: it holds a featurekit "
                          f"{marker.get('kind')} output")
    present = _corpus_files(out)
    if not present:
        out.mkdir(parents=True, exist_ok=True)
        return
    first = present[0].split("/")[0]
    if not overwrite:
        raise OutputError(f"{out} already holds a corpus ({first}); "
                          "pass overwrite=True to replace it")
    if marker is None:
        raise OutputError(f"refusing to replace the corpus in {out}: featurekit synth did not "
                          f"write {first} (it has no {MARKER}); move it away or choose another "
                          "output directory")
    foreign = sorted(set(present) - set(marker["files"]))
    if foreign:
        more = f" and {len(foreign) - 1} more" if len(foreign) > 1 else ""
        raise OutputError(f"refusing to replace the corpus in {out}: it holds {foreign[0]}{more}, "
                          "which featurekit synth did not write; move it away or choose another "
                          "output directory")
    for top in sorted({out / name.split("/")[0] for name in present}):
        if top.is_dir() and not top.is_symlink():
            shutil.rmtree(top)
        else:
            top.unlink(missing_ok=True)
    (out / MARKER).unlink()


def _cross_split_pairs(specs, test_fraction, valid_fraction) -> list:
    """Pairs of SoundFonts whose instruments can land on different splits."""
    free = {"train"} | ({"test"} if test_fraction else set()) | ({"valid"} if valid_fraction else set())
    splits = [{s.split} if s.split else free for s in specs]
    return [(specs[j], specs[i]) for i in range(len(specs)) for j in range(i)
            if len(splits[i] | splits[j]) > 1]


def _plan(specs, table: pd.DataFrame, found: list) -> tuple[pd.DataFrame, list]:
    """Instruments to render, in (SoundFont, program) order, and presets skipped."""
    rows, skipped = [], []
    for spec, presets in zip(specs, found):
        for (program, gm), (name, silent) in zip(table.iterrows(), presets):
            if name is None or silent:
                reason = ("program absent from bank 0" if name is None
                          else f"silent (peak below {render.SILENCE_DB:.0f} dBFS)")
                skipped.append((str(spec.path), program, gm.gm_name, reason))
                continue
            rows.append((str(spec.path), spec.library, program, gm.gm_name, name, gm.family,
                         "synthetic" if spec.is_synthetic else gm.source, spec.split))
    plan = pd.DataFrame(rows, columns=["soundfont", "library", "program", "gm_name",
                                       "preset_name", "family", "source", "pinned"])
    return plan, skipped


def _choose(plan: pd.DataFrame, k: int, seed: int) -> pd.DataFrame:
    """A seeded choice of at most ``k`` instruments per family, in plan order."""
    keep = []
    for family, rows in plan.groupby("family"):
        rng = np.random.default_rng([seed, FAMILIES.index(family), 1])
        keep.extend(rows.index[rng.choice(len(rows), min(k, len(rows)), replace=False)])
    return plan.loc[sorted(keep)].reset_index(drop=True)


def near_copy_groups(pairs) -> dict:
    """Connected groups of near-copy SoundFonts: SoundFont -> the group's first name (sorted).

    Parameters
    ----------
    pairs : iterable of (str, str)
        Pairs of SoundFonts that share recordings.

    Returns
    -------
    dict
        Only the SoundFonts of ``pairs``; near-copies of near-copies are one group.
    """
    parent = {}

    def root(x):
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x

    for a, b in pairs:
        ra, rb = sorted((root(a), root(b)))
        parent[rb] = ra
    return {x: root(x) for x in parent}


def _assign_splits(plan: pd.DataFrame, test_fraction, valid_fraction, seed,
                   together=None) -> pd.Series:
    """Pinned SoundFonts keep their split; the rest are split per family, by instrument.

    ``together`` maps near-copy SoundFonts to a group: their instruments of one
    GM program play the same recordings, so they are one unit of the split (one
    split for all of them) and count once in the fractions.
    """
    together = together or {}
    split = plan["pinned"].astype(object)
    for family, rows in plan[plan["pinned"].isna()].groupby("family"):
        keys = [(together.get(r.soundfont, r.soundfont), r.program) if r.soundfont in together
                else ("", i) for i, r in zip(rows.index, rows.itertuples())]
        units = list(dict.fromkeys(keys))  # in plan order
        n = len(units)  # rounded half up; at least one unit stays in train
        n_test = min(int(np.floor(n * test_fraction + 0.5)), n - 1)
        n_valid = min(int(np.floor(n * valid_fraction + 0.5)), n - 1 - n_test)
        order = np.random.default_rng([seed, FAMILIES.index(family)]).permutation(n)
        labels = np.array(["train"] * n, dtype=object)
        labels[order[:n_test]] = "test"
        labels[order[n_test:n_test + n_valid]] = "valid"
        unit_split = dict(zip(units, labels))
        split[rows.index] = [unit_split[k] for k in keys]
    return split


def _examples(plan: pd.DataFrame, results: list) -> dict:
    """NSynth's ``examples.json`` entries, by split then note_str."""
    notes = {}
    for r, done in zip(plan.itertuples(), results):
        takes = [(n, "") for n in done["notes"]] + [(n, render.SHORT_SUFFIX)
                                                     for n in done["short_notes"]]
        for (pitch, velocity), suffix in takes:
            note_str = f"{r.instrument_str}-{pitch:03d}-{velocity:03d}{suffix}"
            notes[note_str] = r.split, {
                "note_str": note_str, "instrument": int(r.instrument),
                "instrument_str": r.instrument_str, "library": r.library,
                "instrument_family": FAMILIES.index(r.family), "instrument_family_str": r.family,
                "instrument_source": SOURCES.index(r.source), "instrument_source_str": r.source,
                "pitch": int(pitch), "velocity": int(velocity),
                "sample_rate": render.SAMPLE_RATE,
                "qualities": [0] * len(QUALITIES), "qualities_str": []}
    by_split = {}
    # NSynth's note ids are unique over the whole corpus: number notes in note_str order
    for note_id, note_str in enumerate(sorted(notes)):
        split, fields = notes[note_str]
        by_split.setdefault(split, {})[note_str] = {"note": note_id, **fields}
    return {split: by_split[split] for split in SPLITS if split in by_split}


def _write_json(path: Path, examples: dict) -> None:
    """Write ``examples.json`` one note per line; atomically, so a run cut short has none."""
    body = ",\n".join(f"  {json.dumps(k)}: {json.dumps(v)}" for k, v in examples.items())
    write_text_atomic(path, "{\n" + body + "\n}\n")
