#!/bin/sh
# Installs what kquant needs to build and test on Debian 12 (as root, or
# through sudo when not root).
set -eu
packages="build-essential cmake pkg-config libstb-dev libcurl4-openssl-dev
libcmocka-dev libpng-dev zlib1g-dev libdeflate-dev libjpeg-dev libexif-dev libwebp-dev liblcms2-dev
libheif-dev libtiff-dev
ca-certificates openssl"
# ca-certificates: the CA store for https; openssl: the TLS test's server
# hardening (issue 8): the fuzz target (clang + its libFuzzer and sanitizer
# runtimes, only recommended by clang) and the valgrind run in .ci/run.
packages="$packages clang libclang-rt-14-dev valgrind"
if [ "$(id -u)" -eq 0 ]; then as_root=""; else as_root="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$as_root apt-get update -qq
# shellcheck disable=SC2086
$as_root apt-get install -y -qq --no-install-recommends $packages >/dev/null
