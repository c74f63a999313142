#!/usr/bin/env bash
# Prove that the browser tests do not flake: run them N times in a row (default 20) with
# two CPU-burning processes beside them, then print the pass/fail counts and the wall time.
#
#   tests/stress_browser.sh [N] [extra pytest arguments, e.g. -k jupyterlab]
#
# Not part of `make test` (it takes N times as long). Each run's output goes to
# $STRESS_DIR/run-K.log (default tests/artifacts/stress/), its screenshots and failure logs
# to $STRESS_DIR/run-K/. Exit status 0 only if every run passed. The burners are this
# script's own children and are stopped by their process ids when it ends.
set -u
PYTEST='import signal, sys, pytest
signal.signal(signal.SIGINT, signal.default_int_handler)
sys.exit(pytest.main(sys.argv[1:]))'
cd "$(dirname "$0")/.."
N=${1:-20}
[ $# -gt 0 ] && shift
PYTHON=${PYTHON:-.venv/bin/python}
STRESS_DIR=${STRESS_DIR:-tests/artifacts/stress}
mkdir -p "$STRESS_DIR"

burners=()
for _ in 1 2; do
    yes > /dev/null &
    burners+=("$!")
done
stop_burners() {
    kill "${burners[@]}" 2> /dev/null
    wait "${burners[@]}" 2> /dev/null
}
child=""
trap stop_burners EXIT
# Ctrl-C or kill: interrupt the running pytest (it tears its servers down), then stop.
trap '[ -n "$child" ] && kill -INT "$child" 2> /dev/null && wait "$child"; exit 130' INT TERM

echo "stress: $N runs of tests/test_browser.py $*; burners ${burners[*]}; $(nproc) CPUs;" \
     "load $(cut -d' ' -f1-3 /proc/loadavg)"
passed=0
failed=0
start=$(date +%s)
for i in $(seq 1 "$N"); do
    t0=$(date +%s)
    log="$STRESS_DIR/run-$i.log"
    # SIGINT is ignored in background jobs of a non-interactive shell: restore Python's
    # handler so that an interrupt reaches pytest (which then tears its servers down).
    ARTIFACTS_DIR="$STRESS_DIR/run-$i" "$PYTHON" -c "$PYTEST" tests/test_browser.py -q "$@" \
        > "$log" 2>&1 &
    child=$!
    wait "$child"
    status=$?
    child=""
    if [ "$status" -eq 0 ]; then
        passed=$((passed + 1))
        verdict=pass
    else
        failed=$((failed + 1))
        verdict=FAIL
    fi
    echo "run $i/$N: $verdict in $(($(date +%s) - t0)) s ($(tail -n 1 "$log"));" \
         "load $(cut -d' ' -f1-3 /proc/loadavg)"
done
wall=$(($(date +%s) - start))
echo "stress result: $passed passed, $failed failed of $N runs, with 2 CPU burners;" \
     "wall time $wall s ($((wall / 60)) min $((wall % 60)) s)"
[ "$failed" -eq 0 ]
