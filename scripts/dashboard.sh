#!/usr/bin/env bash
# Draws docs/dashboard.svg: the Grafana dashboard deploy/grafana/vb365-restore-worker.json with its
# own queries evaluated by a real Prometheus over a real run of the worker. Grafana itself does not
# run here; scripts/dashboard draws the panels from the dashboard JSON and Prometheus's answers.
#
# It starts the dev stack (Temporal, the VB365 simulator, the worker) on free ports in a temporary
# directory, and a pinned Prometheus server scraping the worker's /metrics every 5 s; starts several
# restores, throttles a few polls (429 with Retry-After), appends events to open sessions, turns the
# change feed off for a minute and stops some restores, so that every VB365 panel has something to show; then queries Prometheus over the
# run and writes the SVG. Everything it started is stopped on the way out.
#
# Prometheus is pinned and installed by this script into the project's cache (a few minutes the
# first time). The run takes about DASHBOARD_MINUTES of the worker's time plus the builds:
#   scripts/dashboard.sh
#
# Settings (environment):
#   DASHBOARD_MINUTES  how long the worker works while Prometheus scrapes (default 6; the
#                      dashboard's 5-minute rates need at least 5)
#   DASHBOARD_OUT      the SVG to write (default docs/dashboard.svg)
set -euo pipefail
cd "$(dirname "$0")/.."

prometheus_version=v0.316.0
minutes="${DASHBOARD_MINUTES:-6}"
out="${DASHBOARD_OUT:-docs/dashboard.svg}"

bindir="${XDG_CACHE_HOME:-$HOME/.cache}/vb365-restore/prometheus-$prometheus_version"
# remove_all_sd leaves out the service discovery of clouds and Kubernetes (a static target is all
# this needs), which is most of the build.
if [ ! -x "$bindir/prometheus" ]; then
  echo "== installing Prometheus $prometheus_version into $bindir (a few minutes)"
  GOBIN="$bindir" nice -n 19 go install -tags remove_all_sd "github.com/prometheus/prometheus/cmd/prometheus@$prometheus_version"
fi

work="$(mktemp -d)"
pids=()
# Stops what this script started, the last started first (the dev stack stops its own children
# on SIGINT), then removes the temporary directory.
cleanup() {
  local i
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill -INT "${pids[i]}" 2>/dev/null || true
    wait "${pids[i]}" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

# free_port prints a TCP port of 127.0.0.1 nobody listens on, not one already handed out.
taken=" "
free_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 20000))
    case "$taken" in *" $p "*) continue ;; esac
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      taken="$taken$p "
      echo "$p"
      return
    fi
  done
}
temporal_port="$(free_port)"
ui_port="$(free_port)"
sim_port="$(free_port)"
metrics_port="$(free_port)"
codec_port="$(free_port)"
prometheus_port="$(free_port)"

