"""Feature presets: validated data saying which features and statistics a table holds.

A :class:`Preset` is an ordered, read-only mapping ``{feature: statistics}``
plus its MFCC count; its order is the table's column order.  Every preset is
checked against the registry when it is made: an unknown feature or statistic
is a :class:`~featurekit.errors.ConfigError` naming it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..errors import ConfigError
# The family modules register the catalogue's features.
from . import envelope, harmonic, mfcc, musicnn, spectral, temporal  # noqa: F401
from .registry import CLIP_STATISTIC, FEATURES, STATISTICS

__all__ = ["Preset", "PRESETS", "PRESET_MFCC", "make_preset", "register_preset"]

#: Statistics a frame feature gets when a preset names it without any.
DEFAULT_STATISTICS = ("mean", "std")
#: MFCC count of a preset that does not set one.
DEFAULT_N_MFCC = 20


@dataclass(frozen=True)
class Preset(Mapping):
    """A named, ordered selection of features and statistics.

    Parameters
    ----------
    name : str
    features : tuple of (str, tuple of str)
        ``(feature, statistics)`` pairs in column order; a frame feature's
        statistics come from :data:`~featurekit.features.STATISTICS`, a clip
        feature's are ``("value",)``.
    n_mfcc : int
        MFCCs computed unless the config sets ``n_mfcc``.
    doc : str
        One-line description.

    Raises
    ------
    ConfigError
        Unknown features or statistics (all named), a feature listed twice,
        no features, or a bad ``n_mfcc``.
    """

    name: str
    features: tuple
    n_mfcc: int = DEFAULT_N_MFCC
    doc: str = ""

    def __post_init__(self):
        pairs = tuple((str(f), tuple(s)) for f, s in self.features)
        object.__setattr__(self, "features", pairs)
        if not pairs:
            raise ConfigError(f"preset {self.name!r} selects no features")
        names = [f for f, _ in pairs]
        unknown = [f for f in names if f not in FEATURES]
        if unknown:
            raise ConfigError(
                f"preset {self.name!r}: unknown feature{'s' if len(unknown) > 1 else ''} "
                f"{', '.join(map(repr, unknown))}; known: {', '.join(sorted(FEATURES))}"
            )
        twice = sorted({f for f in names if names.count(f) > 1})
        if twice:
            raise ConfigError(f"preset {self.name!r} lists {', '.join(map(repr, twice))} twice")
        bad = []
        for feature, stats in pairs:
            allowed = (CLIP_STATISTIC,) if FEATURES[feature].kind == "clip" else tuple(STATISTICS)
            if not stats:
                bad.append(f"{feature} (no statistics; choose from {', '.join(allowed)})")
            wrong = [s for s in stats if s not in allowed]
            if wrong or len(set(stats)) < len(stats):
                bad.append(f"{feature}: {', '.join(map(repr, wrong or stats))} "
                           f"(choose each once from {', '.join(allowed)})")
        if bad:
            raise ConfigError(f"preset {self.name!r}: bad statistics for {'; '.join(bad)}")
        if not isinstance(self.n_mfcc, int) or isinstance(self.n_mfcc, bool) or self.n_mfcc < 1:
            raise ConfigError(f"preset {self.name!r}: n_mfcc must be a positive integer, "
                              f"got {self.n_mfcc!r}")

    # Mapping interface: feature -> statistics, in preset order.
    def __getitem__(self, feature):
        for f, stats in self.features:
            if f == feature:
                return stats
        raise KeyError(feature)

    def __iter__(self):
        return (f for f, _ in self.features)

    def __len__(self):
        return len(self.features)


def make_preset(name: str, features, *, n_mfcc: int = DEFAULT_N_MFCC, doc: str = "") -> Preset:
    """Build a validated preset from feature names.

    Parameters
    ----------
    name : str
    features : iterable of str, or mapping of str to statistics
        Feature names in column order.  A bare name gets ``("mean", "std")``
        for a frame feature and ``("value",)`` for a clip feature; a mapping
        gives each feature's statistics explicitly.
    n_mfcc : int, default=20
    doc : str, optional

    Returns
    -------
    Preset

    Raises
    ------
    ConfigError
        Unknown features or statistics (all named).

    Examples
    --------
    >>> p = make_preset("tiny", ["spectral_centroid", "envelope_attack_time"])
    >>> dict(p)
    {'spectral_centroid': ('mean', 'std'), 'envelope_attack_time': ('value',)}
    """
    if isinstance(features, str):
        features = [features]
    if isinstance(features, Mapping):
        pairs = [(f, (s,) if isinstance(s, str) else tuple(s)) for f, s in features.items()]
    else:
        pairs = []
        for f in features:
            kind = FEATURES[f].kind if f in FEATURES else "frames"
            pairs.append((f, (CLIP_STATISTIC,) if kind == "clip" else DEFAULT_STATISTICS))
    return Preset(name, tuple(pairs), n_mfcc=n_mfcc, doc=doc)


ALL_STATISTICS = ("mean", "std", "min", "max", "median")
_ENVELOPE = ["envelope_attack_time", "envelope_log_attack_time", "envelope_peak_time",
             "envelope_temporal_centroid", "envelope_effective_duration", "envelope_decay_slope",
             "envelope_sustain_ratio", "envelope_release_time", "envelope_crest"]
_HARMONIC = ["harmonic_f0", "harmonic_harmonicity", "harmonic_hnr", "harmonic_odd_even",
             "harmonic_tristimulus", "harmonic_partials", "harmonic_energy_ratio",
             "harmonic_brightness"]
_CLIP_TAIL = {"mfcc_onset": ("value",), "mfcc_tail": ("value",),
              **{n: ("value",) for n in _ENVELOPE + _HARMONIC}}

_DEFAULT = {
    "mfcc": DEFAULT_STATISTICS,
    "mfcc_delta": DEFAULT_STATISTICS,
    "spectral_centroid": DEFAULT_STATISTICS,
    "spectral_bandwidth": DEFAULT_STATISTICS,
    "spectral_rolloff": DEFAULT_STATISTICS,
    "spectral_flatness": DEFAULT_STATISTICS,
    "spectral_contrast": DEFAULT_STATISTICS,
    "chroma": DEFAULT_STATISTICS,
    "temporal_zcr": DEFAULT_STATISTICS,
    "temporal_rms": DEFAULT_STATISTICS,
    **_CLIP_TAIL,
}

#: The packaged presets, by name.
PRESETS: dict[str, Preset] = {p.name: p for p in (
    make_preset("mfcc40", {"mfcc": ("mean",)}, n_mfcc=40,
                doc="The classic seed recipe: 40 MFCC means."),
    make_preset("default", _DEFAULT, n_mfcc=20,
                doc="20 MFCCs with deltas, spectral shape, chroma, envelope and harmonics."),
    make_preset("transfer", {
        **_DEFAULT,
        "musicnn_mean": ("value",),
        "musicnn_max": ("value",),
    }, n_mfcc=20, doc="The default preset plus MusiCNN embeddings (16 kHz; needs musicnn's "
                      "weights: pip install --no-deps musicnn==0.1.0)."),
    make_preset("full", {
        "mfcc": ALL_STATISTICS,
        "mfcc_delta": DEFAULT_STATISTICS,
        "mfcc_delta2": DEFAULT_STATISTICS,
        "mel": DEFAULT_STATISTICS,
        "spectral_centroid": ALL_STATISTICS,
        "spectral_bandwidth": ALL_STATISTICS,
        "spectral_rolloff": ALL_STATISTICS,
        "spectral_flatness": ALL_STATISTICS,
        "spectral_contrast": ALL_STATISTICS,
        "spectral_flux": DEFAULT_STATISTICS,
        "chroma": DEFAULT_STATISTICS,
        "temporal_zcr": ALL_STATISTICS,
        "temporal_rms": ALL_STATISTICS,
        **_CLIP_TAIL,
    }, n_mfcc=40, doc="Every hand-made feature of the catalogue (not the MusiCNN "
                          "embeddings), frame features with more statistics."),
)}


class _MfccCounts(Mapping):
    """Read-only view ``{preset name: n_mfcc}`` of :data:`PRESETS`."""

    def __getitem__(self, name):
        return PRESETS[name].n_mfcc

    def __iter__(self):
        return iter(PRESETS)

    def __len__(self):
        return len(PRESETS)


#: MFCC count each preset uses unless the config sets ``n_mfcc`` (a view of :data:`PRESETS`).
PRESET_MFCC: Mapping = _MfccCounts()


def register_preset(preset: Preset, *, replace: bool = False) -> Preset:
    """Make ``preset`` available by name (``ExtractionConfig(preset=preset.name)``).

    Raises
    ------
    ConfigError
        A packaged or registered preset of that name exists (without ``replace``),
        or ``preset`` is not a :class:`Preset`.
    """
    if not isinstance(preset, Preset):
        raise ConfigError(f"register_preset needs a Preset (see make_preset), got {preset!r}")
    if preset.name in PRESETS and not replace:
        raise ConfigError(f"preset {preset.name!r} exists; pass replace=True to replace it")
    PRESETS[preset.name] = preset
    return preset
