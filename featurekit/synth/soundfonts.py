"""Finding SoundFonts and reading ``PATH[:SPLIT][:synthetic|:sampled]`` specs."""

from __future__ import annotations

import hashlib
import importlib.util
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigError, CorpusError
from .gm import SPLITS

#: Folders where Linux distributions install SoundFonts.
SEARCH_DIRS = ("/usr/share/sounds/sf2", "/usr/share/sounds/sf3", "/usr/share/soundfonts")
#: Timidity configs of GUS patch sets that Linux distributions install
#: (Debian's ``freepats``); played through :mod:`featurekit.synth.gus`.
GUS_CONFIGS = ("/etc/timidity/freepats.cfg",)

_SOURCE_TOKENS = {"synthetic": True, "sampled": False}
# OPL2/OPL3 or a separate "FM" in a file name: a bank of synthesised, not sampled, sounds
_FM_NAME = re.compile(r"opl|(?<![a-z])fm(?![a-z])", re.IGNORECASE)


def bundled_soundfont() -> Path:
    """Return the TimGM6mb General MIDI SoundFont shipped inside ``pretty_midi``.

    Found from the package folder without importing ``pretty_midi`` (slow).

    Raises
    ------
    CorpusError
        pretty_midi, or its SoundFont, is not installed.
    """
    spec = importlib.util.find_spec("pretty_midi")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder) / "TimGM6mb.sf2"
        if path.is_file():
            return path
    raise CorpusError("pretty_midi's bundled TimGM6mb.sf2 was not found; reinstall pretty_midi")


def find_soundfonts(dirs=SEARCH_DIRS, gus_configs=GUS_CONFIGS) -> list[Path]:
    """List the SoundFonts (and GUS patch sets) on this machine, each real file once.

    Parameters
    ----------
    dirs : sequence of str or Path
        Folders searched (not recursively) for ``*.sf2`` and ``*.sf3``;
        pretty_midi's bundled SoundFont is always appended.
    gus_configs : sequence of str or Path
        Timidity configs of GUS patch sets, listed when they exist (after
        the SoundFonts).

    Returns
    -------
    list of Path
        Paths as found, in folder order then by name; a link to a file already
        listed is dropped (real files win over links).
    """
    candidates = [p for d in map(Path, dirs) if d.is_dir()
                  for p in sorted(d.iterdir()) if p.suffix.lower() in (".sf2", ".sf3")]
    try:
        candidates.append(bundled_soundfont())
    except CorpusError:
        pass
    candidates += [Path(p) for p in gus_configs if Path(p).is_file()]
    found, seen = [], set()
    for path in sorted(candidates, key=lambda p: p.is_symlink()):
        real = path.resolve()
        if real.is_file() and real not in seen:
            seen.add(real)
            found.append(path)
    return sorted(found, key=candidates.index)



def default_soundfonts(dirs=SEARCH_DIRS, gus_configs=GUS_CONFIGS) -> list[Path]:
    """The SoundFonts ``featurekit synth`` renders when none is given.

    Every installed ``.sf2``, each real file once (:func:`find_soundfonts`);
    pretty_midi's bundled TimGM6mb only when no system ``TimGM6mb.sf2`` is
    installed; and every installed GUS patch set (``gus_configs``, e.g.
    Debian's FreePats, played through :mod:`featurekit.synth.gus`).  The lossy
    ``.sf3`` files (MuseScore_General, FluidR3Mono) are left out: they
    re-encode FluidR3's samples, and adding them did not help on real
    recordings; FreePats, an independent recording source, helped in
    cross-validation grouped by source (measured, README "Recognition on
    real recordings").  On Debian with the five SoundFont packages and
    ``freepats`` that is four independent sample sources: FluidR3 (+
    MuseScore_General), TimGM6mb (+ sf_GMbank), FreePats and OPL-3 FM.

    Returns
    -------
    list of Path
        Possibly only the bundled TimGM6mb (always present with pretty_midi).
    """
    found = find_soundfonts(dirs, gus_configs)
    found = [p for p in found if p.suffix.lower() in (".sf2", ".cfg")]
    system = {p.name for p in found if p.parent.name != "pretty_midi"}
    return [p for p in found if p.parent.name != "pretty_midi" or p.name not in system]


