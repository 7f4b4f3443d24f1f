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
  # perf: under -q a palette PNG is written from the labels alone (no RGB
  # image): the same file as with the summary; other formats still get one
  expect_ok -k 3 "$PHOTO" s.png
  cmp -s q.png s.png || die "-q and the summary wrote different images"
  expect_ok -q -k 3 "$PHOTO" q.bmp
  expect_ok -k 3 "$PHOTO" s.bmp
  cmp -s q.bmp s.bmp || die "-q and the summary wrote different BMPs"
}

case_centroids_stdout() {
  expect_ok -k 3 --centroids - "$PHOTO" s.png
  [ "$(head -1 .stdout)" = "cluster,r,g,b,hex,pixels,share" ] || die "stdout: $(cat .stdout)"
  [ "$(tail -n +2 .stdout | wc -l)" -eq 3 ] || die "stdout has not 3 rows"
  [ ! -e s.csv ] || die "a csv file was written too"
}

# A range's tables on stdout are one CSV: one header, each row led by its
# k, the rows those of the per-k tables written to files.
case_centroids_stdout_range() {
  expect_ok -q -k 2..4 "$PHOTO" f.png
  expect_ok -k 2..4 --centroids - "$PHOTO" s.png
  [ "$(head -1 .stdout)" = "k,cluster,r,g,b,hex,pixels,share" ] || die "header: $(head -1 .stdout)"
  [ "$(grep -c '^k,' .stdout)" -eq 1 ] || die "more than one header"
  local k
  for k in 2 3 4; do
    diff <(tail -n +2 "f_k$k.csv") <(grep "^$k," .stdout | cut -d, -f2-) >/dev/null ||
      die "k=$k rows differ from f_k$k.csv"
  done
  [ "$(tail -n +2 .stdout | wc -l)" -eq 9 ] || die "not 2+3+4 rows"
  [ ! -e s_k2.csv ] || die "a csv file was written too"
}

case_stdout_claimed_twice() {
  expect_error 64 "--json and --centroids - both write to stdout" --json --centroids - "$PHOTO" o.png
  expect_error 64 "--json and --centroids - both write to stdout" -k 2..3 --centroids - --json "$PHOTO" o.png
  expect_error 64 "a range writes one image per k" -k 2..3 "$PHOTO" -
  expect_error 64 "OUTPUT - and --centroids - both write to stdout" -k 2 --centroids - -o - "$PHOTO"
  expect_error 64 "--palette: cannot write to stdout" -k 2 --palette - "$PHOTO" o.png
  expect_error 64 "--save-input: cannot write to stdout" -k 2 --save-input - "$PHOTO" o.png
  expect_ok --help --json --centroids -
  grep -q -- "--clusters" .stdout || die "--help gave way to the refusal"
}

# OUTPUT - : the same PNG as a file, the summary on stderr, no table
# unless --centroids names one, and a clear failure when stdout fails.
case_image_on_stdout() {
  expect_ok -q -k 8 "$PHOTO" f.png
  expect_ok -k 8 "$PHOTO" -
  cmp -s .stdout f.png || die "stdout differs from f.png"
  grep -q '^output:     stdout$' .stderr || die "summary: $(cat .stderr)"
  grep -q "^size:       $(wc -c <f.png) bytes, a 4-bit palette PNG" .stderr ||
    die "size line: $(grep size: .stderr)"
  [ "$(find . -name '*.csv' -o -name '-*' | sort)" = "./f.csv" ] ||
    die "files: $(ls -A)"
  expect_ok --json -k 8 -o - "$PHOTO"
  cmp -s .stdout f.png || die "-o - differs from f.png"
  grep -q '"output":"stdout","centroids":null' .stderr || die "json: $(cat .stderr)"
  grep -q "\"file_bytes\":$(wc -c <f.png)," .stderr || die "json size: $(cat .stderr)"
  expect_ok -q -k 8 --truecolor "$PHOTO" t.png
  expect_ok -q -k 8 --truecolor --centroids s.csv "$PHOTO" -
  cmp -s .stdout t.png || die "--truecolor stdout differs from t.png"
  cmp -s s.csv t.csv || die "--centroids beside stdout differs"
  # shellcheck disable=SC2086
  ${KQ_CLI_WRAPPER:-} "$KQ" -q -k 2 "$PHOTO" - >&- 2>.stderr
  status=$?
  [ "$status" -eq 74 ] && [ "$(cat .stderr)" = "kquant: stdout: Bad file descriptor" ] ||
    die "closed stdout: exit $status, $(cat .stderr)"
  [ -w /dev/full ] || return 0
  # shellcheck disable=SC2086
  ${KQ_CLI_WRAPPER:-} "$KQ" -q -k 2 "$PHOTO" - >/dev/full 2>.stderr
  status=$?
  [ "$status" -eq 74 ] && [ "$(cat .stderr)" = "kquant: stdout: No space left on device" ] ||
    die "full stdout: exit $status, $(cat .stderr)"
}

case_image_on_stdout_terminal_refused() {
  refused_on_terminal "-k 2 $PHOTO -" "OUTPUT - is stdout, which is a terminal"
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
  # A sweep counts the colours once for every k's fit and Delta E; each k
  # still writes and says what a run of that k alone does.
  expect_ok -k 2..4 "$PHOTO" sv.png
  grep '^quality:' .stdout >sweep_quality.txt
  for k in 2 3 4; do
    expect_ok -k "$k" "$PHOTO" "one_k$k.png"
    cmp -s "one_k$k.png" "sv_k$k.png" || die "k=$k image differs in the sweep"
    cmp -s "one_k$k.csv" "sv_k$k.csv" || die "k=$k table differs in the sweep"
    grep '^quality:' .stdout >>single_quality.txt
  done
  [ "$(wc -l <sweep_quality.txt)" -eq 3 ] || die "sweep quality lines: $(cat sweep_quality.txt)"
  cmp -s sweep_quality.txt single_quality.txt ||
    die "sweep quality $(cat sweep_quality.txt) vs $(cat single_quality.txt)"
}

