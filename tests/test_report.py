"""featurekit.write_html_report / compare_models and `featurekit report|compare`."""

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
from featurekit.report import render_report, write_html_report, write_report

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
    assert "--features DIR" in md and len(data_uris(md)) == 1


def test_report_of_a_leaky_model_warns(table, tmp_path_factory):
    model = train_tiny(tmp_path_factory, "logreg", table, "leaky", leaky_split=True)
    assert "> **WARNING:** LEAKY" in render_report(model, fmt="markdown")


def test_write_report_picks_the_format_from_the_suffix(rf, tmp_path):
    path = write_report(rf, tmp_path / "r.md")
    assert path.read_text(encoding="utf-8").startswith("# featurekit report")


def test_write_report_refuses_an_unknown_suffix(rf, tmp_path):
    with pytest.raises(ConfigError, match="r.pdf"):
        write_report(rf, tmp_path / "r.pdf")


def test_public_api_exposes_write_html_report_and_its_former_name():
    assert featurekit.write_html_report is write_html_report
    assert featurekit.write_report is write_html_report is write_report


def test_write_html_report_refuses_to_replace_a_users_file(rf, tmp_path):
    from featurekit.errors import OutputError

    mine = tmp_path / "notes.md"
    mine.write_text("# my notes\n")
    with pytest.raises(OutputError, match="refusing to replace"):
        write_html_report(rf, mine)
    assert mine.read_text() == "# my notes\n"


def test_write_html_report_replaces_its_own_page(rf, tmp_path):
    write_html_report(rf, tmp_path / "r.html")
    assert write_html_report(rf, tmp_path / "r.html").is_file()


def test_cli_report_refuses_a_users_file_unless_overwrite(rf, tmp_path):
    mine = tmp_path / "r.html"
    mine.write_text("<p>mine</p>")
    res = CliRunner().invoke(cli, ["report", str(rf.path), "--out", str(mine)])
    assert res.exit_code == 1 and res.stderr.count("\n") == 1 and "refusing" in res.stderr
    assert mine.read_text() == "<p>mine</p>"
    res = CliRunner().invoke(cli, ["report", str(rf.path), "--out", str(mine), "--overwrite"])
    assert res.exit_code == 0 and mine.read_text().startswith("<!DOCTYPE html>")


@pytest.mark.parametrize("flag", ["--jobs", "--n-jobs"])
def test_cli_report_jobs_zero_is_one_clear_line(rf, tmp_path, flag):
    res = CliRunner().invoke(cli, ["report", str(rf.path), "--out", str(tmp_path / "r.md"),
                                   flag, "0"])
    assert res.exit_code == 1 and res.stderr.count("\n") == 1
    assert ("--jobs must be a non-zero integer (N workers, or -1 for all cores, -2 for all but one), "
            "got '0'" in res.stderr)


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
    assert df.columns.tolist() == ["model", "kind", "target", "split", "leaky", "test", "n_test",
                                   "accuracy", "balanced_accuracy", "macro_f1", "fit_seconds"]


@pytest.fixture(scope="module")
def leaky_model(tmp_path_factory, table):
    return train_tiny(tmp_path_factory, "logreg", table, "leaky-cmp", leaky_split=True)


def test_compare_never_ranks_a_leaky_model_above_an_honest_one(rf, leaky_model):
    df = compare_models([leaky_model.path, rf.path], sort_by="macro_f1")
    assert leaky_model.metrics["macro_f1"] > rf.metrics["macro_f1"]  # the leak inflates it
    assert df["model"].tolist() == [str(rf.path), str(leaky_model.path)]
    assert df["leaky"].tolist() == [False, True] and df.attrs["n_leaky"] == 1


def test_cli_compare_sorts_leaky_models_last_and_says_so(rf, leaky_model):
    res = CliRunner().invoke(cli, ["compare", str(leaky_model.path), str(rf.path),
                                   "--sort-by", "macro_f1", "--format", "csv"])
    assert res.exit_code == 0, res.output
    from io import StringIO

    df = pd.read_csv(StringIO(res.stdout))
    assert df["model"].tolist() == [str(rf.path), str(leaky_model.path)]
    assert df["split"].iloc[1] == "random (LEAKY)"
    assert "LEAKY" in res.stderr and "listed after the honest ones" in res.stderr


def test_cli_compare_json_is_plain_json(rf, logreg):
    res = CliRunner().invoke(cli, ["compare", str(rf.path), str(logreg.path), "--format", "json"])
    assert res.exit_code == 0, res.output
    assert "\\/" not in res.stdout and str(rf.path) in res.stdout
    rows = json.loads(res.stdout)
    assert [r["model"] for r in rows] == [str(rf.path), str(logreg.path)]
    assert rows[0]["n_test"] == rf.metrics["n_test"] and rows[0]["leaky"] is False


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
