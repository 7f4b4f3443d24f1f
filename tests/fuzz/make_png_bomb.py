#!/usr/bin/python3
"""Writes tests/fuzz/regressions/png_inflate_bomb.png: a valid 1x1 RGB PNG
whose IDAT inflates to 64 MiB (the image needs 4 bytes). stb_image 2.27
inflates PNG data without a limit (up to 4 GiB), so a few megabytes of such
data would take gigabytes of memory; kquant refused it before stb ran. Since
PNGs go through libpng, which kquant lets inflate only the image's rows,
it decodes as the 1x1 image it claims to be."""
import os
import struct
import zlib


def chunk(kind, data):
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\0" * (64 << 20), 9)
    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat)
           + chunk(b"IEND", b""))
    with open(os.path.join(here, "regressions", "png_inflate_bomb.png"), "wb") as f:
        f.write(png)


if __name__ == "__main__":
    main()
