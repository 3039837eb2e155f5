"""Pipeline specs: packaged TOML files, validation messages, column selection."""

from __future__ import annotations

import pytest
from models_helpers import VOTE_SPEC, make_table, write_spec

from featurekit.errors import ConfigError
from featurekit.models.spec import available_pipelines, load_spec, select_columns

BASE = """
[features]
preset = "default"
[classifier]
kind = "rf"
"""


def test_packaged_pipelines_include_the_issue_kinds():
    assert {"rf", "svm", "hgb", "logreg", "mfcc40-rf", "extratrees", "ensemble"} <= set(
        available_pipelines())


@pytest.mark.parametrize("name", available_pipelines())
def test_every_packaged_spec_loads(name):
    spec = load_spec(name)
    assert spec.name == name and spec.text


def test_unknown_pipeline_name_lists_the_choices():
    with pytest.raises(ConfigError, match="unknown pipeline 'forest'.*rf"):
        load_spec("forest")


def test_unknown_pipeline_name_suggests_a_spec_file_without_a_cli_flag(tmp_path):
    with pytest.raises(ConfigError, match="or the path of a pipeline TOML file$") as err:
        load_spec("forest")
    assert "--" not in str(err.value)
    assert load_spec(write_spec(tmp_path)).name == "fast"  # such a path is accepted


def test_unknown_top_level_key_is_named(tmp_path):
    path = write_spec(tmp_path, BASE + "\n[smoke]\nenabled = true\n")
    with pytest.raises(ConfigError, match="unknown key 'smoke'"):
        load_spec(path)


def test_unknown_section_key_is_named_with_a_suggestion(tmp_path):
    path = write_spec(tmp_path, BASE + "\n[smote]\nk_neighbours = 3\n")
    with pytest.raises(ConfigError, match=r"unknown key 'smote.k_neighbours'.*k_neighbors"):
        load_spec(path)


def test_unknown_classifier_parameter_is_named(tmp_path):
    path = write_spec(tmp_path, BASE + "\n[classifier.params]\nn_estimator = 10\n")
    with pytest.raises(ConfigError, match=r"classifier.params.n_estimator.*n_estimators"):
        load_spec(path)


def test_bad_classifier_value_is_named(tmp_path):
    path = write_spec(tmp_path, BASE + "\n[classifier.params]\nn_estimators = -3\n")
    with pytest.raises(ConfigError, match="n_estimators"):
        load_spec(path)


def test_wrong_type_is_named(tmp_path):
    path = write_spec(tmp_path, BASE + "\n[smote]\nenabled = \"yes\"\n")
    with pytest.raises(ConfigError, match="'smote.enabled' must be bool"):
        load_spec(path)


def test_smote_budget_must_be_positive(tmp_path):
    path = write_spec(tmp_path, BASE + "\n[smote]\nmax_samples = 0\n")
    with pytest.raises(ConfigError, match="'smote.max_samples' must be >= 1, got 0"):
        load_spec(path)


def test_unknown_classifier_kind_is_named(tmp_path):
    path = write_spec(tmp_path, BASE.replace('"rf"', '"forest"'))
    with pytest.raises(ConfigError, match="'classifier.kind' is 'forest'"):
        load_spec(path)


def test_unknown_search_grid_key_is_named(tmp_path):
    path = write_spec(tmp_path, BASE + "\n[search.grid]\nmax_feature = [1, 2]\n")
    with pytest.raises(ConfigError, match="unknown key 'search.grid.max_feature'"):
        load_spec(path)


def test_unknown_feature_name_is_named(tmp_path):
    path = write_spec(tmp_path, BASE.replace('preset = "default"', 'features = ["mfccs"]'))
    with pytest.raises(ConfigError, match="'features.features' has unknown value 'mfccs'"):
        load_spec(path)


def test_invalid_toml_is_a_config_error(tmp_path):
    path = write_spec(tmp_path, "[features\npreset = 1")
    with pytest.raises(ConfigError, match="invalid TOML"):
        load_spec(path)


def test_ensemble_needs_members(tmp_path):
    path = write_spec(tmp_path, BASE.replace('"rf"', '"ensemble"'))
    with pytest.raises(ConfigError, match="members"):
        load_spec(path)


def test_default_selection_drops_chroma_and_keeps_20_mfccs():
    cols = select_columns(load_spec("rf"), make_table().columns)
    assert not any(c.startswith("chroma") for c in cols)
    assert sum(c.startswith("mfcc__mean__") for c in cols) == 20


def test_default_selection_on_a_full_table_keeps_20_coefficients_of_every_mfcc_feature():
    cols = select_columns(load_spec("rf"), make_table(preset="full").columns)
    mfcc = [c for c in cols if c.startswith("mfcc")]
    assert mfcc and all(int(c[-2:]) < 20 for c in mfcc)


