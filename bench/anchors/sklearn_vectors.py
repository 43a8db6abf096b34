"""Anchors for bench/vectors.bench.ts: scikit-learn DBSCAN and brute-force NearestNeighbors on a
raw little-endian float32 matrix (n × dim) written by the bench. Only the fit / query is timed.
Prints one JSON object on stdout.

  sklearn_vectors.py dbscan FILE N DIM EPS MIN_PTS LABELS_OUT [N_JOBS]
  sklearn_vectors.py knn FILE N DIM N_QUERIES K [N_JOBS]
N_JOBS: scikit-learn's n_jobs (-1: every core, as the bench compares with our pool on every core).
"""
import json
import sys
import time

import numpy as np


def load(path, n, dim):
    return np.fromfile(path, dtype="<f4", count=n * dim).reshape(n, dim)


def main():
    mode, path, n, dim = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    x = load(path, n, dim)
    if mode == "dbscan":
        from sklearn.cluster import DBSCAN

        eps, min_pts, out = float(sys.argv[5]), int(sys.argv[6]), sys.argv[7]
        n_jobs = int(sys.argv[8]) if len(sys.argv) > 8 else None
        model = DBSCAN(eps=eps, min_samples=min_pts, n_jobs=n_jobs)
        t0 = time.perf_counter()
        model.fit(x)
        seconds = time.perf_counter() - t0
        model.labels_.astype("<i4").tofile(out)
        print(json.dumps({"seconds": seconds, "clusters": int(model.labels_.max() + 1)}))
    elif mode == "knn":
        from sklearn.neighbors import NearestNeighbors

        nq, k = int(sys.argv[5]), int(sys.argv[6])
        n_jobs = int(sys.argv[7]) if len(sys.argv) > 7 else None
        t0 = time.perf_counter()
        nn = NearestNeighbors(n_neighbors=k + 1, algorithm="brute", n_jobs=n_jobs).fit(x)
        nn.kneighbors(x[:nq])
        seconds = time.perf_counter() - t0
        print(json.dumps({"seconds": seconds}))
    else:
        raise SystemExit(f"unknown mode {mode}")


if __name__ == "__main__":
    main()
