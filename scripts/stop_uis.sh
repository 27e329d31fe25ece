#!/usr/bin/env bash
# Stop what scripts/start_uis.sh started (whole process groups: dagster dev spawns the daemon and webserver).
set -uo pipefail
cd "$(dirname "$0")/.."
run_dir="${ZHISHU_DATA_DIR:-data}/run"
for name in dagster; do
  pid_file="$run_dir/$name.pid"
  [ -f "$pid_file" ] || continue
  pid=$(cat "$pid_file")
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  rm -f "$pid_file"
  echo "stopped $name"
done
