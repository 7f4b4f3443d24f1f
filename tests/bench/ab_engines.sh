#!/bin/bash
# ab_engines.sh - compares kq_engine_bench builds side by side, for a
# machine whose speed drifts between runs minutes apart: the builds run in
# turn, ROUNDS times, each fitting K to IMAGE RUNS times in one process.
# Not a test: it prints numbers and asserts nothing.
#
#   bash tests/bench/ab_engines.sh ROUNDS RUNS K IMAGE THREADS BENCH...
#
# BENCH: kq_engine_bench binaries (for an older commit: `git worktree add`
# it, build it with cmake, pass its build/tests/kq_engine_bench). Prints,
# per binary, the minimum and the median over all fits of the k-means part
# (seeding, iterations, refinement, per-pixel labels: kquant's fit without
# the histogram) and of the whole fit, in seconds. THREADS 0: all cores.
set -euo pipefail
if [ $# -lt 6 ]; then
  sed -n '2,14p' "$0" >&2
  exit 64
fi
rounds=$1 runs=$2 k=$3 image=$4 threads=$5
shift 5
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for _ in $(seq "$rounds"); do
  for bench in "$@"; do
    "$bench" fit "$image" "$k" "$k" "$runs" "$work/centres_" auto simd \
      "$threads" | awk -v b="$bench" '{print b, $6 + $8, $2}'
  done
done | awk '
  { part[$1] = part[$1] " " $2; whole[$1] = whole[$1] " " $3; n[$1]++
    if (!($1 in seen)) { seen[$1] = 1; order[++m] = $1 } }
  function stats(list, count,   v, i, j, t) {
    split(substr(list, 2), v, " ")
    for (i = 1; i <= count; i++)        # insertion sort, count is small
      for (j = i; j > 1 && v[j - 1] + 0 > v[j] + 0; j--) {
        t = v[j]; v[j] = v[j - 1]; v[j - 1] = t
      }
    return sprintf("min %.5f median %.5f", v[1],
                   count % 2 ? v[(count + 1) / 2] : (v[count / 2] + v[count / 2 + 1]) / 2)
  }
  END {
    for (i = 1; i <= m; i++) {
      b = order[i]
      printf "%s (%d fits): part %s | whole fit %s\n", b, n[b],
             stats(part[b], n[b]), stats(whole[b], n[b])
    }
  }'
