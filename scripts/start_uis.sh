#!/usr/bin/env bash
# Start the Dagster UI (webserver + daemon via `dagster dev`) and Superset in the background, wait until
# both answer, print their URLs. Logs and pid files go to $ZHISHU_DATA_DIR/run/.
set -euo pipefail
cd "$(dirname "$0")/.."
run_dir="$ZHISHU_DATA_DIR/run"
mkdir -p "$run_dir"
dagster_port="${DAGSTER_PORT:-3000}"

wait_for() {  # url, name, seconds
  local url=$1 name=$2 seconds=$3
  for _ in $(seq "$seconds"); do
    if curl -fsS -o /dev/null "$url"; then echo "==> $name is up"; return 0; fi
    sleep 1
  done
  echo "$name did not answer at $url within ${seconds}s; see $run_dir" >&2
  return 1
}

if [ -f "$run_dir/dagster.pid" ] && kill -0 "$(cat "$run_dir/dagster.pid")" 2>/dev/null; then
  echo "==> Dagster already running (pid $(cat "$run_dir/dagster.pid"))"
else
  echo "==> starting Dagster on :$dagster_port"
  nohup setsid .venv/bin/dagster dev -m orchestration.definitions -h 0.0.0.0 -p "$dagster_port" \
    >"$run_dir/dagster.log" 2>&1 &
  echo $! >"$run_dir/dagster.pid"
fi
wait_for "http://127.0.0.1:$dagster_port/server_info" "Dagster UI" 180

echo
echo "Dagster UI:  http://localhost:$dagster_port"
echo "Superset:    http://localhost:${SUPERSET_PORT:-8088}  (admin password: printed by the first init, kept in $ZHISHU_DATA_DIR/superset/admin_credentials.json)"
