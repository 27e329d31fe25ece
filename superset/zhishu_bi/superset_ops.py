"""Operations that run inside Superset's application (only in .venv-superset).

init: metadata DB migrations, Superset's permissions and built-in roles, the admin user and our roles.
import: the asset bundle (overwrite: datasets, columns, metrics, charts, dashboards follow the code),
        dashboard roles, the roles' data permissions and the partner row-level-security rules.
provision_partner: a partner user that sees only its own partner's rows on the partner portal.
warm_cache: run every dashboard chart's stored query with force, after a pipeline build.
"""

from __future__ import annotations

import json
import os
import secrets
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from . import bundle, settings

ROLE_ANALYST = "analyst"
ROLE_VIEWER = "viewer"
ROLE_PARTNER = "partner"
PARTNER_RLS_GROUP = "partner_rows"
# Fail closed: the partner role's own rule matches no row; each partner's rule (same group key,
# so the clauses are ORed) opens exactly its rows. A partner user without its rule sees nothing.
PARTNER_BASE_RULE = "partner: no rows unless provisioned"

# What a dashboard reader needs, beyond Superset's anonymous-viewer set (PUBLIC_ROLE_PERMISSIONS).
READER_EXTRA_PERMISSIONS = {
    ("menu_access", "Dashboards"),
    ("can_read", "Dashboard"),
    ("can_read", "Chart"),
    ("can_read", "DashboardPermalinkRestApi"),
    ("can_write", "DashboardPermalinkRestApi"),
    ("can_read", "Tag"),
    ("can_read", "SecurityRestApi"),
    ("can_read", "Dataset"),
    ("can_get", "Datasource"),
    ("can_log", "Superset"),
    ("can_recent_activity", "Log"),
}


def admin_credentials_file() -> Path:
    return settings.state_dir() / "admin_credentials.json"


def admin_username() -> str:
    return settings.env("SUPERSET_ADMIN_USERNAME", "admin") or "admin"


@contextmanager
def app_context(user: str | None = None) -> Iterator[Any]:
    os.environ.update(settings.superset_env())
    from flask import g
    from superset.app import create_app

    app = create_app()
    with app.app_context():
        if user:
            from superset.extensions import security_manager

            g.user = security_manager.find_user(username=user)
        yield app


# --- init ------------------------------------------------------------------------------------------

def init() -> None:
    t0 = time.monotonic()
    with app_context():
        from flask_migrate import upgrade
        from superset.extensions import appbuilder, db, security_manager

        upgrade()
        appbuilder.add_permissions(update_perms=True)
        security_manager.sync_role_definitions()
        db.session.commit()
        _ensure_admin(security_manager, db)
        _ensure_functional_roles(security_manager, db)
        db.session.commit()
    print(f"==> Superset metadata initialised in {time.monotonic() - t0:.1f}s")


def _ensure_admin(sm: Any, db: Any) -> None:
    username = admin_username()
    cred_file = admin_credentials_file()
    env_password = settings.env("SUPERSET_ADMIN_PASSWORD")
    stored = json.loads(cred_file.read_text()) if cred_file.exists() else None
    user = sm.find_user(username=username)
    if user is not None and (env_password or (stored and stored.get("username") == username)):
        return  # already provisioned; its password is wherever it was the first time
    password = env_password or secrets.token_urlsafe(18)
    admin_role = sm.find_role("Admin")
    if user is None:
        created = sm.add_user(username, "Zhishu", "Admin", f"{username}@zhishu.local", admin_role, password=password)
        if not created:
            raise SystemExit(f"could not create the Superset admin user {username!r}")
    else:
        sm.reset_password(user.id, password)  # lost credentials file: issue a new password
    db.session.commit()
    if env_password:
        print(f"==> Superset admin {username!r} created with the password from SUPERSET_ADMIN_PASSWORD")
        return
    cred_file.parent.mkdir(parents=True, exist_ok=True)
    cred_file.write_text(json.dumps({"username": username, "password": password}) + "\n")
    cred_file.chmod(0o600)
    # Printed once, here; afterwards only the git-ignored credentials file holds it.
    print(f"==> Superset admin created: user {username!r}, password {password!r} (also in {cred_file})")


def _pvms(sm: Any, wanted: set[tuple[str, str]]) -> list[Any]:
    out = []
    for perm, view in sorted(wanted):
        pvm = sm.find_permission_view_menu(perm, view)
        if pvm is not None:
            out.append(pvm)
    return out


