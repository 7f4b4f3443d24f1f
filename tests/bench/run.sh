#!/usr/bin/env bash
# kquant's k-means benchmark against scikit-learn, OpenCV and faiss (each
# only when installed). Not part of the test suite: it prints a table.
#
#   bash tests/bench/run.sh [BUILD_DIR]
#
# Builds kquant (Release) in BUILD_DIR (default build-bench), fetches the
# Debian package mate-backgrounds with `apt-get download` for its photos
# (nature/RainDrops.jpg, 1920x1200; abstract/Elephants_5640x3172.jpg,
# 17.9 MP, re-encoded by ImageMagick at 4620x2600 = 12.0 MP, JPEG quality
# 95, to keep the peers' runs within the time; the original as shipped,
# a progressive JPEG, is one more case for kquant alone), and runs
# tests/bench/bench.py with /usr/bin/python3.
# Environment: RUNS (default 5), BIG_RUNS (3), PEER_PHOTO_RUNS (2, the
# peers' runs at 1920x1200), PEER_BIG_RUNS (1),
# PEER_TIMEOUT (seconds, 1800), ONLY (case name substrings, comma separated), PEERS
# (default sklearn,opencv,faiss; PEERS=none times kquant alone).
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$src/build-bench}
cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j2 --target kquant kq_engine_bench >/dev/null

data=$build/bench-data
mkdir -p "$data"
bg=$data/mate/usr/share/backgrounds/mate
if [ ! -f "$bg/abstract/Elephants_5640x3172.jpg" ]; then
  (cd "$data" && apt-get download mate-backgrounds >/dev/null &&
    dpkg-deb -x mate-backgrounds_*.deb mate)
fi
photo=$bg/nature/RainDrops.jpg
big=$data/elephants_4620x2600.jpg
[ -f "$big" ] || convert "$bg/abstract/Elephants_5640x3172.jpg" -resize '4620x2600!' -quality 95 "$big"
tutorial=$data/coffee_240x320.png
[ -f "$tutorial" ] || convert "$src/images_input/coffee.png" -resize '240x320!' "$tutorial"
[ "$(identify -format '%wx%h' "$photo")" = 1920x1200 ] ||
  convert "$photo" -resize '1920x1200!' "$data/photo_1920x1200.png"
[ -f "$data/photo_1920x1200.png" ] && photo=$data/photo_1920x1200.png

echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; load: $(cut -d' ' -f1-3 /proc/loadavg)"
# OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE slow a current numpy down: unset
# for this command only (see the environment notes), and say which kernel
# numpy then runs.
py() { env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 "$@"; }
py -c 'import threadpoolctl, numpy; print("numpy BLAS:", [(i.get("internal_api"), i.get("architecture"), i.get("num_threads")) for i in threadpoolctl.threadpool_info()])' 2>/dev/null || true
work=$(mktemp -d "${TMPDIR:-/tmp}/kq_bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
py "$src/tests/bench/bench.py" --kquant "$build/kquant" \
  --engine "$build/tests/kq_engine_bench" --tutorial "$tutorial" \
  --photo "$photo" --big "$big" --workdir "$work" \
  --shipped "$bg/abstract/Elephants_5640x3172.jpg" \
  --runs "${RUNS:-5}" --big-runs "${BIG_RUNS:-3}" \
  --peer-big-runs "${PEER_BIG_RUNS:-1}" --peer-photo-runs "${PEER_PHOTO_RUNS:-2}" \
  --peer-timeout "${PEER_TIMEOUT:-1800}" \
  --only "${ONLY:-}" --peers "${PEERS:-sklearn,opencv,faiss}"