@dataclass(frozen=True)
class SoundFontSpec:
    """One SoundFont and how its instruments are labelled and split.

    Parameters
    ----------
    path : Path
        The ``.sf2``/``.sf3`` file, or a Timidity ``.cfg`` of a GUS patch set
        (converted to a SoundFont when rendered: :mod:`featurekit.synth.gus`).
    split : {'train', 'valid', 'test'} or None
        Put every instrument of this SoundFont in this split; ``None`` leaves
        them to the seeded instrument split.
    synthetic : bool or None
        ``True`` labels every instrument ``synthetic`` (an FM/OPL bank),
        ``False`` keeps the table's sources, ``None`` detects FM/OPL by file name.
    """

    path: Path
    split: str | None = None
    synthetic: bool | None = None

    @classmethod
    def parse(cls, spec) -> SoundFontSpec:
        """Read ``PATH[:SPLIT][:synthetic|:sampled]``; the path ``bundled`` is TimGM6mb.

        Raises
        ------
        ConfigError
            The file does not exist, or a word after it is not a split or source
            (the message names the spec).
        """
        if isinstance(spec, cls):
            return spec
        text, split, synthetic = str(spec), None, None
        # suffixes are peeled from the right, so a path containing ':' still works
        while not Path(text).is_file() and ":" in text:
            head, token = text.rsplit(":", 1)
            if token in SPLITS and split is None:
                split = token
            elif token in _SOURCE_TOKENS and synthetic is None:
                synthetic = _SOURCE_TOKENS[token]
            else:
                break
            text = head
        path = bundled_soundfont() if text == "bundled" and not Path(text).exists() else Path(text)
        head, _, token = text.rpartition(":")
        if not path.is_file() and head and (Path(head).is_file() or head == "bundled"
                                            or head.rpartition(":")[2] in (*SPLITS, *_SOURCE_TOKENS)):
            if token in SPLITS or token in _SOURCE_TOKENS:
                raise ConfigError(f"SoundFont spec {str(spec)!r} gives {token!r} and another "
                                  "split or source: give at most one split and one source")
            raise ConfigError(f"unknown split or source {token!r} in SoundFont spec {str(spec)!r}; "
                              f"choose a split from {', '.join(SPLITS)} and/or a source from "
                              f"{', '.join(_SOURCE_TOKENS)}")
        if not path.is_file():
            raise ConfigError(f"SoundFont not found: {str(spec)!r} (write PATH[:SPLIT]"
                              f"[:synthetic|:sampled] with SPLIT one of {', '.join(SPLITS)})")
        return cls(path, split, synthetic)

    @property
    def is_synthetic(self) -> bool:
        """Whether every instrument of this SoundFont is labelled ``synthetic``."""
        return bool(_FM_NAME.search(self.path.name)) if self.synthetic is None else self.synthetic

    @property
    def library(self) -> str:
        """The sample library's name: the file stem of the real file (links resolved).

        Written as ``library`` into every ``examples.json`` entry: instrument
        identity across corpora is (library, instrument_str).
        """
        return self.path.resolve().stem

    @property
    def key(self) -> tuple[str, str]:
        """Sort key (file name, real path): numbering ignores argument order."""
        return self.path.name, str(self.path.resolve())


def check_distinct(specs) -> None:
    """Refuse a SoundFont given twice: its instruments could land in two splits.

    Raises
    ------
    ConfigError
        Two specs are the same file, or two files with the same bytes.
    """
    for i, a in enumerate(specs):
        for b in specs[:i]:
            if a.path.resolve() == b.path.resolve() or (
                    a.path.stat().st_size == b.path.stat().st_size
                    and _digest(a.path) == _digest(b.path)):
                raise ConfigError(f"SoundFont given twice: {b.path} and {a.path} are the same file")


def _digest(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()
