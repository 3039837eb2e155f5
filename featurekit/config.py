"""What is computed: the extraction configuration.

:class:`ExtractionConfig` holds only parameters that change the numbers in a
feature table (sample rate, clip length, FFT and hop sizes, filterbank sizes,
preset).  How a run executes (``n_jobs``, backend, paths) is passed separately,
so two tables made with equal configs are comparable whatever machine made them.
The config is stored, as JSON, in every Parquet file featurekit writes and in
every model it saves.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field

from ._version import __version__
from .audio import NSYNTH_PEAK_DB
from .errors import ConfigError

#: Bumped whenever a feature's definition changes, so old tables are not mixed
#: with new ones.
FEATURE_VERSION = 2


@dataclass(frozen=True)
class ExtractionConfig:
    """Parameters that define a feature table.

    Parameters
    ----------
    preset : str
        Name of a feature preset (see :data:`featurekit.features.PRESETS`).
    sample_rate : int
        Rate (Hz) every file is resampled to before analysis.
    duration : float
        Clip length in seconds; shorter audio is zero-padded (and flagged),
        longer audio is cut.  NSynth notes are 4.0 s.
    n_fft : int
        STFT frame length in samples (Hann window).
    hop_length : int
        STFT hop in samples.
    n_mels : int
        Mel bands for the MFCC front end (Slaney mel scale, as librosa).
    n_mfcc : int or None
        MFCC coefficients kept; ``None`` uses the preset's default.
    fmin, fmax : float
        Mel filterbank edges in Hz; ``fmax=None`` means Nyquist.
    frames : {None, "mfcc", "logmel"}
        Also store one fixed-size time-frequency matrix per note (the input
        of ``featurekit train cnn``): ``mfcc`` 20 x 20, ``logmel`` n_mels x 64;
        see :mod:`featurekit.frames`.  ``None`` (the default) stores none.
    trim_db : float or None
        Leading audio more than this many dB below the file's loudest 10 ms is
        skipped before the clip is cut (:func:`featurekit.audio.leading_silence`),
        so a recording that starts with silence is analysed from its note, as
        NSynth's notes are. ``None`` reads from the first sample (tables
        written before this option existed: their config has no ``trim_db``).
    peak_db : float or None
        Each clip (after trimming and cutting) is scaled so that its peak is
        this level in dBFS (-1.1: the median peak of NSynth's notes, which are
        peak-normalised whatever their velocity), so a soft note or a quiet
        recording is analysed at the level the models were trained at.
        Clips peaking below -70 dBFS (silence) are left as they are.
        Windows (``segment_seconds``) are scaled each on its own.  ``None``
        keeps the level as read
        (tables written before this option existed).
    """

    preset: str = "default"
    sample_rate: int = 16000
    duration: float = 4.0
    n_fft: int = 1024
    hop_length: int = 512
    n_mels: int = 64
    n_mfcc: int | None = None
    fmin: float = 0.0
    fmax: float | None = None
    frames: str | None = None
    trim_db: float | None = 40.0
    peak_db: float | None = NSYNTH_PEAK_DB
    feature_version: int = field(default=FEATURE_VERSION)

    def __post_init__(self):
        from .features.presets import PRESETS

        if self.preset not in PRESETS:
            raise ConfigError(
                f"unknown preset {self.preset!r}; choose one of {sorted(PRESETS)}"
            )
        for name in ("sample_rate", "n_fft", "hop_length", "n_mels"):
            value = getattr(self, name)
            if not isinstance(value, int) or value <= 0:
                raise ConfigError(f"{name} must be a positive integer, got {value!r}")
        if not self.duration > 0:
            raise ConfigError(f"duration must be > 0 seconds, got {self.duration!r}")
        if self.hop_length > self.n_fft:
            raise ConfigError(
                f"hop_length ({self.hop_length}) must not exceed n_fft ({self.n_fft})"
            )
        from .features.registry import FEATURES

        fixed = {f: FEATURES[f].sample_rate for f in PRESETS[self.preset]
                 if FEATURES[f].sample_rate not in (None, self.sample_rate)}
        if fixed:
            name, rate = next(iter(fixed.items()))
            raise ConfigError(f"preset {self.preset!r} has {name!r}, which needs "
                              f"sample_rate={rate}; got sample_rate={self.sample_rate}")
        if self.n_samples < self.n_fft:
            raise ConfigError(
                f"duration {self.duration} s at {self.sample_rate} Hz is shorter than one "
                f"FFT frame ({self.n_fft} samples)"
            )
        nyquist = self.sample_rate / 2
        if self.fmax is not None and not 0 < self.fmax <= nyquist:
            raise ConfigError(f"fmax must be in (0, {nyquist}] Hz, got {self.fmax!r}")
        if not 0 <= self.fmin < (self.fmax or nyquist):
            raise ConfigError(f"fmin must be in [0, fmax), got {self.fmin!r}")
        if self.n_mfcc is not None and not 0 < self.n_mfcc <= self.n_mels:
            raise ConfigError(
                f"n_mfcc must be in [1, n_mels={self.n_mels}], got {self.n_mfcc!r}"
            )
        if self.trim_db is not None and (isinstance(self.trim_db, bool)
                                         or not isinstance(self.trim_db, (int, float))
                                         or not 0 < self.trim_db < 200):
            raise ConfigError(f"trim_db must be a level in dB in (0, 200) or None, "
                              f"got {self.trim_db!r}")
        if self.peak_db is not None and (isinstance(self.peak_db, bool)
                                         or not isinstance(self.peak_db, (int, float))
                                         or not -120 < self.peak_db <= 0):
            raise ConfigError(f"peak_db must be a level in dBFS in (-120, 0] or None, "
                              f"got {self.peak_db!r}")
        if self.frames is not None:
            from .frames import check_frames

            check_frames(self)

    @property
    def n_samples(self) -> int:
        """Clip length in samples."""
        return int(round(self.duration * self.sample_rate))

    @property
    def n_frames(self) -> int:
        """STFT frames per clip (centred frames, as librosa)."""
        return 1 + self.n_samples // self.hop_length

    @property
    def mfcc_count(self) -> int:
        """Number of MFCCs computed (explicit ``n_mfcc`` or the preset's)."""
        from .features.presets import PRESETS

        return self.n_mfcc if self.n_mfcc is not None else PRESETS[self.preset].n_mfcc

    def to_dict(self) -> dict:
        """Plain, JSON-serialisable view (plus the featurekit version)."""
        d = dataclasses.asdict(self)
        d["featurekit_version"] = __version__
        return d

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, d: dict) -> "ExtractionConfig":
        """Inverse of :meth:`to_dict`; unknown keys are an error."""
        d = dict(d)
        d.pop("featurekit_version", None)
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - names)
        if unknown:
            raise ConfigError(f"unknown extraction config keys: {unknown}")
        d.setdefault("trim_db", None)  # written before trimming existed: not trimmed
        d.setdefault("peak_db", None)  # written before peak normalisation existed: as read
        return cls(**d)

    def identity(self) -> dict:
        """The fields that must match for two runs to share one table.

        ``frames``, ``trim_db`` and ``peak_db`` are left out when ``None``, so tables written
        before they existed still resume; when set, a run with other values is
        refused.
        """
        d = dataclasses.asdict(self)
        for name in ("frames", "trim_db", "peak_db"):
            if d[name] is None:
                del d[name]
        return d
