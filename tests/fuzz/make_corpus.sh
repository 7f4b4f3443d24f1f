#!/bin/sh
# Regenerates the fuzzing seed corpus (tests/fuzz/corpus/) from the bundled
# photo with ImageMagick: small, valid files of every format kquant
# decodes, in colour, grey and with alpha (not Radiance HDR, which kquant
# refuses: see SECURITY.md). Run from anywhere; needs convert, img2webp
# and the tests' kq_icc_fixture (built in build/, or KQ_ICC_FIXTURE).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
icc_fixture=${KQ_ICC_FIXTURE:-$here/../../build/tests/kq_icc_fixture}
photo=$here/../../images_input/coffee.png
out=$here/corpus
rm -rf "$out"
mkdir -p "$out"
small="-resize 12x8!"
tiny="-resize 5x3!"
alpha="-alpha set -channel A -fx (i+j)%3/2 +channel"
c() { convert "$photo" "$@"; }
# shellcheck disable=SC2086
{
  c $small -strip "PNG24:$out/rgb.png"
  c $small -strip -colorspace Gray "$out/grey.png"
  c $small -strip -colorspace Gray $alpha -type GrayscaleAlpha "$out/grey_alpha.png"
  c $small -strip $alpha "PNG32:$out/rgba.png"
  c $small -strip -colors 7 "PNG8:$out/palette.png"
  c $small -strip -depth 16 "PNG48:$out/rgb16.png"
  c $tiny -strip -interlace PNG "PNG24:$out/interlaced.png"
  c $tiny -strip -interlace PNG -colors 5 "PNG8:$out/interlaced_palette.png"
  c $small -strip -quality 80 "$out/baseline.jpg"
  c $small -strip -quality 80 -interlace JPEG "$out/progressive.jpg"
  c $small -strip -colorspace Gray "$out/grey.jpg"
  c $small -strip -sampling-factor 2x2 "$out/sub420.jpg"
  c $small "BMP3:$out/rgb24.bmp"
  c $small $alpha "BMP:$out/rgba32.bmp"
  c $small -colors 7 -type Palette "BMP3:$out/palette8.bmp"
  c $small "$out/rgb.tga"
  c $small -compress RLE "$out/rle.tga"
  c $small -colorspace Gray "$out/grey.tga"
  c $small -colors 7 \( +clone -negate \) -delay 10 "$out/animated.gif"
  c $small $alpha -colors 7 "$out/transparent.gif"
  c $small "$out/rgb.psd"
  c $small $alpha "$out/rgba.psd"
  c $small "$out/rgb.ppm"
  c $small -colorspace Gray "$out/grey.pgm"
  c $small -strip -quality 75 "$out/lossy.webp"
  c $small -strip $alpha -define webp:lossless=true "$out/lossless_alpha.webp"
  # An animated WebP, a lossless frame with alpha then a lossy one, joined
  # by img2webp (Debian's webp package): ImageMagick 6.9.11 writes
  # animated WebPs whose RIFF size is wrong.
  c $small -strip $alpha "PNG32:$out/frame1.png.tmp"
  c $small -strip -negate "PNG24:$out/frame2.png.tmp"
  img2webp -lossless "$out/frame1.png.tmp" -lossy -q 75 "$out/frame2.png.tmp" \
    -o "$out/animated.webp"
  rm "$out/frame1.png.tmp" "$out/frame2.png.tmp"
  # A JPEG with an EXIF orientation (6, a quarter turn): APP1 after SOI.
  c $small -strip -quality 80 "JPEG:$out/turned.jpg.tmp"
  { head -c 2 "$out/turned.jpg.tmp"
    printf '\377\341\000\042Exif\000\000MM\000\052\000\000\000\010\000\001'
    printf '\001\022\000\003\000\000\000\001\000\006\000\000\000\000\000\000'
    tail -c +3 "$out/turned.jpg.tmp"; } >"$out/turned.jpg"
  rm "$out/turned.jpg.tmp"
  # A JPEG the loader decodes at 1/8: odd sides (partial last blocks), and
  # bytes after its end that pick a 1x2 target (pipeline.c reads the last
  # three bytes; decoders ignore what follows the end marker).
  c -resize '61x45!' -strip -quality 80 "$out/reduced.jpg"
  printf '\003\001\000' >>"$out/reduced.jpg"
  # Display P3 profiles in each format that carries one: the profile
  # readers and the conversion to sRGB.
  c $small -strip "PNG24:$out/p3.png.tmp"
  for f in p3.jpg p3.png p3.webp p3.heic; do
    "$icc_fixture" p3 "$out/p3.png.tmp" "$out/$f"
  done
  "$icc_fixture" none "$out/p3.png.tmp" "$out/plain.avif"
  "$icc_fixture" p3 "$out/p3.png.tmp" "$out/p3.tif"
  rm "$out/p3.png.tmp"
  # TIFFs through libtiff's paths: strips and tiles, contiguous and
  # separate planes, 16 bits, alpha, palette, 1-bit, JPEG inside, a turn.
  c $small -compress lzw "$out/lzw.tif"
  c $small $alpha -compress zip -define tiff:tile-geometry=16x16 "$out/tiled_alpha.tif"
  c $tiny -depth 16 -interlace plane "$out/planes16.tif"
  c $small -colors 7 -type Palette "$out/palette.tif"
  c $small -monochrome -compress group4 "$out/bilevel.tif"
  c $small -compress jpeg -quality 80 "$out/jpeg.tif"
  c $tiny -orient RightTop -define tiff:endian=msb "$out/turned_msb.tif"
}
ls -l "$out"
