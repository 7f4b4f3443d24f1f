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
# KQ_CLI_WRAPPER (e.g. "valgrind -q --error-exitcode=1") goes in front.
run() {
  # shellcheck disable=SC2086
  ${KQ_CLI_WRAPPER:-} "$KQ" "$@" >"$work/.stdout" 2>"$work/.stderr"
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

# ---- hardening (issue 8): hostile inputs, faults, signals ----------------
# Each refusal must also leave an existing output of the same name byte for
# byte intact: expect_refused makes one, runs kquant, and compares.

# expect_refused CODE REGEX INPUT [ARGS...]: writes INPUT's result to
# keep.png, which already holds other bytes.
expect_refused() {
  local code=$1 pattern=$2 input=$3
  shift 3
  printf 'precious bytes\n' >keep.png
  cp keep.png .keep.orig
  expect_error "$code" "$pattern" "$@" "$input" keep.png
  cmp -s keep.png .keep.orig || die "keep.png was damaged by $input"
  rm -f keep.png .keep.orig
}

skip() { echo "skip [$case_name]: $*"; exit 77; }

# crc32 HEX...: the CRC-32 (PNG's) of the given bytes, as 8 hex digits.
crc32() {
  local crc=$((0xFFFFFFFF)) byte bit
  for byte in "$@"; do
    crc=$((crc ^ 0x$byte))
    for bit in 1 2 3 4 5 6 7 8; do
      if ((crc & 1)); then crc=$(((crc >> 1) ^ 0xEDB88320)); else crc=$((crc >> 1)); fi
    done
  done
  printf '%08x' $((crc ^ 0xFFFFFFFF))
}

# bytes HEX...: writes the bytes to stdout.
bytes() { local b; for b in "$@"; do printf "\\x$b"; done; }

# offset_of FILE HEX HEX: the offset of the first byte pair in FILE.
offset_of() {
  od -An -v -tx1 "$1" | tr -s ' \n' '\n\n' | grep -v '^$' |
    awk -v a="$2" -v b="$3" 'prev == a && $1 == b {print NR - 2; exit} {prev = $1}'
}

case_truncated_png_and_jpeg() {
  expect_ok -q -k 8 --size native "$PHOTO" src.jpg
  head -c 1 "$PHOTO" >one.png
  head -c 1024 "$PHOTO" >kib.png
  head -c 1 src.jpg >one.jpg
  head -c 1024 src.jpg >kib.jpg
  expect_refused 65 "one.png: not a supported image" one.png
  expect_refused 65 "kib.png: corrupt or truncated image" kib.png
  expect_refused 65 "one.jpg: not a supported image" one.jpg
  expect_refused 65 "kib.jpg: corrupt or truncated image" kib.jpg
}

case_broken_inputs_keep_output() {
  : >empty.png
  echo "this is not an image" >text.png
  mkdir adir
  expect_refused 65 "empty.png: empty file" empty.png
  expect_refused 65 "text.png: not a supported image" text.png
  expect_refused 66 "adir: Is a directory" adir
  expect_refused 66 "nope.png: No such file or directory" nope.png
}

case_huge_png_header() {
  # A valid signature and IHDR (with its CRC) claiming 65535x65535, RGB.
  local ihdr="49 48 44 52 00 00 ff ff 00 00 ff ff 08 02 00 00 00" crc
  crc=$(crc32 $ihdr)
  [ "$(crc32 49 45 4e 44)" = "ae426082" ] || die "crc32 helper is wrong"
  { bytes 89 50 4e 47 0d 0a 1a 0a 00 00 00 0d $ihdr
    bytes ${crc:0:2} ${crc:2:2} ${crc:4:2} ${crc:6:2}
    bytes 00 00 00 00 49 45 4e 44 ae 42 60 82; } >huge.png
  expect_refused 65 "huge.png: image of 65535x65535 exceeds the limit of 100000000 pixels" huge.png
  expect_refused 65 "huge.png: image of 65535x65535 exceeds the limit of 1000 pixels" huge.png --max-pixels 1000 --size 10x10
}

case_jpeg_claiming_zero_size() {
  expect_ok -q -k 4 --size 16x8 "$PHOTO" src.jpg
  local sof
  sof=$(offset_of src.jpg ff c0)
  [ -n "$sof" ] || die "no SOF0 marker in src.jpg"
  cp src.jpg zero.jpg
  # SOF0: marker (2), length (2), precision (1), height (2), width (2).
  bytes 00 00 00 00 | dd of=zero.jpg bs=1 seek=$((sof + 5)) conv=notrunc status=none
  expect_refused 65 "zero.jpg: (not a supported image|image header claims 0x0)" zero.jpg
}

case_fifo_and_endless_inputs() {
  mkfifo fifo.png
  local KQ_CLI_WRAPPER="timeout 60 ${KQ_CLI_WRAPPER:-}"
  expect_refused 65 "fifo.png: empty file" fifo.png
  expect_refused 65 "/dev/zero: file exceeds the limit of 67108864 bytes" /dev/zero
  # A pipe is read like any stream: a real image through it works.
  cat "$PHOTO" | expect_ok -q -k 2 /dev/stdin piped.png
  "$INSPECT" size piped.png >/dev/null || die "piped input gave no image"
}

# Permissions do not bind root: as root, kquant runs as user nobody
# (setpriv), in a work folder nobody may enter.
drop_root() {
  [ "$(id -u)" -ne 0 ] && return 0
  command -v setpriv >/dev/null || skip "root, and no setpriv to drop it"
  chmod 755 "$work"
  KQ_CLI_WRAPPER="setpriv --reuid=65534 --regid=65534 --clear-groups ${KQ_CLI_WRAPPER:-}"
}

case_unreadable_input() {
  drop_root
  cp "$PHOTO" secret.png
  chmod 000 secret.png
  expect_refused 66 "secret.png: Permission denied" secret.png
}

case_readonly_output_folder() {
  drop_root
  mkdir ro
  printf 'old' >ro/out.png
  chmod 555 ro
  expect_error 73 "ro/out.png: Permission denied" -k 2 "$PHOTO" ro/out.png
  [ "$(cat ro/out.png)" = "old" ] || die "ro/out.png changed"
  chmod 755 ro
}

case_full_disk() {
  # A 256 KiB tmpfs filled up: the encoder's writes fail with ENOSPC.
  # Needs root and mount rights; the unit test full_disk_at_commit covers
  # the same path everywhere.
  mkdir small
  mount -t tmpfs -o size=256k tmpfs small 2>/dev/null || skip "cannot mount a tmpfs"
  trap 'umount "$work/small" 2>/dev/null; rm -rf "$work"' EXIT
  printf 'old' >small/out.png
  head -c 1M /dev/zero >small/filler 2>/dev/null
  expect_error 74 "small/out.png: No space left on device" -k 16 --size native "$PHOTO" small/out.png
  [ "$(cat small/out.png)" = "old" ] || die "small/out.png changed"
  [ "$(ls -A small)" = "$(printf 'filler\nout.png')" ] || die "left behind: $(ls -A small)"
}

case_input_is_output() {
  cp "$PHOTO" same.png
  expect_error 64 "same.png: is the input image too; refusing to overwrite it" -k 2 same.png same.png
  expect_error 64 "./same.png: is the input image too" -k 2 same.png ./same.png
  expect_error 64 "same.png: is the input image too" -k 2 same.png other.png --centroids same.png
  cmp -s same.png "$PHOTO" || die "the input was changed"
}

case_number_limits() {
  expect_refused 64 "-k: invalid value '0'" "$PHOTO" -k 0
  expect_refused 64 "-k: invalid value '-3'" "$PHOTO" -k -3
  expect_refused 64 "-k: invalid value '99999999999'" "$PHOTO" -k 99999999999
  expect_refused 64 "-k: invalid value '4097'" "$PHOTO" -k 4097
  expect_refused 64 "--size: invalid value '0x0'" "$PHOTO" --size 0x0
  expect_refused 64 "--size: invalid value '100000x100000'" "$PHOTO" --size 100000x100000
  expect_refused 64 "--size: 65535x65535 is 4294836225 pixels, more than the limit of 100000000" "$PHOTO" --size 65535x65535
  expect_refused 64 "--size: 20000x20000 is too large to encode" "$PHOTO" --size 20000x20000 --max-pixels 1000000000
  expect_refused 64 "--max-iter: invalid value '1000001'" "$PHOTO" --max-iter 1000001
  expect_refused 64 "--n-init: invalid value '1001'" "$PHOTO" --n-init 1001
  expect_refused 64 "--max-pixels: invalid value '0'" "$PHOTO" --max-pixels 0
  expect_refused 64 "--tol: invalid value 'nan'" "$PHOTO" --tol nan
  expect_refused 64 "--tol: invalid value 'inf'" "$PHOTO" --tol inf
  expect_refused 64 "--seed: invalid value '18446744073709551616'" "$PHOTO" --seed 18446744073709551616
}

# signal_run SIG CODE: starts a long run (a 3-megapixel noise image; the
# PNG encoder alone takes a second or more), waits until its temporary
# output exists, sends SIG and checks the exit code, that the temporary
# file is gone and that the previous output is untouched. kquant runs
# without KQ_CLI_WRAPPER here: the point is the signal, not valgrind.
signal_run() {
  local sig=$1 code=$2 pid polls=0 rc
  { printf 'P6\n2000 1500\n255\n'; head -c 9000000 /dev/urandom; } >noise.ppm
  printf 'old' >out.png
  set -m # job control: a background job would otherwise ignore SIGINT
  "$KQ" -q -k 16 --max-iter 1 --size native noise.ppm out.png &
  pid=$!
  set +m
  until compgen -G '.out.png.*' >/dev/null; do
    kill -0 "$pid" 2>/dev/null || die "kquant ended before writing"
    ((polls++ < 6000)) || { kill -KILL "$pid"; die "no temporary file after 60 s"; }
    sleep 0.01
  done
  kill "-$sig" "$pid"
  wait "$pid"
  rc=$?
  [ "$rc" -eq "$code" ] || die "SIG$sig: exit $rc, expected $code"
  [ "$(cat out.png)" = "old" ] || die "SIG$sig: out.png changed"
  ! compgen -G '.out.png.*' >/dev/null || die "SIG$sig: temporary file left: $(ls -A)"
  ! compgen -G '.out.csv.*' >/dev/null || die "SIG$sig: temporary table left"
}

case_sigterm_cleans_up() {
  signal_run TERM 143
}

case_sigint_cleans_up() {
  signal_run INT 130
}

fn="case_$case_name"
declare -F "$fn" >/dev/null || die "no such case"
"$fn"
echo "ok [$case_name]"