def _reader_permissions(sm: Any) -> set[Any]:
    wanted = set(sm.PUBLIC_ROLE_PERMISSIONS) | READER_EXTRA_PERMISSIONS
    return set(_pvms(sm, wanted)) | {
        pvm for pvm in sm.find_role("Gamma").permissions if pvm.permission.name in sm.ACCESSIBLE_PERMS
    }


def _ensure_role(sm: Any, name: str) -> Any:
    role = sm.find_role(name)
    return role if role is not None else sm.add_role(name)


def _ensure_functional_roles(sm: Any, db: Any) -> None:
    """Roles without data access; `import` adds the data permissions once the warehouse exists."""
    gamma = set(sm.find_role("Gamma").permissions)
    sql_lab = set(sm.find_role("sql_lab").permissions)
    reader = _reader_permissions(sm)
    analyst = _ensure_role(sm, ROLE_ANALYST)
    viewer = _ensure_role(sm, ROLE_VIEWER)
    partner = _ensure_role(sm, ROLE_PARTNER)
    keep_data = lambda role: {p for p in role.permissions if p.permission.name in sm.OBJECT_SPEC_PERMISSIONS}  # noqa: E731
    analyst.permissions = sorted(gamma | sql_lab | reader | keep_data(analyst), key=lambda p: p.id)
    viewer.permissions = sorted(reader | keep_data(viewer), key=lambda p: p.id)
    partner.permissions = sorted(reader | keep_data(partner), key=lambda p: p.id)
    db.session.commit()


# --- import ----------------------------------------------------------------------------------------

def import_assets(manifest_path: Path | None = None, bundle_out: Path | None = None, prune: bool = True) -> None:
    """Import superset/assets/; with a manifest, datasets/charts/dashboards are rendered from it first."""
    t0 = time.monotonic()
    manifest = json.loads(manifest_path.read_text()) if manifest_path else None
    texts = bundle.asset_texts(manifest=manifest)
    contents = bundle.bundle_contents(texts)
    if bundle_out is not None:
        bundle.write_zip(contents, bundle_out)
        print(f"==> bundle written to {bundle_out}")
    access = bundle.access_config(texts)
    with app_context(user=admin_username()) as _app:
        from flask import g
        from superset.commands.importers.v1.assets import ImportAssetsCommand
        from superset.extensions import db, security_manager

        if g.user is None:
            raise SystemExit(f"admin user {admin_username()!r} not found: run `manage.py init` first")
        with _fast_import():
            ImportAssetsCommand(contents).run()
        db.session.commit()
        uuids = {str(_yaml_uuid(text)) for text in contents.values() if _yaml_uuid(text)}
        if prune:
            _prune_managed(uuids, db)
        _apply_access(access, security_manager, db)
        db.session.commit()
        counts = _counts(db)
    print(f"==> imported {counts} in {time.monotonic() - t0:.1f}s")


@contextmanager
def _fast_import() -> Iterator[None]:
    """Two shortcuts for the importer, only while it runs (measured: 38 s -> see README numbers):
    parse YAML with libyaml's C loader (same safe semantics), and skip the per-dataset
    `has_table` probe, which opens the warehouse once per dataset only to decide whether to load
    example data (our bundles never carry data)."""
    import yaml
    from superset.models.core import Database

    original_load, original_has_table = yaml.safe_load, Database.has_table
    yaml.safe_load = lambda stream: yaml.load(stream, Loader=yaml.CSafeLoader)  # noqa: S506 - CSafeLoader is safe
    Database.has_table = lambda self, table: True
    try:
        yield
    finally:
        yaml.safe_load, Database.has_table = original_load, original_has_table


def _yaml_uuid(text: str) -> str | None:
    for line in text.splitlines():
        if line.startswith("uuid:"):
            return line.split(":", 1)[1].strip().strip("'\"")
    return None


def _counts(db: Any) -> str:
    from superset.connectors.sqla.models import SqlaTable
    from superset.models.dashboard import Dashboard
    from superset.models.slice import Slice

    return (f"{db.session.query(Dashboard).count()} dashboards, {db.session.query(Slice).count()} charts, "
            f"{db.session.query(SqlaTable).count()} datasets")


