"""The row schema: every written column has the schema's type; column names round-trip."""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st

import featurekit as fk
from featurekit import schema
from featurekit.errors import ConfigError


def test_every_listed_column_has_a_type_and_a_role():
    listed = {*schema.NSYNTH_COLUMNS, *schema.LAYOUT_COLUMNS, *schema.SEGMENT_COLUMNS,
              *schema.STATUS_COLUMNS, *schema.FAILURE_COLUMNS, *schema.TARGETS,
              *schema.GROUP_COLUMNS, *schema.INSTRUMENT_KEY, *schema.ID_COLUMNS}
    assert listed <= set(schema.ARROW_TYPES)
    assert {c.role for c in schema.COLUMNS.values()} <= set(schema.ROLES)


def test_shards_store_every_metadata_column_with_the_schemas_type(tone_corpus, tmp_path):
    fk.extract(tone_corpus / "nsynth-test", tmp_path, n_jobs=1, progress=False, segment_seconds=2.0)
    shard = pq.read_schema(next((tmp_path / "features").glob("part-*.parquet")))
    meta = [f for f in shard if not schema.is_feature_column(f.name)]
    assert {f.name for f in meta} == {*schema.NSYNTH_COLUMNS, *schema.SEGMENT_COLUMNS,
                                     *schema.STATUS_COLUMNS}
    for f in meta:
        assert f.type == schema.ARROW_TYPES[f.name], f.name
    assert all(f.type == schema.FEATURE_TYPE for f in shard if schema.is_feature_column(f.name))


def test_reserved_columns_are_those_featurekit_writes():
    assert schema.RESERVED_COLUMNS == {"note_id", "padded", "notes", "error", "source_path",
                                       "start", "end"}
    assert schema.columns_with_role("window") == schema.SEGMENT_COLUMNS
    with pytest.raises(ConfigError, match="'colour'"):
        schema.columns_with_role("colour")


names = st.from_regex(r"[a-z][a-z0-9]{0,6}(_[a-z0-9]{1,6}){0,3}", fullmatch=True)


@given(names, st.sampled_from(["mean", "std", "min", "max", "median", "value"]),
       st.integers(0, 99))
def test_column_names_round_trip(feature, statistic, index):
    name = schema.feature_column(feature, statistic, index)
    parsed = schema.parse_column(name)
    assert (parsed.feature, parsed.statistic, parsed.index) == (feature, statistic, index)
    assert parsed.group == feature.split("_")[0] and str(parsed) == name
