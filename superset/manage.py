"""Zhishu Superset management: run with the Superset venv, e.g. `.venv-superset/bin/python superset/manage.py init`.

  init                        metadata DB migrations, Superset permissions, admin user (random password
                              printed once, kept in $ZHISHU_DATA_DIR/superset/admin_credentials.json), roles
  import [--manifest M] [--bundle-out F]
                              import superset/assets/ (warehouse URI from the environment), idempotent;
                              with --manifest, datasets follow the live dbt manifest (new columns appear)
  start / stop / status       gunicorn in the background on $SUPERSET_PORT (default 8088), waits for /health
  provision-partner --partner-id N [--username U] [--json]
                              a partner user who sees only partner N's rows; prints the password once
  add-user --username U --role analyst|viewer [--json]
                              an internal user with a random password, printed once
  warm-cache                  re-run every dashboard chart's query (after a pipeline build)
  bundle --out F              only write the import zip
  pg-readonly-role            create/refresh the read-only PostgreSQL role Superset uses (ZHISHU_WAREHOUSE=postgres)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from zhishu_bi import bundle, server, settings  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="manage.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("init")
    p_import = sub.add_parser("import")
    p_import.add_argument("--bundle-out", type=Path, help="also write the import zip here")
    p_import.add_argument("--manifest", type=Path,
                          help="render datasets/charts/dashboards from this dbt manifest instead of the committed files")
    p_import.add_argument("--no-prune", action="store_true", help="keep managed objects that left the code")
    p_start = sub.add_parser("start")
    p_start.add_argument("--port", type=int, default=settings.port())
    p_start.add_argument("--bind", default=settings.env("SUPERSET_BIND", "0.0.0.0"))
    p_start.add_argument("--workers", type=int, default=int(settings.env("SUPERSET_WORKERS", "2")))
    p_start.add_argument("--threads", type=int, default=int(settings.env("SUPERSET_THREADS", "4")))
    p_start.add_argument("--wait", type=float, default=120.0, help="seconds to wait for /health")
    sub.add_parser("stop")
    sub.add_parser("status")
    p_partner = sub.add_parser("provision-partner")
    p_partner.add_argument("--partner-id", type=int, required=True)
    p_partner.add_argument("--username")
    p_partner.add_argument("--json", action="store_true", help="print the credentials as one JSON object")
    sub.add_parser("warm-cache")
    p_user = sub.add_parser("add-user")
    p_user.add_argument("--username", required=True)
    p_user.add_argument("--role", required=True, choices=["analyst", "viewer"])
    p_user.add_argument("--json", action="store_true")
    p_bundle = sub.add_parser("bundle")
    p_bundle.add_argument("--out", type=Path, required=True)
    sub.add_parser("pg-readonly-role")
    args = parser.parse_args(argv)

    if args.command == "start":
        return server.start(args.port, args.bind, args.workers, args.threads, args.wait)
    if args.command == "stop":
        return server.stop()
    if args.command == "status":
        pid = server.running_pid()
        ok = pid is not None and server.healthy(settings.port())
        print(f"Superset {'running' if pid else 'not running'}{f' (pid {pid})' if pid else ''}, "
              f"/health on :{settings.port()} {'OK' if ok else 'not answering'}")
        return 0 if ok else 1
    if args.command == "bundle":
        bundle.write_zip(bundle.bundle_contents(bundle.asset_texts()), args.out)
        print(f"wrote {args.out}")
        return 0
    if args.command == "pg-readonly-role":
        from zhishu_bi import pg_role

        return pg_role.ensure_readonly_role()

    from zhishu_bi import superset_ops  # imports Superset: only for the commands that need it

    if args.command == "init":
        superset_ops.init()
    elif args.command == "import":
        superset_ops.import_assets(manifest_path=args.manifest, bundle_out=args.bundle_out, prune=not args.no_prune)
    elif args.command == "provision-partner":
        superset_ops.provision_partner(args.partner_id, args.username, args.json)
    elif args.command == "add-user":
        superset_ops.add_user(args.username, args.role, args.json)
    elif args.command == "warm-cache":
        return superset_ops.warm_cache()
    return 0


if __name__ == "__main__":
    sys.exit(main())
