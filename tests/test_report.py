"""featurekit.write_report / compare_models and `featurekit report|compare`."""

from __future__ import annotations

import base64
import json
import re
import shutil
from html.parser import HTMLParser

import pandas as pd
import pytest
from click.testing import CliRunner
from test_importance import SIGNAL_GROUP, logreg, rf, table, train_tiny  # noqa: F401 (shared fixtures)

import featurekit
from featurekit.cli.main import cli
from featurekit.compare import compare_models, format_comparison
from featurekit.errors import ConfigError, ModelError
from featurekit.report import render_report, write_report

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def page(rf, table):
    return render_report(rf, features=table, n_repeats=2)


def data_uris(text):
    return re.findall(r"data:image/png;base64,([A-Za-z0-9+/=]+)", text)


class _Tags(HTMLParser):
    """Collects every src/href and checks that non-void tags are closed in order."""

    VOID = {"meta", "img", "br", "hr", "link"}

    def __init__(self):
        super().__init__()
        self.stack, self.links, self.errors = [], [], []

    def handle_starttag(self, tag, attrs):
        self.links += [v for k, v in attrs if k in ("src", "href")]
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack.pop() != tag:
            self.errors.append(tag)


# --- report -----------------------------------------------------------------
def test_html_report_is_well_formed(page):
    tags = _Tags()
    tags.feed(page)
    assert page.startswith("<!DOCTYPE html>")
    assert tags.errors == [] and tags.stack == []


def test_html_report_needs_no_server(page):
    tags = _Tags()
    tags.feed(page)
    assert tags.links and all(link.startswith("data:image/png;base64,") for link in tags.links)


def test_html_report_embeds_confusion_and_importance_pngs(page):
    images = [base64.b64decode(b) for b in data_uris(page)]
    assert len(images) == 2  # confusion; features beside families
    assert all(img.startswith(PNG_MAGIC) for img in images)


def test_html_report_shows_split_metrics_and_classes(page, rf):
    metrics = rf.metrics
    assert "train and test instruments are disjoint" in page  # the split description
    assert f"{metrics['macro_f1']:.4f}" in page
    assert all(f"<td>{label}</td>" in page for label in rf.labels)
    assert f"<td>{SIGNAL_GROUP}</td>" in page  # importance table


def test_markdown_report_has_the_same_sections(rf, table):
    md = render_report(rf, features=table, methods=["group-permutation"], fmt="markdown",
                       n_repeats=1)
    for heading in ("## Split", "## Test metrics", "## Per class", "## Confusion matrix",
                    "### group-permutation"):
        assert heading in md
    assert "| class | precision | recall | f1 | support |" in md
    assert len(data_uris(md)) == 2


def test_report_without_features_shows_mdi_for_trees(rf):
    assert "### mdi" in render_report(rf, fmt="markdown")


def test_report_without_features_of_a_linear_model_says_how_to_get_importances(logreg):
    md = render_report(logreg, fmt="markdown")
    assert "pass --features" in md and len(data_uris(md)) == 1


def test_report_of_a_leaky_model_warns(table, tmp_path_factory):
    model = train_tiny(tmp_path_factory, "logreg", table, "leaky", leaky_split=True)
    assert "> **WARNING:** LEAKY" in render_report(model, fmt="markdown")


def test_write_report_picks_the_format_from_the_suffix(rf, tmp_path):
    path = write_report(rf, tmp_path / "r.md")
    assert path.read_text(encoding="utf-8").startswith("# featurekit report")


def test_write_report_refuses_an_unknown_suffix(rf, tmp_path):
    with pytest.raises(ConfigError, match="r.pdf"):
        write_report(rf, tmp_path / "r.pdf")


def test_public_api_exposes_write_report():
    assert featurekit.write_report is write_report


