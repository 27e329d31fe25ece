"""The serving copy is replaced atomically: a reader sees the old or the new file, never a mix."""

from __future__ import annotations

import duckdb

from orchestration.serving import publish_copy


def _database(path, rows: int) -> None:
    with duckdb.connect(str(path)) as connection:
        connection.execute(f"CREATE OR REPLACE TABLE t AS SELECT range AS i FROM range({rows})")  # nosec B608 - test SQL, names from the test itself
        connection.execute("CHECKPOINT")


def test_publish_replaces_the_copy_atomically(tmp_path):
    warehouse, serving = tmp_path / "zhishu.duckdb", tmp_path / "zhishu_serving.duckdb"
    _database(warehouse, 10)
    publish_copy(warehouse, serving)

    reader = duckdb.connect(str(serving), read_only=True)  # Superset holding the old copy open
    _database(warehouse, 25)
    publish_copy(warehouse, serving)
    assert reader.execute("SELECT count(*) FROM t").fetchone()[0] == 10
    reader.close()
    with duckdb.connect(str(serving), read_only=True) as fresh:
        assert fresh.execute("SELECT count(*) FROM t").fetchone()[0] == 25
    assert sorted(p.name for p in tmp_path.iterdir()) == ["zhishu.duckdb", "zhishu_serving.duckdb"]
