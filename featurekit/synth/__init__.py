"""NSynth-format corpora rendered from General MIDI SoundFonts.

NSynth (305,979 four-second notes) was made by playing every note of sample
libraries; :func:`render_corpus` does the same with General MIDI SoundFonts
and TinySoundFont, writing NSynth's exact jsonwav layout.

Modules: :mod:`.gm` (labels and the GM -> NSynth table), :mod:`.soundfonts`
(finding SoundFonts, ``PATH[:SPLIT][:synthetic]`` specs), :mod:`.render`
(playing notes; runs in joblib workers), :mod:`.corpus` (numbering, splits,
``examples.json``), :mod:`.similarity` (near-copy SoundFonts: probe-note
waveform correlation).

Examples
--------
>>> from featurekit.synth import bundled_soundfont, render_corpus
>>> result = render_corpus([bundled_soundfont()], "corpus/", pitch_step=12)  # doctest: +SKIP
>>> print(result.summary())  # doctest: +SKIP
"""

from .corpus import DEFAULT_VELOCITIES, SynthResult, render_corpus
from .gm import FAMILIES, QUALITIES, SOURCES, SPLITS, load_gm_table
from .render import HOLD_S, RELEASE_S, SAMPLE_RATE, MissingRendererError
from .similarity import Similarity, probe_waveforms, soundfont_similarity
from .soundfonts import SEARCH_DIRS, SoundFontSpec, bundled_soundfont, default_soundfonts, find_soundfonts

__all__ = [
    "render_corpus", "SynthResult", "SoundFontSpec", "find_soundfonts", "default_soundfonts", "bundled_soundfont",
    "load_gm_table", "MissingRendererError", "FAMILIES", "SOURCES", "QUALITIES", "SPLITS",
    "SAMPLE_RATE", "HOLD_S", "RELEASE_S", "DEFAULT_VELOCITIES", "SEARCH_DIRS",
    "probe_waveforms", "soundfont_similarity", "Similarity",
]
