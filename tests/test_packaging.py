"""pyproject's dependency floors are the versions .ci/run tests (.ci/floors.txt)."""

import re
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).parents[1]


def _name(requirement):
    return re.split(r"[<>=!~;\[ ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def _release(version):
    parts = [int(p) for p in version.split(".")]
    while parts and parts[-1] == 0:
        parts.pop()
    return tuple(parts)


def _declared_floors():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = project["dependencies"] + project["optional-dependencies"]["test"]
    floors = {}
    for req in requirements:
        if ";" in req:  # environment markers (tomli on Python < 3.11) are not pinned
            continue
        match = re.search(r">=\s*([0-9][0-9.]*)", req)
        assert match, f"{req!r} declares no floor (>=)"
        floors[_name(req)] = match.group(1)
    return floors


def _pinned_floors():
    pins = {}
    for line in (ROOT / ".ci" / "floors.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            pins[_name(name)] = version.strip()
    return pins


def test_every_runtime_and_test_dependency_is_pinned_at_its_floor():
    declared, pinned = _declared_floors(), _pinned_floors()
    assert sorted(declared) == sorted(pinned)
    for name, floor in declared.items():
        assert _release(pinned[name]) == _release(floor), (name, floor, pinned[name])


def test_ci_runs_the_fast_tests_at_the_floors():
    ci = (ROOT / ".ci" / "run").read_text()
    assert 'pip install --quiet -c .ci/floors.txt -e ".[test]"' in ci
    assert 'python -m pytest -q -m "not slow" -p no:cacheprovider' in ci


def test_librosa_is_a_test_dependency_only():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert "librosa" not in {_name(r) for r in project["dependencies"]}
    assert "librosa" in {_name(r) for r in project["optional-dependencies"]["test"]}
    sources = "\n".join(p.read_text() for p in (ROOT / "featurekit").rglob("*.py"))
    assert not re.search(r"^\s*(import|from)\s+librosa\b", sources, re.M)
