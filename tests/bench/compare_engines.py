#!/usr/bin/env python3
"""Compares two or more builds of kq_engine_bench over many photos and
seeds: per k, the mean relative inertia against the first engine, how often
it ends higher, and the summed fit time. For tuning the engine; not a test.

  python3 tests/bench/compare_engines.py --ks 8,16,32,64 \\
      --engine build-old/tests/kq_engine_bench \\
      --engine build-bench/tests/kq_engine_bench PHOTO...

The photos used for the README's numbers: the 12 files of
mate-backgrounds' nature/ folder (tests/bench/run.sh fetches the package).
"""
import argparse
import math
import os
import statistics
import subprocess
import tempfile


def fit(engine, photo, k, seed, workdir):
    env = dict(os.environ, KQ_BENCH_SEED=str(seed))
    out = subprocess.run([engine, "fit", photo, str(k), str(k), "1",
                          os.path.join(workdir, "c")], env=env, check=True,
                         capture_output=True, text=True).stdout.split()
    row = dict(zip(out[::2], map(float, out[1::2])))
    return row["total"], row["inertia"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--engine", action="append", required=True)
    ap.add_argument("--ks", default="8,16,32,64")
    ap.add_argument("--seeds", default="1,2,3")
    ap.add_argument("photos", nargs="+")
    a = ap.parse_args()
    seeds = [int(s) for s in a.seeds.split(",")]
    with tempfile.TemporaryDirectory() as work:
        for k in (int(x) for x in a.ks.split(",")):
            res = {(e, p, s): fit(e, p, k, s, work) for e in a.engine
                   for p in a.photos for s in seeds}
            base = a.engine[0]
            for e in a.engine:
                rel = [math.log(res[(e, p, s)][1] / res[(base, p, s)][1])
                       for p in a.photos for s in seeds]
                secs = sum(res[(e, p, s)][0] for p in a.photos for s in seeds)
                print("k=%-3d %-40s mean inertia %+.3f%%  higher %2d/%d  "
                      "time %.2f s" % (k, e[-40:], 100 * statistics.mean(rel),
                                       sum(r > 1e-12 for r in rel), len(rel),
                                       secs))


if __name__ == "__main__":
    main()
