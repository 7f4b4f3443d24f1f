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

# ---- perf: the default engine (issue 6) and fewer colours than k --------

case_threads_identical() {
  expect_ok -q -j 1 -k 16 --size native "$PHOTO" j1.png
  expect_ok -q -j 2 -k 16 --size native "$PHOTO" j2.png
  cmp -s j1.png j2.png || die "-j 1 and -j 2 images differ"
  cmp -s j1.csv j2.csv || die "-j 1 and -j 2 tables differ"
  expect_ok -q -j 1 -k 3 "$PHOTO" s1.png
  expect_ok -q -j 3 -k 3 "$PHOTO" s3.png
  cmp -s s1.png s3.png && cmp -s s1.csv s3.csv || die "-j 1 and -j 3 differ"
  expect_error 64 "-j: invalid value '-1'" -j -1 "$PHOTO" o.png
  expect_error 64 "--threads: invalid value 'x'" --threads x "$PHOTO" o.png
}

case_timings() {
  expect_ok -k 3 --timings "$PHOTO" t.png
  [ "$(wc -l <.stderr)" -eq 1 ] || die "expected one timings line: $(cat .stderr)"
  for stage in load resize histogram seeding iterations recolour write; do
    grep -Eq "^kquant: timings: k=3 .*$stage [0-9.]+ ms" .stderr || die "no $stage time: $(cat .stderr)"
  done
  expect_ok -k 3 "$PHOTO" t.png
  [ ! -s .stderr ] || die "timings without --timings: $(cat .stderr)"
}

# ppm_of COLOURS... writes a 4x3 PPM cycling through the given hex colours.
ppm_of() {
  local out=$1
  shift
  local colours=("$@") i hex
  printf 'P6\n4 3\n255\n' >"$out"
  for i in $(seq 0 11); do
    hex=${colours[$((i % ${#colours[@]}))]}
    printf "\\x${hex:0:2}\\x${hex:2:2}\\x${hex:4:2}" >>"$out"
  done
}

case_fewer_colours_than_k() {
  local set
  for set in "FF0000" "FF0000 0000FF" "FF0000 0000FF 10C808 000000 FFFFFF"; do
    read -ra cols <<<"$set"
    local u=${#cols[@]}
    ppm_of in.ppm "${cols[@]}"
    expect_ok -k 8 --size native in.ppm out.png
    [ "$(cat .stderr)" = "kquant: note: the image has only $u distinct colours; using k=$u" ] || die "stderr for $u colours: $(cat .stderr)"
    [ "$(csv_rows out.csv)" -eq "$u" ] || die "$u colours gave $(csv_rows out.csv) rows"
    [ "$(cut -d, -f5 out.csv | tail -n +2 | sort -u | wc -l)" -eq "$u" ] || die "duplicate centroids"
    "$INSPECT" same in.ppm out.png || die "$u colours: output differs from input"
    [ "$(csv_pixel_sum out.csv)" -eq 12 ] || die "counts add to $(csv_pixel_sum out.csv)"
  done
  expect_ok -q -k 2 --size native in.ppm out.png
  expect_ok -k 4..7 --size native in.ppm sweep.png
  [ "$(grep -c 'note: the image has only 5 distinct colours; using k=5' .stderr)" -eq 1 ] || die "note not said once: $(cat .stderr)"
  [ "$(csv_rows sweep_k7.csv)" -eq 5 ] && [ "$(csv_rows sweep_k4.csv)" -eq 4 ] || die "sweep rows"
}

fn="case_$case_name"
declare -F "$fn" >/dev/null || die "no such case"
"$fn"
echo "ok [$case_name]"
