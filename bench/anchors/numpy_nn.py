"""Anchor of bench/leaks.bench.ts: brute-force 1-NN of every query image among the reference
images with NumPy (BLAS matrix products, squared distances ‖q‖² − 2q·r + ‖r‖²), pixels / 255 as
simlab's raw features. Timed apart: reading the two IDX files into float32 matrices ("load") and
the search ("seconds"); the caller times the whole process (interpreter, NumPy import, writing).
Usage: numpy_nn.py REF_IDX QUERY_IDX OUT_BIN → OUT_BIN: int32 index then float32 distance per
query; last stdout line: {"seconds": search s, "load": read s}."""
import json, sys, time
import numpy as np


def read_idx(path):
    with open(path, 'rb') as f:
        buf = f.read()
    n, h, w = (int.from_bytes(buf[o:o + 4], 'big') for o in (4, 8, 12))
    return np.frombuffer(buf, dtype=np.uint8, offset=16).reshape(n, h * w).astype(np.float32) / 255.0


t = time.perf_counter()
ref, query = read_idx(sys.argv[1]), read_idx(sys.argv[2])
load = time.perf_counter() - t
t = time.perf_counter()
rn = (ref * ref).sum(1)
idx = np.empty(len(query), np.int32)
dist = np.empty(len(query), np.float32)
for s in range(0, len(query), 1000):
    q = query[s:s + 1000]
    d2 = rn[None, :] - 2.0 * (q @ ref.T) + (q * q).sum(1)[:, None]
    i = d2.argmin(1)
    idx[s:s + 1000] = i
    dist[s:s + 1000] = np.sqrt(np.maximum(d2[np.arange(len(q)), i], 0))
seconds = time.perf_counter() - t
with open(sys.argv[3], 'wb') as f:
    f.write(idx.tobytes())
    f.write(dist.tobytes())
print(json.dumps({"seconds": seconds, "load": load}))