# wait_for URL SECONDS WHAT: until URL answers 2xx.
wait_for() {
  local deadline=$((SECONDS + $2))
  until curl -fsS -o /dev/null "$1" 2>/dev/null; do
    if ((SECONDS > deadline)); then
      echo "$3 not ready after $2 s; logs in $work" >&2
      tail -n 30 "$work"/*.log >&2 || true
      exit 1
    fi
    sleep 2
  done
}

echo "== building the dev stack and the starter"
nice -n 19 go build -o "$work/devstack" ./devstack
nice -n 19 go build -o "$work/starter" ./starter

echo "== dev stack in $work (Temporal $temporal_port, simulator $sim_port, worker metrics $metrics_port)"
nice -n 19 "$work/devstack" --state-dir "$work/state" --temporal-port "$temporal_port" --ui-port "$ui_port" \
  --sim-port "$sim_port" --metrics-port "$metrics_port" --codec-port "$codec_port" >"$work/devstack.log" 2>&1 &
pids+=($!)
wait_for "http://127.0.0.1:$metrics_port/readyz" 900 "the worker"

cat >"$work/prometheus.yml" <<EOF
global:
  scrape_interval: 5s
  evaluation_interval: 5s
scrape_configs:
  - job_name: vb365-restore-worker
    static_configs:
      - targets: ["127.0.0.1:$metrics_port"]
EOF
echo "== Prometheus on 127.0.0.1:$prometheus_port scraping the worker every 5 s"
nice -n 19 "$bindir/prometheus" --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/tsdb" \
  --web.listen-address="127.0.0.1:$prometheus_port" >"$work/prometheus.log" 2>&1 &
pids+=($!)
wait_for "http://127.0.0.1:$prometheus_port/-/ready" 120 "Prometheus"
from="$(date -u +%Y-%m-%dT%H:%M:%SZ)"

org=3c424478-0811-4920-8aab-01f0bf2a2822 # the simulator's seed organization
sim="https://127.0.0.1:$sim_port"
simctl() { curl -fsS --cacert "$work/state/sim-ca.pem" "$@"; }
starter() {
  PAYLOAD_KEYS_FILE="$work/state/payload-keys.json" TEMPORAL_ADDRESS="127.0.0.1:$temporal_port" \
    TEMPORAL_UI_URL="http://localhost:$ui_port" nice -n 19 "$work/starter" "$@" 2>&1 | sed 's/^/    /'
}
# append_events N: N events to every open session of the simulator.
append_events() {
  local id
  for id in $(simctl "$sim/_sim/sessions" | jq -r '.[] | select(.state == "Working") | .id'); do
    simctl "$sim/_sim/sessions/$id/events" -d "{\"type\":\"Restore\",\"status\":\"Success\",\"message\":\"dashboard run\",\"itemName\":\"item\",\"count\":$1}"
  done
}
elapsed() { echo "$(($(date +%s) - $(date -d "$from" +%s)))s"; }

echo "== $minutes minutes of work from $from"
types=(vex vesp veod vet vex vesp)
for i in "${!types[@]}"; do
  starter restore --org "$org" --type "${types[i]}" --id "dashboard-$i-${types[i]}"
  echo "  $(elapsed) started restore dashboard-$i-${types[i]}"
  sleep 10
done
sleep 20
simctl "$sim/_sim/faults" -d "{\"path\":\"/v8/RestoreSessions/*/Events\",\"status\":429,\"retryAfterSeconds\":3,\"count\":3}"
echo "  $(elapsed) armed three 429s (Retry-After 3 s) on session events"
sleep 30
append_events 25
echo "  $(elapsed) appended 25 events to every open session"
sleep 30
simctl -X PUT "$sim/_sim/behaviour" -d '{"changeFeedOff":true}' >/dev/null
echo "  $(elapsed) turned the change feed off"
sleep 30
append_events 10
echo "  $(elapsed) appended 10 more"
sleep 30
simctl -X PUT "$sim/_sim/behaviour" -d '{"changeFeedOff":false}' >/dev/null
echo "  $(elapsed) turned the change feed on again"
sleep 10
for i in 0 1; do
  starter stop "dashboard-$i-${types[i]}"
  echo "  $(elapsed) stopped restore dashboard-$i-${types[i]}"
done
end=$(($(date -d "$from" +%s) + minutes * 60))
while (($(date +%s) < end)); do sleep 5; done
sleep 6 # one more scrape
to="$(date -u +%Y-%m-%dT%H:%M:%SZ)"

echo "== drawing $out from $from to $to"
nice -n 19 go run ./scripts/dashboard -prometheus "http://127.0.0.1:$prometheus_port" -from "$from" -to "$to" -out "$out" \
  -about "Prometheus built from its Go module $prometheus_version, scraping every 5 s. Dev stack (simulated VB365 v8): the demo restore and 6 more, three 429s, events appended, the change feed off for a minute, 2 restores stopped."