case_help_version() {
  expect_ok --help
  grep -q -- "--clusters" .stdout && grep -q "Exit codes" .stdout || die "help incomplete"
  grep -q '^Reads PNG, JPEG, WebP, HEIC, AVIF, TIFF, .* and PNM\.$' .stdout || die "help names no formats"
  [ "$(awk 'length > 79' .stdout | wc -l)" -eq 0 ] || die "help lines over 79 columns: $(awk 'length > 79' .stdout)"
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

# A JPEG over four times the target on both sides decodes reduced (1/2 here:
# 600x800 keeps twice 240x320); the report still names its own size.
case_large_jpeg_reduced() {
  expect_ok -q -k 2 --size 1200x1600 --save-input big.jpg "$PHOTO" x.png
  expect_ok -k 3 big.jpg a.png
  grep -q '^input: .*big.jpg (1200x1600), clustered at 240x320$' .stdout ||
    die "report: $(head -1 .stdout)"
  [ "$("$INSPECT" size a.png)" = "240 320" ] || die "size $("$INSPECT" size a.png)"
  expect_ok -q -k 3 big.jpg b.png
  cmp -s a.png b.png || die "two runs differ"
  expect_ok -k 3 --json big.jpg j.png
  grep -q '"input_width":1200,"input_height":1600,"width":240,"height":320' .stdout ||
    die "json: $(cat .stdout)"
  expect_ok -q -k 3 --size native big.jpg n.png
  [ "$("$INSPECT" size n.png)" = "1200 1600" ] || die "native $("$INSPECT" size n.png)"
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

# The README's example outputs are what kquant prints today: the k=3
# summary whole, and the k=8 size and quality lines (run from the source
# folder, as the README shows them, writing here).
case_readme_examples() {
  local readme=$SRC/README.md want got
  want=$(awk '/^Example output \(`\.\/build\/kquant -k 3 images_input\/coffee\.png \/tmp\/c3\.png`\):$/ {found=1; next}
              found && /^```$/ {if (inside) exit; inside=1; next}
              inside {print}' "$readme")
  [ -n "$want" ] || die "no k=3 example in README.md"
  got=$(cd "$SRC" && "$KQ" -k 3 images_input/coffee.png "$work/c3.png") || die "k=3 run failed"
  [ "${got//$work\//\/tmp\/}" = "$want" ] || die "README's k=3 example is stale; kquant prints:
${got//$work\//\/tmp\/}"
  want=$(grep -A3 '^\$ kquant -k 8 images_input/coffee.png out.png$' "$readme" | grep -E '^(size|quality):')
  [ "$(wc -l <<<"$want")" -eq 2 ] || die "no k=8 example in README.md"
  got=$(cd "$SRC" && "$KQ" -k 8 images_input/coffee.png "$work/out.png" | grep -E '^(size|quality):')
  [ "$got" = "$want" ] || die "README's k=8 example is stale; kquant prints:
$got"
}

# damage SRC DST SEED: DST is SRC with four bytes set to random values
# and, for every third seed, cut at a random length (bash's RANDOM, seeded:
# the same bytes on every run; it is read in this shell only, as bash
# reseeds it in every subshell).
damage() {
  local src=$1 dst=$2 len byte offset _
  RANDOM=$3
  cp "$src" "$dst" && len=$(stat -c %s "$dst")
  for _ in 1 2 3 4; do
    byte=$((RANDOM % 256))
    offset=$(((RANDOM * 32768 + RANDOM) % len))
    printf "\\x$(printf %02x "$byte")" |
      dd of="$dst" bs=1 seek="$offset" conv=notrunc status=none
  done
  (($3 % 3)) || truncate -s $(((RANDOM * 32768 + RANDOM) % len)) "$dst"
}

# Damaged files of every format kquant reads (the fuzz seeds, two damaged
# copies each): each is decoded (exit 0, at most the fewer-colours note
# on stderr) or refused with exit 65 in one line of kquant's own, never a
# decoder's messages, and a refused one leaves no output.
case_damaged_inputs_one_line() {
  local seed f name
  for f in "$SRC"/tests/fuzz/corpus/*; do
    name=$(basename "$f")
    for seed in 1 2; do
      damage "$f" "d$seed.$name" "$seed$(cksum <<<"$name" | cut -c1-4)"
      run -q -k 3 "d$seed.$name" out.png
      case $status in
        0) [ ! -s .stderr ] || grep -q '^kquant: note: ' .stderr || die "d$seed.$name: $(cat .stderr)" ;;
        65) [ ! -e out.png ] || die "d$seed.$name: refused but wrote out.png" ;;
        *) die "d$seed.$name: exit $status: $(cat .stderr)" ;;
      esac
      [ "$(wc -l <.stderr)" -le 1 ] || die "d$seed.$name: more than one line on stderr:
$(cat .stderr)"
      [ "$status" -eq 0 ] || grep -q "^kquant: d$seed.$name: " .stderr || die "d$seed.$name: $(cat .stderr)"
      rm -f out.png out.csv "d$seed.$name"
    done
  done
}

case_k_above_pixels() {
  expect_error 65 "k=20 is more than the 16 pixels to cluster$" -k 20 --size 4x4 "$PHOTO" o.png
  expect_error 65 "k=2 is more than the 1 pixel to cluster$" -k 2 --size 1x1 "$PHOTO" o.png
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

# ---- compression, palettes and quality (issue 7) -----------------------

# png_header FILE: "BITDEPTH COLOURTYPE" from the IHDR chunk.
png_header() { od -An -tu1 -j24 -N2 "$1" | awk '{print $1, $2}'; }
# png_palette FILE: the PLTE entries as #RRGGBB lines (PLTE follows IHDR).
png_palette() {
  local len
  len=$(od -An -tu1 -j33 -N4 "$1" | awk '{print $1*16777216 + $2*65536 + $3*256 + $4}')
  od -An -tx1 -v -j41 -N"$len" "$1" | tr -s ' \n' ' ' | tr 'a-f' 'A-F' |
    awk '{for (i = 1; i + 2 <= NF; i += 3) print "#" $i $(i+1) $(i+2)}'
}
csv_hex() { tail -n +2 "$1" | cut -d, -f5; }
json_field() { grep -o "\"$1\":[^,}]*" j.json | head -1 | cut -d: -f2; }

case_palette_png_bit_depths() {
  for pair in 2:1 3:2 4:2 5:4 8:4 16:4 17:8; do
    local k=${pair%:*} depth=${pair#*:}
    expect_ok -q -k "$k" --size 60x80 "$PHOTO" "i$k.png"
    [ "$(png_header "i$k.png")" = "$depth 3" ] || die "k=$k: header $(png_header "i$k.png"), expected $depth 3"
    [ "$(png_palette "i$k.png")" = "$(csv_hex "i$k.csv")" ] || die "k=$k: PLTE is not the table"
    "$INSPECT" recolor "i$k.png" "i$k.csv" || die "k=$k: pixels are not their centroids"
    expect_ok -q -k "$k" --size 60x80 --truecolor "$PHOTO" "t$k.png"
    [ "$(png_header "t$k.png")" = "8 2" ] || die "k=$k: --truecolor header $(png_header "t$k.png")"
    "$INSPECT" same "i$k.png" "t$k.png" || die "k=$k: palette and truecolor PNGs differ"
  done
  expect_ok -q -k 256 --size 64x64 --max-iter 5 "$PHOTO" i256.png
  [ "$(png_header i256.png)" = "8 3" ] || die "k=256: header $(png_header i256.png)"
  expect_ok -q -k 257 --size 64x64 --max-iter 5 "$PHOTO" i257.png
  [ "$(png_header i257.png)" = "8 2" ] || die "k=257 must fall back to 24-bit"
  "$INSPECT" recolor i257.png i257.csv || die "k=257 pixels"
}

case_size_and_quality_report() {
  expect_ok -k 8 "$PHOTO" out.png
  grep -Eq '^size: +[0-9]+ bytes, a 4-bit palette PNG = [0-9.]+% of the 24-bit PNG \([0-9]+ bytes\), [0-9.]+% of raw RGB \(230400 bytes\)$' .stdout ||
    die "size line: $(grep size: .stdout)"
  grep -Eq '^quality: +MSE [0-9.]+, PSNR [0-9.]+ dB, Delta E 2000 mean [0-9.]+, max [0-9.]+$' .stdout ||
    die "quality line: $(grep quality: .stdout)"
  expect_ok -k 8 --json "$PHOTO" j.png
  cp .stdout j.json
  expect_ok -q -k 8 --truecolor "$PHOTO" t.png
  [ "$(json_field file_bytes)" -eq "$(stat -c %s j.png)" ] || die "file_bytes is not the file's size"
  [ "$(json_field png24_bytes)" -eq "$(stat -c %s t.png)" ] || die "png24_bytes $(json_field png24_bytes) is not the 24-bit file's $(stat -c %s t.png)"
  [ "$(json_field raw_bytes)" -eq 230400 ] || die "raw_bytes"
  [ "$(json_field bit_depth)" -eq 4 ] || die "bit_depth"
  [ "$(stat -c %s j.png)" -lt "$(stat -c %s t.png)" ] || die "palette PNG is not smaller"
  awk -v f="$(json_field file_bytes)" -v p="$(json_field png24_bytes)" -v r="$(json_field ratio_png24)" \
    -v m="$(json_field mse)" -v s="$(json_field psnr_db)" \
    -v dm="$(json_field delta_e_mean)" -v dx="$(json_field delta_e_max)" 'BEGIN {
      if ((r - f / p)^2 > 1e-18) exit 1
      if ((s - 10 * log(65025 / m) / log(10))^2 > 1e-18) exit 2
      if (!(m > 0 && dm > 0 && dx >= dm)) exit 3 }' || die "json numbers disagree: $(cat j.json)"
  cmp -s j.png out.png || die "same run gave other bytes"
  # Two colours, k=2: a perfect copy, PSNR infinite (null in JSON).
  printf 'P6\n2 1\n255\n\377\000\000\000\000\377' >rb.ppm
  expect_ok -k 2 --size native rb.ppm rb.png
  grep -q "MSE 0.00, PSNR inf dB, Delta E 2000 mean 0.00, max 0.00" .stdout || die "perfect copy: $(cat .stdout)"
  expect_ok -k 2 --size native --json rb.ppm rb.png
  grep -q '"mse":0,"psnr_db":null,"delta_e_mean":0,"delta_e_max":0' .stdout || die "perfect copy json: $(cat .stdout)"
  [ "$(png_header rb.png)" = "1 3" ] || die "k=2 is not 1-bit"
}

case_palette_files() {
  expect_ok -q -k 5 --sort luminance --palette pal.txt "$PHOTO" p.png
  [ "$(cat pal.txt)" = "$(csv_hex p.csv)" ] || die "txt: $(cat pal.txt)"
  expect_ok -q -k 5 --sort luminance --palette pal.gpl "$PHOTO" p.png
  [ "$(head -1 pal.gpl)" = "GIMP Palette" ] || die "gpl magic"
  [ "$(grep -E '^ *[0-9]+ +[0-9]+ +[0-9]+' pal.gpl | awk '{printf "#%02X%02X%02X\n", $1, $2, $3}')" = "$(csv_hex p.csv)" ] || die "gpl colours"
  expect_ok -q -k 5 --sort luminance --palette pal.css "$PHOTO" p.png
  [ "$(grep -o -- '--kq-color-[0-9]*: #[0-9A-F]*' pal.css | cut -d' ' -f2)" = "$(csv_hex p.csv)" ] || die "css colours"
  [ "$(grep -o -- '--kq-color-[0-9]*' pal.css | tr '\n' ' ')" = "--kq-color-0 --kq-color-1 --kq-color-2 --kq-color-3 --kq-color-4 " ] || die "css names"
  expect_ok -q -k 5 --sort luminance --palette pal.json "$PHOTO" p.png
  [ "$(grep -o '"hex":"#[0-9A-F]*"' pal.json | cut -d'"' -f4)" = "$(csv_hex p.csv)" ] || die "json colours"
  expect_ok -q -k 5 --sort luminance --palette pal.csv "$PHOTO" p.png
  cmp -s pal.csv p.csv || die "csv palette is not the centroid table"
  expect_ok -q -k 2..3 --palette sw.txt "$PHOTO" sw.png
  [ "$(wc -l <sw_k2.txt)" -eq 2 ] && [ "$(wc -l <sw_k3.txt)" -eq 3 ] || die "sweep palettes"
}

# sorted_check ORDER: the table's rounded colours are in ORDER.
sorted_check() {
  csv_hex p.csv | awk -v order="$1" '
    function lin(c) { c /= 255; return c <= 0.04045 ? c / 12.92 : exp(2.4 * log((c + 0.055) / 1.055)) }
    function hex(s) { return 16 * (index("0123456789ABCDEF", substr(s, 1, 1)) - 1) + index("0123456789ABCDEF", substr(s, 2, 1)) - 1 }
    {
      r = hex(substr($1, 2, 2)); g = hex(substr($1, 4, 2)); b = hex(substr($1, 6, 2))
      if (order == "luminance") key = 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)
      else {
        hi = r > g ? (r > b ? r : b) : (g > b ? g : b); lo = r < g ? (r < b ? r : b) : (g < b ? g : b)
        if (hi == lo) key = -1000 + r / 1000
        else if (hi == r) { key = 60 * (g - b) / (hi - lo); if (key < 0) key += 360 }
        else if (hi == g) key = 60 * (b - r) / (hi - lo) + 120
        else key = 60 * (r - g) / (hi - lo) + 240
      }
      if (NR > 1 && key < last) exit 1
      last = key
    }' || die "--sort $1: $(csv_hex p.csv | tr '\n' ' ')"
}

case_sort_orders() {
  expect_ok -q -k 6 --sort share "$PHOTO" p.png
  tail -n +2 p.csv | cut -d, -f6 | sort -c -n -r || die "--sort share: $(cut -d, -f6 p.csv)"
  [ "$(png_palette p.png)" = "$(csv_hex p.csv)" ] || die "share: PLTE order"
  "$INSPECT" recolor p.png p.csv || die "share: labels not remapped"
  for order in luminance hue; do
    expect_ok -q -k 6 --sort "$order" "$PHOTO" p.png
    sorted_check "$order"
    [ "$(png_palette p.png)" = "$(csv_hex p.csv)" ] || die "$order: PLTE order"
    "$INSPECT" recolor p.png p.csv || die "$order: labels not remapped"
  done
  expect_ok -q -k 6 "$PHOTO" c.png
  expect_ok -q -k 6 --sort cluster "$PHOTO" cc.png
  cmp -s c.csv cc.csv || die "--sort cluster is not the default"
  "$INSPECT" same c.png p.png || die "sorting changed the image"
}

case_background() {
  "$INSPECT" rgba rgba.png || die "cannot write the RGBA fixture"
  expect_ok -q -k 4 --size native rgba.png w.png
  [ "$(csv_hex w.csv | sort | tr '\n' ' ')" = "#00FF00 #7F7FFF #FF0000 #FFFFFF " ] || die "white: $(csv_hex w.csv | tr '\n' ' ')"
  # alpha 128 blue onto #102030: round((0*128 + c*127) / 255) per channel.
  expect_ok -q -k 4 --size native --background '#102030' rgba.png b.png
  [ "$(csv_hex b.csv | sort | tr '\n' ' ')" = "#00FF00 #081098 #102030 #FF0000 " ] || die "#102030: $(csv_hex b.csv | tr '\n' ' ')"
  expect_ok -q -k 4 --size native --background=aBcDeF rgba.png c.png
  grep -q '#ABCDEF' c.csv || die "bare hex background"
}

case_bad_compression_options() {
  expect_error 64 "pal.ase: unsupported palette format" --palette pal.ase "$PHOTO" o.png
  expect_error 64 "--palette: invalid value ''" --palette "" "$PHOTO" o.png
  expect_error 64 "--sort: invalid value 'size'" --sort size "$PHOTO" o.png
  expect_error 64 "--sort: invalid value ''" --sort "" "$PHOTO" o.png
  expect_error 64 "--background: invalid value '#12345'" --background '#12345' "$PHOTO" o.png
  expect_error 64 "--background: invalid value '#12345g'" --background '#12345g' "$PHOTO" o.png
  expect_error 64 "--background: invalid value 'white'" --background white "$PHOTO" o.png
  expect_error 64 "--background: invalid value '##123456'" --background '##123456' "$PHOTO" o.png
  # The image comes first, so it exists; the palette fails alone.
  run -q -k 2 --palette missing/p.gpl "$PHOTO" o.png
  [ "$status" -eq 73 ] && grep -q "^kquant: missing/p.gpl: No such file or directory$" .stderr ||
    die "unwritable palette: exit $status, $(cat .stderr)"
}

# ---- fetch (issue 3): --url, only against servers started here on 127.0.0.1

SERVER=$(dirname "$INSPECT")/kq_test_server

# start_server: serves www/ (photo.png, and photo.jpg made from it) from
# kq_test_server on a loopback port; sets BASE. The server ends itself
# after 60 s whatever happens; the EXIT trap stops it sooner.
start_server() {
  unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
  mkdir -p www
  cp "$PHOTO" www/photo.png
  # the photo as a JPEG, at its own size (k=1 makes this quick)
  "$KQ" -q -k 1 --size native --save-input www/photo.jpg --centroids - \
    "$PHOTO" scratch.png >/dev/null || die "cannot make photo.jpg"
  rm -f scratch.png
  "$SERVER" --root www --lifetime 60 >server.log &
  server_pid=$!
  trap 'kill "$server_pid" 2>/dev/null; rm -rf "$work"' EXIT
  local port="" _
  for _ in $(seq 100); do
    port=$(sed -n 's/^port //p' server.log)
    [ -n "$port" ] && break
    sleep 0.1
  done
  [ -n "$port" ] || die "the test server did not start"
  BASE=http://127.0.0.1:$port
}

# wait_log PATTERN: the server's log line matching PATTERN (10 s at most).
wait_log() {
  local _
  for _ in $(seq 100); do
    grep -E "$1" server.log && return 0
    sleep 0.1
  done
  die "the server never logged '$1'"
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }

case_url_png_same_as_file() {
  start_server
  expect_ok --url "$BASE/photo.png" -k 8 u.png
  grep -q "^input: *$BASE/photo.png (600x400)" .stdout || die "summary: $(cat .stdout)"
  expect_ok www/photo.png -k 8 f.png
  cmp -s u.png f.png || die "URL and file give different images"
  cmp -s u.csv f.csv || die "URL and file give different tables"
}

# The issue's acceptance check, with the default output name.
case_url_jpeg_same_as_file() {
  start_server
  mkdir from_url from_file
  cd from_url || die "cd"
  expect_ok --url "$BASE/photo.jpg" -k 8
  cd ../from_file || die "cd"
  expect_ok ../www/photo.jpg -k 8
  cd .. || die "cd"
  for f in image_output_k8.png image_output_k8.csv; do
    [ -f "from_url/output/$f" ] || die "no output/$f for the URL"
    cmp -s "from_url/output/$f" "from_file/output/$f" || die "$f differs"
  done
}

case_url_json() {
  start_server
  expect_ok --url "$BASE/photo.png?x=\"q\"" -k 2 --json j.png
  grep -q "^{\"input\":\"$BASE/photo.png?x=\\\\\"q\\\\\"\",\"input_width\":600," .stdout ||
    die "json: $(cat .stdout)"
}

case_url_save_input() {
  start_server
  mkdir images_input
  expect_ok -q --url "$BASE/photo.png" -k 2 --save-input images_input/resized_image_from_url.jpg u.png
  [ "$("$INSPECT" size images_input/resized_image_from_url.jpg)" = "240 320" ] || die "saved jpg size"
  expect_ok -q --url "$BASE/photo.png" -k 2 --save-input url_in.png u.png
  expect_ok -q www/photo.png -k 2 --size 60x80 --save-input file_in.png f.png
  [ "$("$INSPECT" size file_in.png)" = "60 80" ] || die "file input not saved at 60x80"
  expect_ok -q www/photo.png -k 2 --save-input file_in.png f.png
  cmp -s url_in.png file_in.png || die "saved inputs differ between URL and file"
  expect_error 64 "in.gif: unsupported format for --save-input" --url "$BASE/photo.png" --save-input in.gif o.png
  expect_error 73 "nodir/in.png: No such file or directory" --url "$BASE/photo.png" --save-input nodir/in.png o.png
}

case_url_http_errors() {
  start_server
  expect_error 69 "$BASE/status/404: HTTP 404 Not Found\$" --url "$BASE/status/404" -k 3 o.png
  expect_error 69 "$BASE/status/500: HTTP 500 Internal Server Error\$" --url "$BASE/status/500" -k 3
  expect_error 69 ": HTTP 404 Not Found\$" --url "$BASE/missing.png"
  [ ! -e output ] || die "the default output folder was created"
}

case_url_redirects() {
  start_server
  expect_ok -q --url "$BASE/redirect/3/photo.png" -k 4 r.png
  expect_ok -q www/photo.png -k 4 f.png
  cmp -s r.png f.png || die "redirected download differs from the file"
  [ "$(grep -c '^request .* /redirect/' server.log)" -eq 3 ] || die "not 3 redirects"
  expect_error 69 "more than 5 redirects" --url "$BASE/redirect/6/photo.png" o.png
}

case_url_redirect_to_file() {
  start_server
  expect_error 69 "$BASE/to-file: refused redirect to 'file:///etc/passwd' \(only http and https are followed\)" \
    --url "$BASE/to-file" o.png
  expect_error 69 "refused redirect to 'ftp://127.0.0.1:" --url "$BASE/to-ftp" o.png
}

case_url_schemes_refused() {
  start_server
  local port=${BASE##*:} before
  expect_error 64 "file:///etc/passwd: refused URL scheme 'file' \(only http and https are allowed\)" \
    --url file:///etc/passwd o.png
  before=$(grep -c '^request' server.log)
  for scheme in ftp gopher dict telnet ldap; do
    expect_error 64 "refused URL scheme '$scheme'" --url "$scheme://127.0.0.1:$port/photo.png"
  done
  [ "$(grep -c '^request' server.log)" -eq "$before" ] || die "a refused URL reached the server"
  expect_error 64 "must start with http:// or https://" --url "127.0.0.1:$port/photo.png"
}

case_url_max_bytes() {
  start_server
  local t0 t1 line sent
  t0=$(now_ms)
  expect_error 65 "$BASE/huge: download stopped: the body is larger than the limit of 100000 bytes; see --max-bytes" \
    --max-bytes 100000 --url "$BASE/huge" o.png
  t1=$(now_ms)
  line=$(wait_log '^sent /huge ')
  sent=$(echo "$line" | cut -d' ' -f3)
  [ "$(echo "$line" | cut -d' ' -f4)" = stopped ] || die "server: $line"
  # 1 GiB on offer; what got out is the limit plus socket buffers at most
  [ "$sent" -lt $((32 << 20)) ] || die "server sent $sent bytes"
  echo "max-bytes 100000: server sent $sent of 1073741824 bytes; kquant took $((t1 - t0)) ms"
  expect_error 65 "the server announces 1073741824 bytes, more than the limit of 100000 bytes" \
    --max-bytes 100000 --url "$BASE/huge-declared" o.png
  # the default limit, 64 MiB
  expect_error 65 "announces 1073741824 bytes, more than the limit of 67108864 bytes" \
    --url "$BASE/huge-declared" o.png
}

case_url_timeout() {
  start_server
  local t0 t1
  t0=$(now_ms)
  expect_error 75 "$BASE/hang: timed out after 1 s \(0 bytes of the body received\); see --timeout" \
    --timeout 1 --url "$BASE/hang" o.png
  t1=$(now_ms)
  # it waited for the limit, and gave up (the upper bound only tells a
  # timeout from a hang)
  [ $((t1 - t0)) -ge 950 ] && [ $((t1 - t0)) -lt 30000 ] || die "took $((t1 - t0)) ms"
  echo "timeout 1 s: kquant exited after $((t1 - t0)) ms"
}

case_url_refused_connection() {
  local port
  port=$("$SERVER" --free-port | sed -n 's/^port //p')
  [ -n "$port" ] || die "no free port"
  expect_error 69 "http://127.0.0.1:$port/photo.png: connection refused\$" \
    --url "http://127.0.0.1:$port/photo.png" o.png
}

# A 70-character label is no valid DNS name: resolving fails without a
# query leaving the machine.
case_url_dns_failure() {
  local host
  host=$(printf 'a%.0s' $(seq 70)).invalid
  expect_error 69 "cannot resolve host name '$host'" --url "http://$host/photo.png" o.png
}

case_url_not_images() {
  start_server
  printf 'RIFF\032\000\000\000WEBPVP8L\015\000\000\000\057' >www/photo.webp
  printf '\000\000\000\034ftypavif\000\000\000\000avifmif1miaf' >www/photo.avif
  printf '\377\012\372\177' >www/photo.jxl
  expect_error 65 "$BASE/html: not a supported image: an HTML page" --url "$BASE/html" o.png
  expect_error 65 "corrupt or truncated image \(a WebP file whose header cannot be read\)" --url "$BASE/photo.webp" o.png
  expect_error 65 "corrupt or truncated image \(a HEIF file libheif cannot read: .*\)" --url "$BASE/photo.avif" o.png
  expect_error 65 "not a supported image: a JPEG XL image" --url "$BASE/photo.jxl" o.png
  expect_error 65 "$BASE/empty: empty response body \(HTTP 200\)" --url "$BASE/empty" o.png
  expect_error 65 "corrupt or truncated image" --url "$BASE/truncated/photo.png" o.png
  expect_error 69 "connection closed after [0-9]+ bytes, before the whole body arrived" \
    --url "$BASE/short/photo.png" o.png
}

# TLS is verified: a self-signed certificate is refused.
case_url_tls_verified() {
  command -v openssl >/dev/null || die "openssl is not installed (scripts/deps.sh installs it)"
  unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
  mkdir tls
  cp "$PHOTO" tls/photo.png
  cd tls || die "cd"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout key.pem -out cert.pem -subj /CN=127.0.0.1 -days 1 \
    -addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1 || die "openssl req failed"
  timeout 60 openssl s_server -accept 127.0.0.1:0 -cert cert.pem -key key.pem \
    -WWW -naccept 1 >s_server.log 2>&1 &
  # Global, not local: the EXIT trap runs after this function has returned,
  # and under set -u an out-of-scope $pid aborted the trap before its rm -rf,
  # leaving the folder (and the server) behind on every run.
  tls_server_pid=$!
  local port="" _
  trap 'kill "$tls_server_pid" 2>/dev/null; rm -rf "$work"' EXIT
  for _ in $(seq 100); do
    port=$(sed -n 's/^ACCEPT 127.0.0.1:\([0-9]*\)$/\1/p' s_server.log)
    [ -n "$port" ] && break
    sleep 0.1
  done
  [ -n "$port" ] || die "openssl s_server did not start: $(cat s_server.log)"
  cd .. || die "cd"
  expect_error 69 "https://127.0.0.1:$port/photo.png: TLS certificate not trusted \(.*self-signed" \
    --url "https://127.0.0.1:$port/photo.png" o.png
}

case_url_usage() {
  expect_error 64 "too many arguments: --url replaces INPUT" --url http://127.0.0.1:9/a.png in.png out.png
  expect_error 64 "too many arguments: --url replaces INPUT" --url http://127.0.0.1:9/a.png -o a.png b.png
  expect_error 64 "--url: invalid value ''" --url "" o.png
  expect_error 64 "--timeout: invalid value '0'" --timeout 0 --url http://127.0.0.1:9/a.png
  expect_error 64 "--timeout: invalid value '1s'" --timeout 1s --url http://127.0.0.1:9/a.png
  expect_error 64 "--timeout: invalid value '-1'" --timeout -1 --url http://127.0.0.1:9/a.png
  expect_error 64 "--max-bytes: invalid value '0'" --max-bytes 0 --url http://127.0.0.1:9/a.png
  expect_error 64 "--max-bytes: invalid value '2147483648'" --max-bytes 2147483648 --url http://127.0.0.1:9/a.png
  expect_error 64 "--save-input: invalid value ''" --save-input "" "$PHOTO" o.png
  expect_ok --help
  for opt in --url --timeout --max-bytes --save-input; do
    grep -q -- "$opt" .stdout || die "--help lacks $opt"
  done
}

# ---- figures (plots feature) ------------------------------------------

PLOTCHECK=$(dirname "$INSPECT")/kq_plotcheck

case_plots_single_k() {
  expect_ok -k 3 --plots "$PHOTO" c3.png
  for f in scatter3d_pixel_color scatter3d_cluster_k3; do
    [ "$("$INSPECT" size "output/$f.png")" = "800 800" ] || die "$f size"
  done
  [ "$(ls output | wc -l)" -eq 2 ] || die "unexpected figures: $(ls output)"
  grep -q "^figure: *output/scatter3d_cluster_k3.png$" .stdout || die "figure not named: $(cat .stdout)"
  "$INSPECT" recolor c3.png c3.csv || die "the main output changed"
}

case_plots_off_by_default() {
  expect_ok -k 3 "$PHOTO" c3.png
  [ ! -e output ] || die "figures without --plots: $(ls output)"
  grep -q "figure" .stdout && die "a figure was named"
  expect_ok -q -k 3 "$PHOTO"
  [ "$(ls output | tr '\n' ' ')" = "image_output_k3.csv image_output_k3.png " ] || die "output/ holds $(ls output)"
}

case_sweep_grid() {
  expect_ok -q -k 2..4 "$PHOTO" sw.png
  [ -f sw_k2-4.png ] || die "no grid sw_k2-4.png"
  "$PLOTCHECK" grid sw_k2-4.png 2 4 sw_k || die "grid sw_k2-4.png"
  [ ! -e output ] || die "figures without --plots: $(ls output)"
  expect_ok -q -k 2..10 "$PHOTO"
  "$PLOTCHECK" grid output/image_output_k2-10.png 2 10 output/image_output_k || die "grid 2..10"
  compgen -G 'output/*scatter*' >/dev/null || compgen -G 'output/*elbow*' >/dev/null &&
    die "figures without --plots: $(ls output)"
  return 0
}

case_plots_sweep() {
  expect_ok -k 2..4 --plots-dir figs --json "$PHOTO" sw.png
  for f in scatter3d_pixel_color scatter3d_cluster_k2 scatter3d_cluster_k3 \
           scatter3d_cluster_k4 image_output_k2-4 elbow_k2-4; do
    [ -f "figs/$f.png" ] || die "no figs/$f.png"
  done
  [ "$("$INSPECT" size figs/elbow_k2-4.png)" = "800 500" ] || die "elbow size"
  "$PLOTCHECK" grid figs/image_output_k2-4.png 2 4 sw_k || die "grid"
  [ ! -e output ] && [ ! -e sw_k2-4.png ] || die "grid written twice"
  # stdout stays one JSON array, and the CSV's inertia is the JSON's
  [ "$(head -c 1 .stdout)" = "[" ] && ! grep -q figure .stdout || die "stdout: $(cat .stdout)"
  [ "$(head -1 figs/elbow_k2-4.csv)" = "k,inertia,mse,psnr,delta_e_mean,delta_e_max" ] || die "csv header"
  local from_json from_csv
  from_json=$(grep -o '"k":[0-9]*,"seed":[0-9]*,"n_iter":[0-9]*,"inertia":[^,]*' .stdout |
              sed -E 's/"k":([0-9]+),.*"inertia":(.*)/\1,\2/')
  from_csv=$(tail -n +2 figs/elbow_k2-4.csv | cut -d, -f1,2)
  [ "$(echo "$from_json" | wc -l)" -eq 3 ] && [ "$from_json" = "$from_csv" ] ||
    die "csv and json disagree: $from_csv vs $from_json"
  # MSE of the rounded recolouring: inertia / (3N) plus at most 0.25 of
  # rounding per channel; PSNR from that MSE
  awk -F, 'NR > 1 { d = $3 - $2 / (3 * 76800); p = 10 * log(65025 / $3) / log(10);
           if (d < -1e-6 || d > 0.25 || (p - $4) ^ 2 > 1e-12) exit 1
           if (!($5 > 0 && $6 >= $5)) exit 2 }' \
      figs/elbow_k2-4.csv || die "mse/psnr: $(cat figs/elbow_k2-4.csv)"
}

case_plots_deterministic() {
  expect_ok -q -k 2..3 --plots-dir a "$PHOTO" x.png
  expect_ok -q -k 2..3 --plots-dir b "$PHOTO" y.png
  [ "$(ls a | wc -l)" -eq 6 ] || die "a holds $(ls a)"
  for f in a/*; do
    cmp -s "$f" "b/${f#a/}" || die "$f differs between runs"
  done
}

case_plots_view() {
  expect_ok -q -k 2 --plots --view 0,90 "$PHOTO" v.png
  expect_ok -q -k 2 --plots-dir d2 --view -30.5,-10 "$PHOTO" v.png
  expect_ok -q -k 2 --plots-dir d3 "$PHOTO" v.png
  cmp -s output/scatter3d_pixel_color.png d3/scatter3d_pixel_color.png && die "--view 0,90 changed nothing"
  cmp -s d2/scatter3d_pixel_color.png d3/scatter3d_pixel_color.png && die "--view -30.5,-10 changed nothing"
  expect_error 64 "--view: invalid value '45'" --view 45 "$PHOTO" o.png
  expect_error 64 "--view: invalid value '45,91'" --view 45,91 "$PHOTO" o.png
  expect_error 64 "--view: invalid value 'a,b'" --view a,b "$PHOTO" o.png
  expect_error 64 "--view: invalid value '45,30x'" --view 45,30x "$PHOTO" o.png
  expect_error 64 "--view: invalid value ',30'" --view ,30 "$PHOTO" o.png
  expect_error 64 "--view: invalid value 'nan,3'" --view nan,3 "$PHOTO" o.png
  expect_error 64 "--plots-dir: invalid value ''" --plots-dir "" "$PHOTO" o.png
}

case_plots_dir_unwritable() {
  echo file >plainfile
  expect_error 73 "plainfile/figs: cannot create folder: Not a directory" -k 2 --plots-dir plainfile/figs "$PHOTO" o.png
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
    local want
    want="\"k\":$k,\"seed\":42,\"n_iter\":$(sk_field "$k" 10 n_iter),\"inertia\":$(sk_g17 "$(sk_field "$k" 10 inertia)"),"
    grep -qF "$want" .stdout || die "k=$k: no '$want' in $(cat .stdout)"
    [ "$(csv_rows "s_k$k.csv")" -eq "$k" ] || die "s_k$k.csv rows"
  done
  [ "$(grep -c '"sklearn":true' .stdout)" -eq 3 ] || die "json lacks sklearn:true"
  expect_ok --json -k 2 "$SK_COFFEE" plain.png
  grep -q '"sklearn":false' .stdout || die "plain run: $(cat .stdout)"
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
  local crc=$((0xFFFFFFFF)) byte
  for byte in "$@"; do
    crc=$((crc ^ 0x$byte))
    for _ in 1 2 3 4 5 6 7 8; do
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

# small_jpeg: writes src.jpg (16x8, from $PHOTO) and sets sof to the
# offset of its SOF0 marker.
small_jpeg() {
  expect_ok -q -k 4 --size 16x8 "$PHOTO" src.jpg
  sof=$(offset_of src.jpg ff c0)
  [ -n "$sof" ] || die "no SOF0 marker in src.jpg"
}

# patched FILE OFFSET HEX...: FILE, a copy of src.jpg with those bytes at
# OFFSET.
patched() {
  local file=$1 at=$2
  shift 2
  cp src.jpg "$file"
  bytes "$@" | dd of="$file" bs=1 seek="$at" conv=notrunc status=none
}

# A JPEG whose EXIF orientation is 6 (stored turned a quarter to the left)
# is clustered upright, and reported by its upright size; with
# --ignore-orientation as stored.
case_jpeg_exif_orientation() {
  small_jpeg
  # APP1 after SOI: "Exif", big-endian TIFF, IFD0 with Orientation = 6
  { head -c 2 src.jpg
    bytes ff e1 00 22 45 78 69 66 00 00 4d 4d 00 2a 00 00 00 08 00 01 \
      01 12 00 03 00 00 00 01 00 06 00 00 00 00 00 00
    tail -c +3 src.jpg; } >turned.jpg
  expect_ok -k 2 --size native turned.jpg up.png
  grep -q '^input: *turned.jpg (8x16), clustered at 8x16$' .stdout || die "summary: $(head -1 .stdout)"
  [ "$("$INSPECT" size up.png)" = "8 16" ] || die "upright size $("$INSPECT" size up.png)"
  expect_ok -q -k 2 --size native --ignore-orientation turned.jpg stored.png
  [ "$("$INSPECT" size stored.png)" = "16 8" ] || die "stored size $("$INSPECT" size stored.png)"
  expect_ok -q -k 2 --size native src.jpg plain.png
  cmp -s stored.png plain.png || die "--ignore-orientation differs from the untagged file"
  expect_ok -q -k 2 --size 4x6 turned.jpg small.png
  [ "$("$INSPECT" size small.png)" = "4 6" ] || die "resized size"
}

ICC_FIXTURE=$(dirname "$INSPECT")/kq_icc_fixture

# mean_rgb FILE [OPTIONS...]: the k=1 centroid (the mean colour) as "r g b",
# rounded.
mean_rgb() {
  local file=$1
  shift
  run -q -k 1 --size native --centroids - "$@" "$file" mean.png
  [ "$status" -eq 0 ] || die "k=1 on $file: exit $status"
  tail -n 1 .stdout | awk -F, '{printf "%.0f %.0f %.0f\n", $2, $3, $4}'
}

# Embedded colour profiles: a Display P3 JPEG, PNG or WebP is clustered in sRGB
# (P3 is wider: the coffee's mean gets redder and less blue), its stored
# numbers with --ignore-color-profile, and an sRGB-tagged JPEG gives the
# very outputs of the same JPEG untagged.
case_color_profile() {
  for p in none p3 srgb; do
    "$ICC_FIXTURE" "$p" "$PHOTO" "$p.jpg" || die "no $p.jpg"
  done
  for f in p3.png none.png p3.webp none.webp; do
    "$ICC_FIXTURE" "${f%.*}" "$PHOTO" "$f" || die "no $f"
  done
  expect_ok -q -k 8 none.jpg none_k8.png
  expect_ok -k 8 srgb.jpg srgb_k8.png
  ! grep -q '^profile:' .stdout || die "sRGB reported as converted: $(cat .stdout)"
  cmp -s none_k8.png srgb_k8.png && cmp -s none_k8.csv srgb_k8.csv ||
    die "sRGB-tagged JPEG clustered unlike the untagged one"
  local stored converted
  for f in p3.jpg p3.png p3.webp; do
    stored=$(mean_rgb "$f" --ignore-color-profile)
    [ "$stored" = "$(mean_rgb "none.${f##*.}")" ] || die "$f ignored: $stored"
    converted=$(mean_rgb "$f")
    read -r sr _ sb <<<"$stored"
    read -r cr _ cb <<<"$converted"
    ((cr >= sr + 3 && cb <= sb - 3)) || die "$f: mean $stored -> $converted"
  done
  # the tutorial size decodes the JPEG reduced: converted all the same
  expect_ok -k 8 p3.jpg small_p3.png
  grep -q '^profile:    Display P3 (kquant test), turned into sRGB$' .stdout ||
    die "summary: $(head -3 .stdout)"
  expect_ok -k 8 --json p3.jpg small_p3.png
  grep -q '"color_profile":"Display P3 (kquant test)"' .stdout || die "json: $(cat .stdout)"
  expect_ok -q -k 8 --ignore-color-profile p3.jpg small_stored.png
  expect_ok -q -k 8 none.jpg small_none.png
  cmp -s small_stored.png small_none.png || die "reduced, ignored: differs from untagged"
  ! cmp -s small_p3.png small_none.png || die "reduced decode not converted"
}

# For the format of extension $1: p3.$1 (a Display P3 profile) is named
# and turned into sRGB; c.$1 cut to 3000 bytes is refused as truncated,
# the message going on with $2; c.$1 is held to --max-pixels.
expect_profile_cut_and_limit() {
  local ext=$1 reason=$2
  expect_ok -k 8 "p3.$ext" p3.png
  grep -q '^profile:    Display P3 (kquant test), turned into sRGB$' .stdout || die "p3.$ext: $(head -3 .stdout)"
  head -c 3000 "c.$ext" >"cut.$ext"
  expect_error 65 "cut.$ext: corrupt or truncated image \($reason" -k 8 "cut.$ext" o.png
  expect_error 65 "exceeds the limit of 1000 pixels" -k 2 --size 10x10 --max-pixels 1000 "c.$ext" o.png
}

# HEIC and AVIF (libheif, opened when such a file comes): recoloured like
# the PNG they were encoded from (lossy: the mean colour within 2 levels),
# a Display P3 HEIC turned into sRGB, a truncated one refused in one line,
# the pixel limit read from the header. Fixtures made by kq_icc_fixture
# with libheif's encoders; skipped where this libheif has none.
case_heif_input() {
  "$ICC_FIXTURE" none "$PHOTO" c.heic && "$ICC_FIXTURE" none "$PHOTO" c.avif &&
    "$ICC_FIXTURE" p3 "$PHOTO" p3.heic || skip "libheif cannot encode HEIC or AVIF here"
  local want got
  want=$(mean_rgb "$PHOTO")
  for f in c.heic c.avif; do
    expect_ok -k 8 "$f" "$f.png"
    grep -q "^input: *$f (600x400), clustered at 240x320$" .stdout || die "summary: $(head -1 .stdout)"
    [ "$(csv_rows "$f.csv")" -eq 8 ] || die "$f.csv rows"
    got=$(mean_rgb "$f")
    local -a w g
    read -r -a w <<<"$want"
    read -r -a g <<<"$got"
    for c in 0 1 2; do
      ((g[c] - w[c] <= 2 && w[c] - g[c] <= 2)) || die "$f mean $got, PNG $want"
    done
  done
  expect_profile_cut_and_limit heic "a HEIF file"
}

# Runs "$KQ" "$@" with the library of soname $1 hidden in a private mount
# namespace (bind-mounted over by /dev/null), output in .stdout/.stderr,
# setting $rc; skips the case when this machine cannot (root and
# unshare(1) needed).
run_without_library() {
  local soname=$1 lib
  shift
  lib=$(ldconfig -p | awk -v so="$soname" '$1 == so {print $NF; exit}')
  [ -n "$lib" ] && [ "$(id -u)" -eq 0 ] && command -v unshare >/dev/null &&
    unshare -m true 2>/dev/null || skip "cannot hide $soname here (root and unshare needed)"
  unshare -m sh -c 'mount --bind /dev/null "$1" && shift && exec "$@"' sh \
    "$(readlink -f "$lib")" "$KQ" "$@" >.stdout 2>.stderr
  rc=$?
}

# Without libheif (libtiff) a HEIC (TIFF) is refused with exit 70, naming
# the package, and every other format still reads: those libraries are
# opened on use only.
expect_library_missing() {
  local soname=$1 file=$2 package=$3 what=$4
  run_without_library "$soname" -k 3 "$file" o.png
  [ "$rc" -eq 70 ] || die "exit $rc: $(cat .stderr)"
  [ "$(wc -l <.stderr)" -eq 1 ] && grep -q "^kquant: $file: cannot load ${package%[0-9]} (.*); $what needs Debian's $package$" .stderr ||
    die "said: $(cat .stderr)"
  [ ! -e o.png ] || die "wrote o.png"
  run_without_library "$soname" -q -k 3 "$PHOTO" p.png
  [ "$rc" -eq 0 ] || die "PNG failed without $soname: $(cat .stderr)"
}

case_heif_library_missing() {
  "$ICC_FIXTURE" none "$PHOTO" c.heic || skip "libheif cannot encode HEIC here"
  expect_library_missing libheif.so.1 c.heic libheif1 "HEIC and AVIF input"
}

# TIFF input (libtiff, opened on use): an LZW TIFF of the tutorial photo
# clusters to the very outputs its PNG gives; its Orientation tag turns it
# (--ignore-orientation keeps it as stored); an embedded P3 profile is
# named and applied; cut short, or too large, it is refused.
case_tiff_input() {
  local data=$SRC/tests/data
  "$ICC_FIXTURE" none "$data/coffee_240x320.png" c.tif || die "fixture"
  expect_ok -q -k 8 "$data/coffee_240x320.png" png.png
  expect_ok -k 8 c.tif tif.png
  grep -q '^input: *c.tif (240x320), clustered at 240x320$' .stdout || die "summary: $(head -1 .stdout)"
  cmp -s png.png tif.png && cmp -s png.csv tif.csv || die "TIFF clustered unlike its PNG"
  TIFF_ORIENTATION=6 "$ICC_FIXTURE" none "$data/coffee_240x320.png" turned.tif || die "fixture"
  expect_ok -k 8 --size native turned.tif turned.png
  grep -q '^input: *turned.tif (320x240), clustered at 320x240$' .stdout || die "turned: $(head -1 .stdout)"
  expect_ok -k 8 --size native --ignore-orientation turned.tif stored.png
  cmp -s stored.csv png.csv || die "--ignore-orientation: not the stored pixels"
  "$ICC_FIXTURE" p3 "$PHOTO" p3.tif || die "fixture"
  expect_profile_cut_and_limit tif "a TIFF file libtiff cannot read: "
}

case_tiff_library_missing() {
  "$ICC_FIXTURE" none "$PHOTO" c.tif || die "fixture"
  expect_library_missing libtiff.so.6 c.tif libtiff6 "TIFF input"
}

# WebP input: a lossless file clusters to the very outputs its PNG gives; a
# lossy one at the tutorial size runs too; an animated one is read by its
# first frame on its 16x12 canvas, like a GIF: three colours on white, the
# lower half of the frame at alpha 128; cut short, it is refused as
# truncated (fixtures: tests/fixtures/gen_webp.sh).
case_webp_input() {
  local data=$SRC/tests/data
  expect_ok -q -k 3 --size native "$data/few_colours_24x16.png" png.png
  expect_ok -q -k 3 --size native "$data/few_colours_24x16.webp" webp.png
  cmp -s png.png webp.png && cmp -s png.csv webp.csv || die "lossless WebP clustered unlike its PNG"
  expect_ok -k 8 "$data/coffee_240x320.webp" lossy.png
  grep -q '^input: .*coffee_240x320.webp (240x320), clustered at 240x320$' .stdout || die "summary: $(head -1 .stdout)"
  [ "$(csv_rows lossy.csv)" -eq 8 ] || die "lossy WebP: $(csv_rows lossy.csv) rows"
  expect_ok -k 3 --size native "$data/animated_16x12.webp" anim.png
  grep -q '^input: .*animated_16x12.webp (16x12), clustered at 16x12$' .stdout || die "summary: $(head -1 .stdout)"
  [ "$(tail -n +2 anim.csv | cut -d, -f5,6 | sort | tr '\n' ' ')" = "#899DED,24 #C81E28,24 #FFFFFF,144 " ] ||
    die "animated WebP: $(cat anim.csv)"
  head -c 150 "$data/animated_16x12.webp" >cut.webp # inside frame 3
  expect_refused 65 "cut.webp: corrupt or truncated image \(a WebP file libwebp cannot decode\)" cut.webp
}

case_jpeg_claiming_zero_size() {
  local sof
  small_jpeg
  # SOF0: marker (2), length (2), precision (1), height (2), width (2).
  patched zero.jpg $((sof + 5)) 00 00 00 00
  expect_refused 65 "zero.jpg: corrupt or truncated image \(a JPEG file whose header cannot be read\)" zero.jpg
}

# A JPEG cut inside the metadata before its frame header (EXIF or ICC
# segments run to tens of KiB) is truncated, not of an unknown type.
case_jpeg_cut_in_its_metadata() {
  local sof
  small_jpeg
  { head -c 2 src.jpg
    bytes ff fe 0f a0 # a comment segment of 4000 bytes (its length included)
    head -c 3998 /dev/zero | tr '\0' 'x'
    tail -c +3 src.jpg; } >meta.jpg
  expect_ok -q -k 4 meta.jpg whole.png
  head -c 2000 meta.jpg >cut.jpg
  expect_refused 65 "cut.jpg: corrupt or truncated image \(a JPEG file whose header cannot be read\)" cut.jpg
}

# Frames coded other than baseline or progressive Huffman are named.
case_jpeg_codings_not_read() {
  local sof
  small_jpeg
  patched arith.jpg $((sof + 1)) c9
  expect_refused 65 "arith.jpg: not a supported image: an arithmetic-coded JPEG \(kquant reads baseline and progressive JPEGs\)" arith.jpg
  patched lossless.jpg $((sof + 1)) c3
  expect_refused 65 "lossless.jpg: not a supported image: a lossless JPEG" lossless.jpg
}

# A compressed BMP is named: ImageMagick's palette BMPs are RLE8, and
# stb_image reads uncompressed BMPs only. This one is 2x2, 8-bit, RLE8.
case_compressed_bmp_named() {
  { bytes 42 4d 46 00 00 00 00 00 00 00 3e 00 00 00 # file header
    bytes 28 00 00 00 02 00 00 00 02 00 00 00 01 00 08 00 # 40, 2x2, 8 bit
    bytes 01 00 00 00 08 00 00 00 13 0b 00 00 13 0b 00 00 # RLE8
    bytes 02 00 00 00 00 00 00 00 00 00 ff 00 ff 00 00 00 # red, blue
    bytes 02 00 00 00 02 01 00 01; } >rle8.bmp # a row of each, the end
  expect_refused 65 "rle8.bmp: not a supported image: a BMP compressed with RLE8 \(kquant reads uncompressed BMPs\)" rle8.bmp
}

case_fifo_and_endless_inputs() {
  mkfifo fifo.png
  local KQ_CLI_WRAPPER="timeout 60 ${KQ_CLI_WRAPPER:-}"
  expect_refused 65 "fifo.png: empty file" fifo.png
  expect_refused 65 "/dev/zero: file exceeds the limit of 67108864 bytes" /dev/zero
  # A pipe is read like any stream: a real image through it works, named
  # /dev/stdin or -; a file named - is ./-.
  cat "$PHOTO" | expect_ok -q -k 2 /dev/stdin piped.png
  "$INSPECT" size piped.png >/dev/null || die "piped input gave no image"
  expect_ok -q -k 2 "$PHOTO" direct.png
  cat "$PHOTO" | expect_ok -q -k 2 - dash.png
  cmp -s direct.png dash.png || die "- did not read the image from stdin"
  expect_refused 65 "/dev/stdin: empty file" - </dev/null
  cp "$PHOTO" ./-
  expect_ok -q -k 2 ./- named.png
  cmp -s direct.png named.png || die "./- did not read the file named -"
}

# refused_on_terminal "ARGS" MESSAGE: kquant ARGS, run with a terminal on
# stdin and stdout (script(1) gives it one; its messages come back on
# script's stdout), must refuse with exit 64 and MESSAGE.
refused_on_terminal() {
  command -v script >/dev/null &&
    script -qec "test -t 0 && test -t 1" /dev/null </dev/null >/dev/null ||
    skip "no script(1), or no terminal it can open here"
  local out rc
  out=$(timeout 30 script -qec "$KQ $1" /dev/null </dev/null)
  rc=$?
  [ "$rc" -eq 64 ] || die "exit $rc: $out"
  [[ "$out" == *"kquant: usage: $2"* ]] || die "said: $out"
}

# INPUT - on a terminal would wait for bytes nobody types: refused.
case_stdin_terminal_refused() {
  refused_on_terminal "-k 2 - t.png" "INPUT - is stdin, which is a terminal"
  [ ! -e t.png ] || die "wrote t.png"
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

case_sigpipe_cleans_up() {
  signal_run PIPE 141
  # a reader that stops early: 141, as for any writer, and no leftovers
  local rc
  ${KQ_CLI_WRAPPER:-} "$KQ" -k 2..60 --centroids - "$PHOTO" s.png | head -1 >first.txt
  rc=${PIPESTATUS[0]}
  [ "$rc" -eq 141 ] || die "| head -1: exit $rc"
  [ "$(cat first.txt)" = "k,cluster,r,g,b,hex,pixels,share" ] || die "first line: $(cat first.txt)"
  ! compgen -G '.s_k*' >/dev/null || die "temporary file left: $(ls -A)"
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
  # over 1 MiB of 4-bit rows: deflated in 4 segments on the threads
  expect_ok -q -j 1 -k 16 --size 1500x1400 "$PHOTO" b1.png
  expect_ok -q -j 2 -k 16 --size 1500x1400 "$PHOTO" b2.png
  cmp -s b1.png b2.png || die "-j 1 and -j 2 segmented PNGs differ"
  [ "$(grep -ao IDAT b1.png | wc -l)" -ge 4 ] || die "no segments in b1.png"
  expect_error 64 "-j: invalid value '-1'" -j -1 "$PHOTO" o.png
  expect_error 64 "--threads: invalid value 'x'" --threads x "$PHOTO" o.png
  expect_ok -q -j 256 -k 3 "$PHOTO" s256.png # the largest -j the help gives
  cmp -s s1.png s256.png || die "-j 1 and -j 256 differ"
  expect_error 64 "-j: invalid value '257'" -j 257 "$PHOTO" o.png
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
    local plural=s
    [ "$u" -gt 1 ] || plural=""
    [ "$(cat .stderr)" = "kquant: note: the image has only $u distinct colour$plural; using k=$u" ] || die "stderr for $u colours: $(cat .stderr)"
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
