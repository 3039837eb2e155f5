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
