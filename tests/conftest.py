"""Shared fixtures: small NSynth-format corpora built in temp dirs."""

from __future__ import annotations

from pathlib import Path

import pytest

from featurekit.testing import make_tone_corpus

SAMPLE_DIR = Path(__file__).parent / "data" / "nsynth-sample"


@pytest.fixture(scope="session")
def tone_corpus(tmp_path_factory):
    """3 families x 4 instruments x 3 pitches x 2 velocities, train/test by instrument."""
    return make_tone_corpus(tmp_path_factory.mktemp("tones"))


@pytest.fixture(scope="session")
def sample_dir():
    """The 11 real NSynth notes shipped as fixtures (CC BY 4.0)."""
    return SAMPLE_DIR
