#!/usr/bin/env bash
# Stop what scripts/start_uis.sh started: the whole process group (dagster dev spawns the daemon and
# webserver), politely first, then for good if it is still there after 15 s.
set -uo pipefail
cd "$(dirname "$0")/.."
run_dir="${ZHISHU_DATA_DIR:-data}/run"
for name in dagster; do
  pid_file="$run_dir/$name.pid"
  [ -f "$pid_file" ] || continue
  pid=$(cat "$pid_file")
  kill -INT -- "-$pid" 2>/dev/null || true
  for _ in $(seq 15); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
  kill -KILL -- "-$pid" 2>/dev/null || true
  rm -f "$pid_file"
  echo "stopped $name"
done
