#!/bin/sh
# Prints the sRGB -> CIE L*a*b* reference values of tests/unit/test_color.c,
# computed by ImageMagick 6 (Q16 HDRI), an implementation independent of
# ours. Its 16-bit quantum and 6-digit output explain the test's 0.01
# tolerance.
for c in 255,0,0 0,255,0 0,0,255 119,119,119 200,150,50 10,20,30; do
  printf '%s -> ' "$c"
  convert -depth 32 -define quantum:format=floating-point xc:"rgb($c)" \
    -colorspace Lab txt:- | tail -1 | sed 's/.*cielab/cielab/'
done
