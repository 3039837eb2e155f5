"""The code in docs/entry-points.md runs as printed."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[1] / "docs" / "entry-points.md"


def python_blocks(section: str) -> list[str]:
    """The ```python blocks under the ``## section`` heading of the doc."""
    text = DOC.read_text(encoding="utf-8")
    parts = re.split(r"^## ", text, flags=re.M)
    body = next(p for p in parts if p.startswith(section))
    return re.findall(r"```python\n(.*?)```", body, flags=re.S)


def run(code: str, tmp_path):
    """Run in a fresh interpreter: registrations must not leak into other tests."""
    env = {**os.environ, "PYTHONPATH": str(DOC.parents[1])}
    return subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("section", ["Your own features", "NumPy"])
def test_doc_example_runs(section, tmp_path):
    blocks = python_blocks(section)
    assert blocks, f"no python block under '## {section}'"
    proc = run("\n".join(blocks), tmp_path)
    assert proc.returncode == 0, proc.stderr


README = DOC.parents[1] / "README.md"


def readme_block(section: str) -> str:
    text = README.read_text(encoding="utf-8")
    body = next(p for p in re.split(r"^## ", text, flags=re.M) if p.startswith(section))
    return re.findall(r"```python\n(.*?)```", body, flags=re.S)[0]


def write_notes(root):
    """notes/<family>/<instrument>/<pitch>.wav: 3 families (spectra) x 3 instruments (decays) x 6 pitches."""
    import numpy as np
    import soundfile as sf

    spectra = {"flute": [1.0, 0.1], "reed": [1.0, 0.0, 0.6, 0.0, 0.4, 0.0, 0.25],
               "brass": [1.0 / (k + 1) ** 0.5 for k in range(10)]}
    t = np.arange(16000) / 16000
    for family, amps in spectra.items():
        for inst, decay in enumerate((0.5, 2.0, 4.0)):
            folder = root / "notes" / family / f"{family}_{inst}"
            folder.mkdir(parents=True)
            for pitch in range(50, 68, 3):
                f0 = 440 * 2 ** ((pitch - 69) / 12)
                y = sum(a * np.sin(2 * np.pi * (k + 1) * f0 * t) for k, a in enumerate(amps))
                sf.write(folder / f"{pitch}.wav", 0.2 * y * np.exp(-decay * t) / np.abs(y).max(), 16000)


@pytest.mark.slow
def test_readme_five_lines_run(tmp_path):
    """The README's path from a list of files to a grouped CV score runs as printed."""
    write_notes(tmp_path)
    proc = run(readme_block("From Python, scikit-learn and other formats"), tmp_path)
    assert proc.returncode == 0, proc.stderr
    scores = [float(v) for v in re.findall(r"[\d.]+", proc.stdout)]
    assert len(scores) == 3
