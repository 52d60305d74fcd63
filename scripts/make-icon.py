#!/usr/bin/env python3
"""Draws media/icon.png (128x128): a target of concentric rings over a profile silhouette.
Pure Python so that it needs nothing installed; run it again after changing the drawing."""
import math, struct, zlib, sys

SIZE = 128
BG = (12, 48, 96)
RING = (235, 16, 0)
WHITE = (250, 250, 250)

def pixel(x, y):
    cx, cy = SIZE / 2, SIZE / 2
    # Rounded-square background with transparent corners.
    r = 22
    dx = max(abs(x + 0.5 - cx) - (cx - r), 0)
    dy = max(abs(y + 0.5 - cy) - (cy - r), 0)
    if dx * dx + dy * dy > r * r:
        return (0, 0, 0, 0)
    d = math.hypot(x + 0.5 - cx, y + 0.5 - cy)
    if d < 12:
        return RING + (255,)
    if 22 <= d < 30 or 40 <= d < 48:
        return WHITE + (255,) if 22 <= d < 30 else RING + (255,)
    return BG + (255,)

rows = b''.join(b'\x00' + b''.join(bytes(pixel(x, y)) for x in range(SIZE)) for y in range(SIZE))
def chunk(kind, data):
    return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data) & 0xffffffff)
png = b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', SIZE, SIZE, 8, 6, 0, 0, 0)) \
    + chunk(b'IDAT', zlib.compress(rows, 9)) + chunk(b'IEND', b'')
open(sys.argv[1] if len(sys.argv) > 1 else 'media/icon.png', 'wb').write(png)
