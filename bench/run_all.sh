#!/usr/bin/env bash
# Every measurement of BENCHMARKS.md, in order, each output beside the load average.
#   bench/run_all.sh [OUTDIR]        (default /tmp/bench-results; about 14 minutes)
# Needs: the venv active (pip install -e . pyinstrument py-spy), wrk (apt-get install -y wrk),
# Prism (npm install --prefix /tmp/prism @stoplight/prism-cli). Not run in CI.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-/tmp/bench-results}
mkdir -p "$out"
step() {  # step NAME COMMAND...: run one measurement, bounded to 15 minutes
    local name=$1; shift
    { echo "## $name"; echo "\$ $*"; echo "start: $(date -Is) $(uptime)"; } | tee "$out/$name.txt"
    timeout 900 "$@" 2>&1 | tee -a "$out/$name.txt"
    echo "end: $(date -Is) $(uptime)" | tee -a "$out/$name.txt"
}
{ nproc; grep -m1 'model name' /proc/cpuinfo; python -V; date -Is; uname -r; } > "$out/machine.txt"
step goals python bench/goals.py --repeat 3
step budget_detection python bench/budget_detection.py --sessions 2000
step verify_splice python bench/verify_splice.py --sessions 57 10000 --canonical
step run_cost python bench/run_cost.py --sessions 57 10000 --repeat 5 --cache both
step scale_run python bench/scale_run.py --small 1000 --large 1000000 --repeat 3
step load_c10 python bench/load.py --targets reference,uvicorn-1w,uvicorn-2w,prism --connections 10 --duration 15
step load_c100_60s python bench/load.py --targets reference --connections 100 --duration 60 --show-wrk
step profile_server python bench/profile_server.py --duration 10
step reference_scale python bench/reference_scale.py --sizes 1000,1000000,100000,1000,1000000 --requests 300
step page_latency python bench/page_latency.py --sizes 1000,100000,1000000 --requests 500
step client_overhead python bench/client_overhead.py --requests 400 --rounds 5
step profile_run python bench/profile_run.py --sessions 57
step diagnosis_cost python bench/diagnosis_cost.py --repeat 3
step build_time python bench/build_time.py --sessions 1000 100000 1000000
step judging_cost python bench/judging_cost.py --pages 16