def test_cli_report_writes_the_library_page(rf, tmp_path):
    out = tmp_path / "r.html"
    res = CliRunner().invoke(cli, ["report", str(rf.path), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert out.read_text(encoding="utf-8") == render_report(rf.path)


def test_cli_report_bad_method_is_one_line(rf, tmp_path):
    res = CliRunner().invoke(cli, ["report", str(rf.path), "--out", str(tmp_path / "r.html"),
                                   "--method", "shap"])
    assert res.exit_code == 1 and res.stderr.count("\n") == 1 and "'shap'" in res.stderr


# --- compare ----------------------------------------------------------------
@pytest.fixture(scope="module")
def source_model(tmp_path_factory, table):
    return train_tiny(tmp_path_factory, "logreg", table, "source",
                      target="instrument_source_str").path


def test_compare_has_one_row_per_model_with_its_metrics(rf, logreg):
    df = compare_models([rf.path, logreg.path])
    assert df["kind"].tolist() == ["tiny-rf", "tiny-logreg"]
    metrics = json.loads((logreg.path / "metrics.json").read_text())
    row = df.iloc[1]
    assert row["macro_f1"] == metrics["macro_f1"] and row["n_test"] == metrics["n_test"]
    assert row["fit_seconds"] == logreg.meta["fit_seconds"]
    assert row["split"] == "nsynth" and df.attrs["same_test"]


def test_compare_sorts_best_first(rf, logreg):
    df = compare_models([rf.path, logreg.path], sort_by="macro_f1")
    assert df["macro_f1"].is_monotonic_decreasing


def test_compare_refuses_models_of_another_target(rf, source_model):
    with pytest.raises(ConfigError, match="instrument_source_str"):
        compare_models([rf.path, source_model])


def test_compare_lists_mixed_targets_when_asked(rf, source_model):
    df = compare_models([rf.path, source_model], allow_mixed_targets=True)
    assert df["target"].tolist() == ["instrument_family_str", "instrument_source_str"]


def test_compare_refuses_a_model_without_metrics(rf, tmp_path):
    copy = shutil.copytree(rf.path, tmp_path / "copy")
    (copy / "metrics.json").unlink()
    with pytest.raises(ModelError, match="no metrics.json"):
        compare_models([copy])


def test_compare_refuses_an_unknown_sort_column(rf):
    with pytest.raises(ConfigError, match="'speed'"):
        compare_models([rf.path], sort_by="speed")


def test_cli_compare_prints_the_library_table(rf, logreg):
    res = CliRunner().invoke(cli, ["compare", str(rf.path), str(logreg.path)])
    assert res.exit_code == 0, res.output
    assert res.stdout == format_comparison(compare_models([rf.path, logreg.path]))


def test_cli_compare_csv_reads_back(rf, logreg):
    from io import StringIO

    res = CliRunner().invoke(cli, ["compare", str(rf.path), str(logreg.path), "--format", "csv"])
    df = pd.read_csv(StringIO(res.stdout))
    assert df.columns.tolist() == ["model", "kind", "target", "split", "test", "n_test",
                                   "accuracy", "balanced_accuracy", "macro_f1", "fit_seconds"]


def test_cli_compare_of_a_non_model_is_one_line(tmp_path):
    res = CliRunner().invoke(cli, ["compare", str(tmp_path)])
    assert res.exit_code == 1 and res.stderr.count("\n") == 1
    assert "not a featurekit model directory" in res.stderr


# --- end to end -------------------------------------------------------------
@pytest.mark.slow
def test_tone_corpus_end_to_end(tone_corpus, tmp_path, tmp_path_factory):
    """extract -> train -> importances -> report -> compare, through the CLI."""
    feats = tmp_path / "feats"
    featurekit.extract(tone_corpus, feats, n_jobs=1)
    model = train_tiny(tmp_path_factory, "logreg", feats, "e2e").path
    run = CliRunner().invoke
    res = run(cli, ["importances", str(model), "-f", str(feats), "-m", "group-permutation",
                    "-o", str(tmp_path / "imp.parquet"), "--plot", str(tmp_path / "imp.png")])
    assert res.exit_code == 0, res.output
    imp = pd.read_parquet(tmp_path / "imp.parquet")
    assert imp.attrs["importance"]["n_rows"] == 36  # the test split only
    res = run(cli, ["report", str(model), "-f", str(feats), "-o", str(tmp_path / "r.html")])
    assert res.exit_code == 0, res.output
    assert len(data_uris((tmp_path / "r.html").read_text())) == 2
    res = run(cli, ["compare", str(model), str(model)])
    assert res.exit_code == 0 and res.stdout.count("tiny-logreg") == 2
