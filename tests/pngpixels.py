"""Read the pixels of a PNG (8-bit RGB or RGBA, not interlaced: what cairo and Chromium
write) without an imaging library: the tests look at what a figure shows."""

from __future__ import annotations

import struct
import zlib

Pixel = tuple[int, ...]


def pixels(png: bytes) -> list[list[Pixel]]:
    """Rows of (r, g, b[, a]) tuples."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, data, header = 8, b"", b""
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        kind, body = png[pos + 4 : pos + 8], png[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            data += body
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and colour in (2, 6) and interlace == 0, f"unsupported PNG: depth {depth}, colour type {colour}"
    step = 4 if colour == 6 else 3
    raw, stride = zlib.decompress(data), width * step
    rows: list[list[Pixel]] = []
    previous = bytearray(stride)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for x in range(stride):
            left = line[x - step] if x >= step else 0
            up, corner = previous[x], previous[x - step] if x >= step else 0
            line[x] = (line[x] + _predict(kind, left, up, corner)) & 0xFF
        rows.append([tuple(line[i : i + step]) for i in range(0, stride, step)])
        previous = line
    return rows


def _predict(kind: int, left: int, up: int, corner: int) -> int:
    if kind == 0:
        return 0
    if kind == 1:
        return left
    if kind == 2:
        return up
    if kind == 3:
        return (left + up) // 2
    estimate = left + up - corner  # Paeth
    near = min((abs(estimate - left), 0, left), (abs(estimate - up), 1, up), (abs(estimate - corner), 2, corner))
    return near[2]


def coloured(png: bytes) -> int:
    """How many opaque pixels are clearly coloured (not black, grey or white): ink from a
    colour glyph or icon, never from text drawn in one grey."""
    return sum(1 for row in pixels(png) for p in row if (len(p) < 4 or p[3] > 128) and max(p[:3]) - min(p[:3]) > 80)


def inked(png: bytes) -> int:
    """How many opaque pixels are darker than the background."""
    return sum(1 for row in pixels(png) for p in row if (len(p) < 4 or p[3] > 128) and sum(p[:3]) < 600)
