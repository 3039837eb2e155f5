"""Command-line shell around the featurekit library (see ``featurekit --help``)."""