def test_classic_recipe_selects_40_mean_mfccs():
    cols = select_columns(load_spec("mfcc40-rf"), make_table(preset="mfcc40").columns)
    assert cols == [f"mfcc__mean__{i:02d}" for i in range(40)]


def test_classic_recipe_on_a_default_table_says_which_preset_to_extract():
    with pytest.raises(ConfigError, match="needs 40 mfcc__mean.*has 20.*--preset mfcc40"):
        select_columns(load_spec("mfcc40-rf"), make_table().columns)


def test_preset_selection_on_a_smaller_table_names_the_missing_features():
    with pytest.raises(ConfigError, match="lacks features of preset 'default'"):
        select_columns(load_spec("rf"), make_table(preset="mfcc40").columns)


def test_missing_preset_features_name_each_preset_to_extract_once(tmp_path):
    full = load_spec(write_spec(tmp_path, BASE.replace('"default"', '"full"')))
    with pytest.raises(ConfigError) as err:
        select_columns(full, make_table().columns)
    assert str(err.value).endswith("extract with --preset full")


def test_missing_preset_features_suggest_the_larger_presets_too():
    with pytest.raises(ConfigError) as err:
        select_columns(load_spec("rf"), make_table(preset="mfcc40").columns)
    assert str(err.value).endswith(
        "extract with --preset default or --preset transfer or --preset full")


def test_bad_exclude_lists_each_allowed_name_once(tmp_path):
    path = write_spec(tmp_path, BASE.replace('preset = "default"',
                                             'preset = "default"\nexclude = ["chromas"]'))
    with pytest.raises(ConfigError, match="'features.exclude' has unknown value 'chromas'") as err:
        load_spec(path)
    names = str(err.value).split("choose from ")[1].split(", ")
    assert len(names) == len(set(names)) and names == sorted(names)
    assert {"chroma", "mfcc", "spectral_centroid"} <= set(names)


def test_the_spec_in_docs_pipelines_md_loads(tmp_path):
    import re
    from pathlib import Path

    from featurekit.models.pipeline import search_grid

    text = (Path(__file__).parents[1] / "docs" / "pipelines.md").read_text()
    toml = re.search(r"```toml\n(.*?)```", text, re.S).group(1)
    spec = load_spec(write_spec(tmp_path, toml, "doc.toml"))
    assert search_grid(spec) == {"classifier__C": [0.01, 0.1, 1.0], "smote__k_neighbors": [3, 5]}


def test_the_vote_in_docs_pipelines_md_loads_and_its_member_grid_key_is_valid(tmp_path):
    import re
    from pathlib import Path

    text = (Path(__file__).parents[1] / "docs" / "pipelines.md").read_text()
    toml = re.findall(r"```toml\n(.*?)```", text, re.S)[1]
    toml += "[search]\n[search.grid]\nclassifier__rf1__rf__n_estimators = [100, 300]\n"
    spec = load_spec(write_spec(tmp_path, toml, "vote.toml"))
    assert spec.classifier.members[1].features.exclude == ("chroma",)


def test_an_ensemble_member_selects_its_own_columns_from_the_pipelines(tmp_path):
    spec = load_spec(write_spec(tmp_path, VOTE_SPEC))
    cols = select_columns(spec, make_table().columns)
    member = select_columns(spec, cols, member=1)
    assert member and all(c.startswith("mfcc") for c in member)
    assert select_columns(spec, cols, member=0) == cols  # no features: every column
    assert spec.member_columns(cols) == {1: [cols.index(c) for c in member]}


def test_member_columns_outside_the_pipelines_features_are_named(tmp_path):
    spec = load_spec(write_spec(tmp_path, VOTE_SPEC.replace('groups = ["mfcc"]', 'preset = "full"')))
    with pytest.raises(ConfigError, match=r"members\[1\]: needs .*widen \[features\]"):
        select_columns(spec, select_columns(spec, make_table().columns), member=1)


def test_a_bad_member_features_key_is_named_with_its_member(tmp_path):
    path = write_spec(tmp_path, VOTE_SPEC.replace("groups =", "grups ="))
    with pytest.raises(ConfigError, match=r"unknown key 'classifier.members\[1\].features.grups'"):
        load_spec(path)


def test_features_on_the_classifier_itself_are_refused(tmp_path):
    path = write_spec(tmp_path, BASE + '[classifier.features]\npreset = "default"\n')
    with pytest.raises(ConfigError, match="only allowed on ensemble members"):
        load_spec(path)


def test_member_features_with_per_note_normalisation_are_refused(tmp_path):
    path = write_spec(tmp_path, VOTE_SPEC.replace("[classifier]", "[normalise]\nper_note = true\n[classifier]"))
    with pytest.raises(ConfigError, match="normalise.per_note and normalise.pitch off"):
        load_spec(path)
