"""The package's exception hierarchy: one root, so callers can catch everything."""


class FeaturekitError(Exception):
    """Root of every error featurekit raises on purpose (CLI maps it to exit 1)."""


class ConfigError(FeaturekitError, ValueError):
    """An invalid parameter, preset, pipeline spec or configuration mismatch."""


class CorpusError(FeaturekitError):
    """A corpus or feature directory that cannot be read as asked."""


class AudioError(FeaturekitError):
    """One audio file that cannot be turned into a note (recorded as a failure)."""


class ModelError(FeaturekitError):
    """A model directory that cannot be loaded or used."""


class OutputError(FeaturekitError):
    """An output path featurekit may not write or replace (it never deletes what it did not write)."""


class ClusterError(FeaturekitError, RuntimeError):
    """The cluster lost a job: workers died (repeatedly) or the scheduler went away.

    Work a job had already written (extraction shards) is kept; re-running resumes.
    """


class MissingRendererError(FeaturekitError, ImportError):
    """TinySoundFont, the SoundFont renderer, is not installed."""


class MissingDependencyError(FeaturekitError, ImportError):
    """An optional dependency (Keras, Dask, PyAV, ...) needed for the asked feature is missing."""


class FeaturekitWarning(UserWarning):
    """Root of every warning featurekit emits (the CLI prints them on stderr)."""


class NearCopyWarning(FeaturekitWarning):
    """Two SoundFonts on different splits play (nearly) the same recordings."""
