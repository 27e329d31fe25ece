"""Build an import bundle from superset/assets/ (Superset's unzipped export format).

The committed database YAML carries no connection string: it is filled in here from the environment
(DuckDB serving copy opened read-only, or the PostgreSQL warehouse through a read-only role).
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import quote

import yaml

from . import settings

MASKED_PASSWORD = "XXXXXXXXXX"  # what Superset's export writes in place of a password


class AssetError(ValueError):
    """The asset tree is inconsistent (names the file and the problem)."""


def warehouse_connection() -> dict[str, Any]:
    """sqlalchemy_uri, password and engine parameters of the warehouse for the current environment."""
    explicit = settings.env("SUPERSET_WAREHOUSE_URI")
    kind = settings.warehouse_kind()
    if kind == "duckdb":
        path = settings.serving_duckdb_path()
        return {
            "sqlalchemy_uri": explicit or f"duckdb:///{path}",
            "password": None,
            # read_only: many readers, never a lock against the pipeline; no external access: SQL Lab
            # users cannot read server files through read_csv()/read_parquet().
            "engine_params": {
                "connect_args": {"read_only": True, "config": {"enable_external_access": False}}
            },
        }
    user = settings.env("SUPERSET_WAREHOUSE_USER", "zhishu_superset_ro")
    if explicit:
        return {"sqlalchemy_uri": explicit, "password": None, "engine_params": {}}
    from .pg_role import stored_password

    password = settings.env("SUPERSET_WAREHOUSE_PASSWORD") or stored_password()
    if not password:
        raise SystemExit(
            "ZHISHU_WAREHOUSE=postgres: SUPERSET_WAREHOUSE_PASSWORD (password of the read-only role "
            f"{user!r}) is not set; create the role with `superset/manage.py pg-readonly-role`."
        )
    host = settings.env("PGHOST", "127.0.0.1")
    port = settings.env("PGPORT", "5432")
    database = settings.env("PGDATABASE", "zhishu")
    return {
        "sqlalchemy_uri": f"postgresql+psycopg2://{quote(user)}:{MASKED_PASSWORD}@{host}:{port}/{quote(database)}",
        "password": password,
        "engine_params": {"pool_pre_ping": True},
    }


def _render_database(config: dict[str, Any]) -> dict[str, Any]:
    conn = warehouse_connection()
    config = dict(config)
    config["sqlalchemy_uri"] = conn["sqlalchemy_uri"]
    if conn["password"]:
        config["password"] = conn["password"]
    extra = dict(config.get("extra") or {})
    extra["engine_params"] = conn["engine_params"]
    config["extra"] = extra
    return config


def asset_texts(assets_dir: Path | None = None, manifest: dict[str, Any] | None = None) -> dict[str, str]:
    """The asset tree as {relative path: YAML text}. With a dbt manifest, datasets, charts, dashboards
    and access.yaml are rendered from it and the specs instead of read from the committed files."""
    root = assets_dir or settings.ASSETS_DIR
    texts = {path.relative_to(root).as_posix(): path.read_text(encoding="utf-8") for path in sorted(root.rglob("*.yaml"))}
    if manifest is not None:
        from . import render

        generated = render.render_all(manifest)
        texts = {rel: t for rel, t in texts.items()
                 if not rel.startswith((render.DATASETS_PREFIX, "charts/", "dashboards/", "access.yaml"))}
        texts.update(generated)
    return texts


def load_assets(texts: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Parsed configs of an asset tree, validated for links (names the file and the problem)."""
    if "metadata.yaml" not in texts:
        raise AssetError("metadata.yaml is missing from the asset tree")
    configs: dict[str, dict[str, Any]] = {}
    for rel, text in texts.items():
        try:
            data = yaml.load(text, Loader=yaml.CSafeLoader)  # noqa: S506 - the C build of SafeLoader
        except yaml.YAMLError as exc:
            raise AssetError(f"{rel}: invalid YAML: {exc}") from exc
        if not isinstance(data, dict):
            raise AssetError(f"{rel}: expected a mapping at the top level")
        configs[rel] = data
    _check_links(configs)
    return configs


def _check_links(configs: dict[str, dict[str, Any]]) -> None:
    uuids: dict[str, str] = {}
    for rel, cfg in configs.items():
        if rel == "metadata.yaml" or rel.startswith("access"):
            continue
        uid = str(cfg.get("uuid", ""))
        if not uid:
            raise AssetError(f"{rel}: no uuid")
        if uid in uuids:
            raise AssetError(f"{rel}: uuid {uid} already used by {uuids[uid]}")
        uuids[uid] = rel
    by_kind = {kind: {str(c["uuid"]) for r, c in configs.items() if r.startswith(f"{kind}/")}
               for kind in ("databases", "datasets", "charts", "dashboards")}
    for rel, cfg in configs.items():
        if rel.startswith("datasets/") and str(cfg.get("database_uuid")) not in by_kind["databases"]:
            raise AssetError(f"{rel}: database_uuid {cfg.get('database_uuid')} matches no database")
        if rel.startswith("charts/") and str(cfg.get("dataset_uuid")) not in by_kind["datasets"]:
            raise AssetError(f"{rel}: dataset_uuid {cfg.get('dataset_uuid')} matches no dataset")
        if rel.startswith("dashboards/"):
            for node in (cfg.get("position") or {}).values():
                if isinstance(node, dict) and node.get("type") == "CHART":
                    if str(node["meta"].get("uuid")) not in by_kind["charts"]:
                        raise AssetError(f"{rel}: chart {node['meta'].get('uuid')} in the layout matches no chart")
            for flt in (cfg.get("metadata") or {}).get("native_filter_configuration", []):
                for target in flt.get("targets", []):
                    if "datasetUuid" in target and str(target["datasetUuid"]) not in by_kind["datasets"]:
                        raise AssetError(f"{rel}: filter {flt.get('name')!r} targets unknown dataset {target['datasetUuid']}")


def bundle_contents(texts: dict[str, str]) -> dict[str, str]:
    """Import contents ({path: yaml text}) with the warehouse connection filled in from the environment."""
    configs = load_assets(texts)
    contents: dict[str, str] = {}
    for rel, cfg in configs.items():
        if rel.startswith("access"):
            continue  # our own sidecar (dashboard roles, partner datasets), not part of Superset's format
        if rel.startswith("databases/"):
            cfg = _render_database(cfg)
        contents[rel] = yaml.dump(cfg, Dumper=yaml.CSafeDumper, allow_unicode=True, sort_keys=False)
    return contents


def write_zip(contents: dict[str, str], out: Path | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for rel, text in contents.items():
            zf.writestr(f"zhishu_assets/{rel}", text)
    data = buf.getvalue()
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
        out.chmod(0o600)  # may hold the read-only warehouse password
    return data


def access_config(texts: dict[str, str]) -> dict[str, Any]:
    """Dashboard roles and the partner-scoped datasets (generated beside the assets)."""
    if "access.yaml" not in texts:
        return {"dashboards": {}, "partner_datasets": []}
    return yaml.safe_load(texts["access.yaml"]) or {}
