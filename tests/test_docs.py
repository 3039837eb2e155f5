"""docs/analysis.md cannot go stale: its Python examples run, and the shapes they show are today's.

Every ```python block of the page runs, in order, in one namespace, in a
directory laid out as the page's shell commands leave it (``gmfeats/``,
``models/rf``, ``models/logreg``), on a small synthetic table with the
default preset's columns.  The numbers differ from the page's (another
corpus); what must match is what does not depend on the corpus: the column
headers of each output shown in the ```text block that follows a Python
block, and, in tables of feature families, the families and their column
counts (``n_columns``, ``n``).
"""

from __future__ import annotations

import ast
import contextlib
import io
import re
from pathlib import Path

import pandas as pd
import pytest
from models_helpers import make_table, write_table_dir

import featurekit

DOC = Path(__file__).resolve().parents[1] / "docs" / "analysis.md"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)
#: Columns whose values are counts of feature columns: they must match exactly.
COUNT_COLUMNS = ("n_columns", "n")
#: Feature families of the catalogue.
FAMILIES = {f.family for f in featurekit.FEATURES.values()}


def blocks():
    """[(python source, expected text or None)] in page order."""
    found = FENCE.findall(DOC.read_text(encoding="utf-8"))
    out = []
    for i, (lang, body) in enumerate(found):
        if lang == "python":
            nxt = found[i + 1] if i + 1 < len(found) else None
            out.append((body, nxt[1] if nxt and nxt[0] == "text" else None))
    return out


def run_block(source, namespace):
    """exec a block as a REPL would: the value of a final expression is returned."""
    tree = ast.parse(source)
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        exec(compile(tree, "<docs/analysis.md>", "exec"), namespace)
        value = (eval(compile(ast.Expression(last.value), "<docs/analysis.md>", "eval"),
                      namespace) if last is not None else None)
    return value, stdout.getvalue()


def shown(value) -> str:
    """What a REPL prints for ``value`` (wide enough that no frame wraps)."""
    with pd.option_context("display.width", 250, "display.max_columns", 50):
        return repr(value)


def table_of(text):
    """Header tokens and {row key: {count column: int}} of a pandas frame printed as text.

    A row's key is its first token that is not a RangeIndex position; count
    columns are read from the right, as index columns come first.
    """
    lines = [ln.split() for ln in text.splitlines() if ln.strip() and ln.strip() != "..."]
    header, counts = lines[0], {}
    for row in lines[1:]:
        if len(row) < len(header):
            continue  # the index-name line of a grouped frame
        key = row[1] if len(row) > len(header) and row[0].isdigit() else row[0]
        for col in COUNT_COLUMNS:
            if col in header:
                counts.setdefault(key, {})[col] = int(row[header.index(col) - len(header)])
    return header, counts


@pytest.fixture(scope="module")
def doc_dir(tmp_path_factory):
    """The layout the page's shell commands leave behind: gmfeats/, models/rf, models/logreg."""
    d = tmp_path_factory.mktemp("docs")
    table = make_table(splits=("train", "test"), instruments_per_family=4, seed=3)
    write_table_dir(table, d / "gmfeats")
    for kind in ("rf", "logreg"):
        featurekit.train(d / "gmfeats", kind, out=d / "models" / kind, n_jobs=1)
    return d


@pytest.mark.slow
def test_docs_analysis_examples_run_and_show_todays_columns(doc_dir, monkeypatch):
    monkeypatch.chdir(doc_dir)
    namespace = {}
    checked = 0
    for source, expected in blocks():
        value, _ = run_block(source, namespace)
        if expected is None or not isinstance(value, (pd.DataFrame, pd.Series)):
            continue
        want_header, want = table_of(expected)
        got_header, got = table_of(shown(value))
        assert want_header == got_header, (source, shown(value))
        if want and set(want) <= FAMILIES:  # rows are families: the same ones, the same sizes
            assert got == want, (source, shown(value))
            checked += 1
        else:  # rows are single columns, which depend on the data: sizes where both show one
            for key in set(want) & set(got):
                assert got[key] == want[key], (source, key, shown(value))
    assert checked >= 2  # the family table and the group-permutation frame