def _prune_managed(keep: set[str], db: Any) -> None:
    """Delete objects we imported earlier (managed externally) whose code is gone."""
    from superset.connectors.sqla.models import SqlaTable
    from superset.models.dashboard import Dashboard
    from superset.models.slice import Slice

    for model in (Dashboard, Slice, SqlaTable):
        for obj in db.session.query(model).filter(model.is_managed_externally.is_(True)).all():
            if str(obj.uuid) not in keep:
                print(f"    removing {model.__name__} {getattr(obj, 'dashboard_title', None) or getattr(obj, 'slice_name', None) or obj.table_name}: no longer in superset/assets")
                db.session.delete(obj)
    db.session.flush()


def _apply_access(access: dict[str, Any], sm: Any, db: Any) -> None:
    from superset.connectors.sqla.models import RowLevelSecurityFilter, SqlaTable
    from superset.models.core import Database
    from superset.models.dashboard import Dashboard
    from superset.utils.core import RowLevelSecurityFilterType

    # Dashboards carry roles (DASHBOARD_RBAC): internal dashboards for analysts and viewers only.
    for uuid, role_names in (access.get("dashboards") or {}).items():
        dash = db.session.query(Dashboard).filter_by(uuid=uuid).one_or_none()
        if dash is None:
            continue
        dash.roles = [_ensure_role(sm, name) for name in role_names]

    warehouse = db.session.query(Database).filter_by(database_name=settings.WAREHOUSE_DB_NAME).one_or_none()
    if warehouse is None:
        raise SystemExit(f"database {settings.WAREHOUSE_DB_NAME!r} missing after import")
    # Analysts and viewers read the serving schemas only (never raw/staging, which hold source PII):
    # schema-level grants, which SQL Lab also enforces table by table.
    schema_access = {
        sm.add_permission_view_menu("schema_access", sm.get_schema_perm(warehouse.database_name, None, schema))
        for schema in settings.SERVING_SCHEMAS
    }
    for name in (ROLE_ANALYST, ROLE_VIEWER):
        role = _ensure_role(sm, name)
        kept = [p for p in role.permissions if p.permission.name not in sm.OBJECT_SPEC_PERMISSIONS]
        role.permissions = kept + sorted(schema_access, key=lambda p: p.id)

    # Partners: datasource access on the partner-scoped datasets only, never the whole database.
    partner_tables = []
    for uuid in access.get("partner_datasets") or []:
        table = db.session.query(SqlaTable).filter_by(uuid=uuid).one_or_none()
        if table is None:
            raise SystemExit(f"partner dataset {uuid} listed in access.yaml was not imported")
        partner_tables.append(table)
    partner = _ensure_role(sm, ROLE_PARTNER)
    wanted = {sm.add_permission_view_menu("datasource_access", t.perm) for t in partner_tables}
    partner.permissions = [p for p in partner.permissions if p.permission.name not in sm.OBJECT_SPEC_PERMISSIONS]
    partner.permissions.extend(sorted(wanted, key=lambda p: p.id))

    base = db.session.query(RowLevelSecurityFilter).filter_by(name=PARTNER_BASE_RULE).one_or_none()
    if base is None:
        base = RowLevelSecurityFilter(name=PARTNER_BASE_RULE, clause="1 = 0")
        db.session.add(base)
    base.filter_type = RowLevelSecurityFilterType.REGULAR
    base.group_key = PARTNER_RLS_GROUP
    base.description = "Partners see no rows of partner datasets unless provision-partner opened theirs."
    base.roles = [partner]
    base.tables = partner_tables
    # Existing per-partner rules follow the current set of partner datasets.
    for rule in db.session.query(RowLevelSecurityFilter).filter(RowLevelSecurityFilter.group_key == PARTNER_RLS_GROUP):
        rule.tables = partner_tables


# --- users ---------------------------------------------------------------------------------------

def add_user(username: str, role_name: str, as_json: bool) -> None:
    """An analyst or viewer account with a random password (printed once)."""
    if role_name not in (ROLE_ANALYST, ROLE_VIEWER):
        raise SystemExit(f"role must be {ROLE_ANALYST} or {ROLE_VIEWER}; partners come from provision-partner")
    password = secrets.token_urlsafe(15)
    with app_context(user=admin_username()):
        from superset.extensions import db, security_manager as sm

        role = sm.find_role(role_name)
        if role is None:
            raise SystemExit("roles missing: run `manage.py init` first")
        user = sm.find_user(username=username)
        if user is None:
            if not sm.add_user(username, username, role_name, f"{username}@zhishu.local", [role], password=password):
                raise SystemExit(f"could not create user {username!r}")
        else:
            user.roles = [role]
            sm.reset_password(user.id, password)
        db.session.commit()
    if as_json:
        print(json.dumps({"username": username, "password": password, "role": role_name}))
    else:
        print(f"user {username!r} ({role_name}) password: {password}  (shown once)")


