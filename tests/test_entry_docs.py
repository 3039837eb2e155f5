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
