#!/usr/bin/env bash
# End-to-end tests of the kquant binary. One case per ctest entry:
#   cli_tests.sh CASE KQUANT KQ_INSPECT SOURCE_DIR
# Every case runs in a fresh temporary folder and fails loudly on the first
# unmet expectation.
set -uo pipefail

case_name=$1
KQ=$2
INSPECT=$3
SRC=$4
PHOTO=$SRC/images_input/coffee.png

work=$(mktemp -d "${TMPDIR:-/tmp}/kq_cli.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1

die() { echo "FAIL [$case_name]: $*" >&2; exit 1; }

# run CMD...: runs kquant, keeping stdout, stderr and the exit code.
run() {
  "$KQ" "$@" >"$work/.stdout" 2>"$work/.stderr"
  status=$?
}

listing() { find "$work" -mindepth 1 -not -name '.std*' | sort; }

# expect_error CODE REGEX ARGS...: kquant must fail with exit code CODE,
# print exactly one line matching REGEX on stderr (starting "kquant: "),
# print nothing on stdout and create no file.
expect_error() {
  local code=$1 pattern=$2
  shift 2
  local before
  before=$(listing)
  run "$@"
  [ "$status" -eq "$code" ] || die "exit $status, expected $code for: $*
stderr: $(cat .stderr)"
  [ "$(wc -l <.stderr)" -eq 1 ] || die "expected one stderr line, got:
$(cat .stderr)"
  grep -Eq "^kquant: .*$pattern" .stderr || die "stderr '$(cat .stderr)' does not match '$pattern'"
  [ ! -s .stdout ] || die "unexpected stdout: $(cat .stdout)"
  [ "$before" = "$(listing)" ] || die "files changed:
$(diff <(echo "$before") <(listing))"
}

expect_ok() {
  run "$@"
  [ "$status" -eq 0 ] || die "exit $status for: $*
stderr: $(cat .stderr)"
}

csv_rows() { tail -n +2 "$1" | wc -l; }
csv_pixel_sum() { tail -n +2 "$1" | awk -F, '{s += $6} END {print s}'; }

# ---- the main job -------------------------------------------------------

case_coffee_k3() {
  expect_ok -k 3 "$PHOTO" c3.png
  [ "$("$INSPECT" size c3.png)" = "240 320" ] || die "size is $("$INSPECT" size c3.png)"
  local colours
  colours=$("$INSPECT" colours c3.png)
  [ "$colours" -le 3 ] && [ "$colours" -ge 1 ] || die "$colours colours"
  [ "$(csv_rows c3.csv)" -eq 3 ] || die "c3.csv has $(csv_rows c3.csv) rows"
  [ "$(csv_pixel_sum c3.csv)" -eq 76800 ] || die "pixel counts add to $(csv_pixel_sum c3.csv)"
  "$INSPECT" recolor c3.png c3.csv || die "pixels are not their rounded centroids"
  grep -q "N=76800" .stdout || die "summary lacks N: $(cat .stdout)"
  grep -q "k=3" .stdout || die "summary lacks k"
  grep -q "inertia" .stdout || die "summary lacks inertia"
}

case_default_output() {
  expect_ok -k 4 "$PHOTO"
  [ -f output/image_output_k4.png ] || die "no output/image_output_k4.png"
  [ -f output/image_output_k4.csv ] || die "no output/image_output_k4.csv"
  "$INSPECT" recolor output/image_output_k4.png output/image_output_k4.csv || die "bad recolour"
}

case_deterministic() {
  expect_ok -k 5 --n-init 2 "$PHOTO" a.png
  expect_ok -k 5 --n-init 2 "$PHOTO" b.png
  cmp -s a.png b.png || die "images differ between runs"
  cmp -s a.csv b.csv || die "tables differ between runs"
  expect_ok -k 5 --n-init 2 --seed 7 "$PHOTO" c.png
  cmp -s a.csv c.csv && die "another seed gave the very same table"
  return 0
}

case_output_formats() {
  for ext in png jpg jpeg bmp tga PNG; do
    expect_ok -q -k 2 "$PHOTO" "out.$ext"
    [ "$("$INSPECT" size "out.$ext")" = "240 320" ] || die "out.$ext has a wrong size"
  done
  "$INSPECT" same out.png out.bmp || die "png and bmp differ"
  "$INSPECT" same out.png out.tga || die "png and tga differ"
}

case_sizes() {
  expect_ok -q -k 2 --size native "$PHOTO" native.png
  [ "$("$INSPECT" size native.png)" = "600 400" ] || die "native is $("$INSPECT" size native.png)"
  expect_ok -q -k 2 --size 50x40 "$PHOTO" small.png
  [ "$("$INSPECT" size small.png)" = "50 40" ] || die "50x40 is $("$INSPECT" size small.png)"
  [ "$(csv_pixel_sum small.csv)" -eq 2000 ] || die "50x40 counts add to $(csv_pixel_sum small.csv)"
}

case_json() {
  expect_ok -k 3 --json "$PHOTO" j.png
  [ "$(wc -l <.stdout)" -eq 1 ] || die "json is not one line"
  grep -q '^{"input":.*"n":76800,"k":3,.*"n_iter":[0-9]*,"inertia":[0-9.e+]*,.*"clusters":\[{"cluster":0,' .stdout || die "json: $(cat .stdout)"
  [ "$(grep -o '"hex":"#[0-9A-F]\{6\}"' .stdout | wc -l)" -eq 3 ] || die "json lacks 3 hex colours"
}

case_quiet() {
  expect_ok -q -k 3 "$PHOTO" q.png
  [ ! -s .stdout ] && [ ! -s .stderr ] || die "-q printed something"
  [ -f q.png ] || die "-q wrote no image"
}

case_centroids_stdout() {
  expect_ok -k 3 --centroids - "$PHOTO" s.png
  [ "$(head -1 .stdout)" = "cluster,r,g,b,hex,pixels,share" ] || die "stdout: $(cat .stdout)"
  [ "$(tail -n +2 .stdout | wc -l)" -eq 3 ] || die "stdout has not 3 rows"
  [ ! -e s.csv ] || die "a csv file was written too"
}

case_centroids_file() {
  expect_ok -q -k 3 --centroids table.csv "$PHOTO" t.png
  [ -f table.csv ] && [ ! -e t.csv ] || die "table not where asked"
}

case_sweep() {
  expect_ok -q -k 2..4 "$PHOTO" sw.png
  for k in 2 3 4; do
    [ -f "sw_k$k.png" ] && [ -f "sw_k$k.csv" ] || die "missing sweep outputs for k=$k"
    [ "$(csv_rows "sw_k$k.csv")" -eq "$k" ] || die "sw_k$k.csv rows"
  done
}

case_help_version() {
  expect_ok --help
  grep -q -- "--clusters" .stdout && grep -q "Exit codes" .stdout || die "help incomplete"
  expect_ok --version
  grep -Eq '^kquant [0-9]+\.[0-9]+\.[0-9]+$' .stdout || die "version: $(cat .stdout)"
}

case_input_formats() {
  # Grey PGM and colour PPM written by hand; the other formats by kquant.
  printf 'P5\n2 2\n255\n\000\100\200\377' >grey.pgm
  expect_ok -q -k 2 --size native grey.pgm g.png
  [ "$("$INSPECT" size g.png)" = "2 2" ] || die "pgm size"
  printf 'P6\n2 1\n255\n\377\000\000\000\000\377' >rb.ppm
  expect_ok -q -k 2 --size native rb.ppm rb.png
  grep -q '#FF0000' rb.csv && grep -q '#0000FF' rb.csv || die "ppm colours: $(cat rb.csv)"
  expect_ok -q -k 3 "$PHOTO" src.bmp
  for ext in jpg tga bmp; do
    expect_ok -q -k 3 "$PHOTO" "src.$ext"
    expect_ok -q -k 3 "src.$ext" "back_$ext.png"
    [ "$("$INSPECT" size "back_$ext.png")" = "240 320" ] || die "$ext input"
  done
}

# ---- bad input ----------------------------------------------------------

case_missing_input() {
  expect_error 66 "nope.png: No such file or directory" nope.png out.png
}

case_directory_input() {
  mkdir adir
  expect_error 66 "adir: Is a directory" adir out.png
}

case_empty_input() {
  : >empty.png
  expect_error 65 "empty.png: empty file" empty.png out.png
}

case_truncated_input() {
  head -c 1000 "$PHOTO" >trunc.png
  expect_error 65 "trunc.png: corrupt or truncated image" trunc.png out.png
}

case_text_input() {
  echo "this is not an image" >text.png
  expect_error 65 "text.png: not a supported image" text.png out.png
}

case_bad_output_extension() {
  expect_error 64 "out.gif: unsupported output format" "$PHOTO" out.gif
  expect_error 64 "out: unsupported output format" "$PHOTO" out
}

case_unwritable_output() {
  echo file >plainfile
  expect_error 73 "plainfile/out.png: Not a directory" -k 2 "$PHOTO" plainfile/out.png
  expect_error 73 "missing/out.png: No such file or directory" -k 2 "$PHOTO" missing/out.png
}

case_existing_output_kept() {
  printf 'precious' >keep.png
  head -c 1000 "$PHOTO" >trunc.png
  expect_error 65 "corrupt or truncated" trunc.png keep.png
  [ "$(cat keep.png)" = "precious" ] || die "existing output was damaged"
}

case_bad_k() {
  expect_error 64 "-k: invalid value '0'" -k 0 "$PHOTO" o.png
  expect_error 64 "-k: invalid value '3x'" -k 3x "$PHOTO" o.png
  expect_error 64 "-k: invalid value '-3'" -k -3 "$PHOTO" o.png
  expect_error 64 "-k: invalid value '99999999999'" -k 99999999999 "$PHOTO" o.png
  expect_error 64 "--clusters: invalid value '5..2'" --clusters 5..2 "$PHOTO" o.png
}

case_k_above_pixels() {
  expect_error 65 "k=20 is more than the 16 pixels" -k 20 --size 4x4 "$PHOTO" o.png
}

case_bad_numbers() {
  expect_error 64 "--size: invalid value '0x5'" --size 0x5 "$PHOTO" o.png
  expect_error 64 "--size: invalid value '100000x100000'" --size 100000x100000 "$PHOTO" o.png
  expect_error 64 "--seed: invalid value '-1'" --seed -1 "$PHOTO" o.png
  expect_error 64 "--seed: invalid value '18446744073709551616'" --seed 18446744073709551616 "$PHOTO" o.png
  expect_error 64 "--tol: invalid value 'nan'" --tol nan "$PHOTO" o.png
  expect_error 64 "--max-iter: invalid value '0'" --max-iter 0 "$PHOTO" o.png
  expect_error 64 "--n-init: invalid value ''" --n-init "" "$PHOTO" o.png
}

case_bad_usage() {
  expect_error 64 "unknown option '--bogus'" --bogus "$PHOTO" o.png
  expect_error 64 "no input image given" -k 3
  expect_error 64 "too many arguments" "$PHOTO" a.png b.png
  expect_error 64 "option '-k' needs a value" "$PHOTO" -k
}

# ---- scikit-learn mode (--sklearn) --------------------------------------
# Expected values come from tests/data/sklearn_fixtures.json, made with
# Debian's scikit-learn 1.2.1 (tests/fixtures/gen_sklearn_fixtures.py).

SK_FIXTURES=$SRC/tests/data/sklearn_fixtures.json
SK_COFFEE=$SRC/tests/data/coffee_240x320.png

# sk_row K N_INIT: the fixture line for coffee at k=K, n_init=N_INIT.
sk_row() { grep "\"image\": \"coffee_240x320.png\", \"k\": $1, \"n_init\": $2," "$SK_FIXTURES"; }
sk_field() { sk_row "$1" "$2" | sed -E "s/.*\"$3\": ([^,]*),.*/\1/"; }
# sk_g17 NUMBER: the number as C's %.17g prints the double it denotes.
sk_g17() { awk -v v="$1" 'BEGIN { printf "%.17g", v + 0 }'; }

case_sklearn_coffee_k3() {
  expect_ok --sklearn --size native -k 3 "$SK_COFFEE" c.png
  local want got
  want=$(sk_row 3 1 | sed -E 's/.*"centers": \[\[([^]]*)\].*/\1/' | tr -d ' ' |
         tr ',' '\n' | while read -r v; do sk_g17 "$v"; echo; done | paste -sd,)
  got=$(sed -n 2p c.csv | cut -d, -f2-4)
  [ -n "$want" ] && [ "$got" = "$want" ] || die "first centroid '$got', want '$want'"
  grep -q "n_iter_=$(sk_field 3 1 n_iter), inertia_=$(sk_g17 "$(sk_field 3 1 inertia)")\$" .stdout ||
    die "summary: $(cat .stdout)"
  # The tutorial's size is the default: a 240x320 input is used as it is.
  expect_ok -q --sklearn -k 3 "$SK_COFFEE" d.png
  cmp -s c.csv d.csv || die "default size changed the sklearn result"
}

case_sklearn_sweep_json() {
  expect_ok --sklearn --json --n-init 10 -k 2..4 "$SK_COFFEE" s.png
  [ "$(wc -l <.stdout)" -eq 3 ] || die "json: $(cat .stdout)"
  for k in 2 3 4; do
    local want="\"k\":$k,\"seed\":42,\"n_iter\":$(sk_field "$k" 10 n_iter),\"inertia\":$(sk_g17 "$(sk_field "$k" 10 inertia)"),"
    grep -qF "$want" .stdout || die "k=$k: no '$want' in $(cat .stdout)"
    [ "$(csv_rows "s_k$k.csv")" -eq "$k" ] || die "s_k$k.csv rows"
  done
  [ "$(grep -c '"sklearn":true' .stdout)" -eq 3 ] || die "json lacks sklearn:true"
  expect_ok --json -k 2 "$SK_COFFEE" plain.png
  grep -q '"sklearn":false' .stdout || die "plain run: $(cat .stdout)"
}

fn="case_$case_name"
declare -F "$fn" >/dev/null || die "no such case"
"$fn"
echo "ok [$case_name]"