# --- partners --------------------------------------------------------------------------------------

def provision_partner(partner_id: int, username: str | None, as_json: bool) -> None:
    from_name = username or f"partner_{partner_id}"
    password = secrets.token_urlsafe(15)
    with app_context(user=admin_username()):
        from superset.connectors.sqla.models import RowLevelSecurityFilter
        from superset.extensions import db, security_manager as sm
        from superset.utils.core import RowLevelSecurityFilterType

        base = db.session.query(RowLevelSecurityFilter).filter_by(name=PARTNER_BASE_RULE).one_or_none()
        if base is None or not base.tables:
            raise SystemExit("no partner datasets yet: run `manage.py import` before provisioning partners")
        _check_partner_exists(base.tables[0], partner_id)
        role = _ensure_role(sm, f"partner_{partner_id}")
        rule_name = f"partner {partner_id}: own rows"
        rule = db.session.query(RowLevelSecurityFilter).filter_by(name=rule_name).one_or_none()
        if rule is None:
            rule = RowLevelSecurityFilter(name=rule_name)
            db.session.add(rule)
        rule.filter_type = RowLevelSecurityFilterType.REGULAR
        rule.group_key = PARTNER_RLS_GROUP
        rule.clause = f"partner_id = {int(partner_id)}"
        rule.roles = [role]
        rule.tables = list(base.tables)
        roles = [sm.find_role(ROLE_PARTNER), role]
        user = sm.find_user(username=from_name)
        if user is None:
            user = sm.add_user(from_name, "Partner", str(partner_id), f"{from_name}@partners.zhishu.local",
                               roles, password=password)
            if not user:
                raise SystemExit(f"could not create user {from_name!r}")
        else:
            user.roles = roles
            sm.reset_password(user.id, password)
        db.session.commit()
    if as_json:
        print(json.dumps({"username": from_name, "password": password, "partner_id": partner_id}))
    else:
        print(f"partner user {from_name!r} (partner_id {partner_id}) password: {password}")
        print("shown once: store it now; run provision-partner again to issue a new password")


def _check_partner_exists(table: Any, partner_id: int) -> None:
    """Refuse ids that are not partners, when the warehouse can tell (warn if it cannot be reached)."""
    from sqlalchemy import text

    try:
        with table.database.get_sqla_engine() as engine, engine.connect() as conn:
            found = conn.execute(
                text(f"SELECT COUNT(*) FROM {table.schema}.{table.table_name} WHERE partner_id = :p"),
                {"p": partner_id},
            ).scalar()
    except Exception as exc:  # noqa: BLE001 - the warehouse may simply not be built yet
        print(f"warning: could not check partner {partner_id} in the warehouse ({type(exc).__name__}); "
              "provisioning anyway", file=sys.stderr)
        return
    if not found:
        raise SystemExit(f"partner_id {partner_id} has no rows in {table.schema}.{table.table_name}")


# --- cache ----------------------------------------------------------------------------------------

def warm_cache() -> int:
    """Re-run every dashboard chart's query with force=True so the first visitor after a build hits cache."""
    t0 = time.monotonic()
    failures = 0
    with app_context(user=admin_username()):
        from superset.commands.chart.warm_up_cache import ChartWarmUpCacheCommand
        from superset.extensions import db
        from superset.models.dashboard import Dashboard

        done: set[int] = set()
        for dash in db.session.query(Dashboard).all():
            for chart in dash.slices:
                if chart.id in done:
                    continue
                done.add(chart.id)
                # No dashboard id: warm exactly the chart's stored query, which is what the dashboard
                # asks for while its filters are at their defaults.
                result = ChartWarmUpCacheCommand(chart, None, None).run()
                if result.get("viz_error"):
                    failures += 1
                    print(f"    {dash.dashboard_title} / {chart.slice_name}: {result['viz_error']}", file=sys.stderr)
    print(f"==> warmed {len(done)} charts in {time.monotonic() - t0:.1f}s ({failures} failed)")
    return 1 if failures else 0
