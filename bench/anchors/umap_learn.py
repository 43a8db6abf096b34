"""Anchor for bench/umap.bench.ts: umap-learn on the first N Fashion-MNIST training images.

usage: umap_learn.py IDX_GZ N OUT_PREFIX [--seed S] [--knn-only]
  Reads the first N images (raw pixels / 255), runs umap.UMAP(n_neighbors=15, min_dist=0.1)
  .fit_transform and writes OUT_PREFIX.f32 (N x 2 float32, row-major) and prints one JSON line
  {"seconds": fit_transform wall time, "import_seconds": ..., "n": N, "version": ...}.
  Without --seed umap-learn runs its numba loops in parallel (its fastest setting); with a seed
  it is single-threaded and reproducible. The time includes numba's JIT compilation, as a
  fresh `python3` run pays it.
  --knn-only: instead writes OUT_PREFIX.knn.i32 / .knn.f32 (N x 15 exact Euclidean neighbours,
  self first) for profiling and tests.
"""
import gzip
import json
import struct
import sys
import time

import numpy as np


def read_idx_images(path, n):
    with gzip.open(path, "rb") as f:
        magic, count, rows, cols = struct.unpack(">IIII", f.read(16))
        if magic != 2051:
            raise SystemExit(f"{path}: byte 0: magic {magic}, expected 2051 (IDX unsigned-byte images)")
        n = min(n, count)
        data = np.frombuffer(f.read(n * rows * cols), dtype=np.uint8)
    return data.reshape(n, rows * cols).astype(np.float32) / 255.0


def main():
    args = sys.argv[1:]
    seed = None
    if "--seed" in args:
        i = args.index("--seed")
        seed = int(args[i + 1])
        del args[i : i + 2]
    knn_only = "--knn-only" in args
    args = [a for a in args if a != "--knn-only"]
    path, n, out = args[0], int(args[1]), args[2]
    x = read_idx_images(path, n)
    if knn_only:
        sq = (x * x).sum(1)
        k = 15
        idx = np.empty((len(x), k), dtype=np.int32)
        dist = np.empty((len(x), k), dtype=np.float32)
        for s in range(0, len(x), 1000):
            d = sq[s : s + 1000, None] + sq[None, :] - 2 * x[s : s + 1000] @ x.T
            np.maximum(d, 0, out=d)
            part = np.argsort(d, axis=1, kind="stable")[:, :k]
            idx[s : s + 1000] = part
            dist[s : s + 1000] = np.sqrt(np.take_along_axis(d, part, 1))
        idx.tofile(out + ".knn.i32")
        dist.tofile(out + ".knn.f32")
        return
    t0 = time.perf_counter()
    import umap

    t1 = time.perf_counter()
    model = umap.UMAP(n_neighbors=15, min_dist=0.1, n_components=2, random_state=seed)
    emb = model.fit_transform(x)
    t2 = time.perf_counter()
    np.ascontiguousarray(emb, dtype=np.float32).tofile(out + ".f32")
    print(json.dumps({"seconds": t2 - t1, "import_seconds": t1 - t0, "n": len(x), "version": umap.__version__}))


if __name__ == "__main__":
    main()
