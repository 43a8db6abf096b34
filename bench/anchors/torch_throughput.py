#!/usr/bin/env python3
"""Training throughput of the reference conv net in PyTorch on the CPU: the anchor of
bench/training.bench.ts. Same net, loss, optimiser, batch and input as ours:
conv32 3x3 relu - maxpool2 - conv64 3x3 relu - maxpool2 - flatten - dense64 relu - dense10,
softmax cross-entropy, Adam(1e-3), batch 64 of 28x28x1 (valid padding: 28-26-13-11-5).

--net batchnorm: the batch-norm variant (as our default conv2d encoder builds its blocks):
conv32 3x3 same no-bias - batchnorm - relu - maxpool2 - conv64 likewise - flatten - dense10.

usage: torch_throughput.py --threads N [--net reference|batchnorm] [--steps S] [--warmup W] [--batch B]
Prints one JSON line: {"samples_per_s": ..., "ms_per_step": ..., "cpu_ms_per_step": ..., "threads": N, "torch": version}
(cpu_ms_per_step: the process's CPU time per step, less sensitive than wall time to a busy machine).
Random inputs and labels (seeded): throughput does not depend on the pixel values.
"""
import argparse
import json
import os
import sys
import time

# torch.set_num_threads bounds ATen's pool only; Debian's torch also multiplies matrices with
# OpenBLAS, whose own threads (read from the environment when it loads) took this script to two
# cores of CPU time per core of wall time. The same thread count means every pool's.
if '--threads' in sys.argv[:-1]:
    for var in ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS'):
        os.environ[var] = sys.argv[sys.argv.index('--threads') + 1]

import torch  # noqa: E402 (after the thread settings)
from torch import nn


def reference_net() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * 5 * 5, 64), nn.ReLU(), nn.Linear(64, 10),
    )


def batchnorm_net() -> nn.Module:
    def block(cin: int, cout: int) -> list:
        # eps as tfjs-layers' default (1e-3); padding 1 = 'same' for 3x3.
        return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout, eps=1e-3), nn.ReLU(), nn.MaxPool2d(2)]
    return nn.Sequential(*block(1, 32), *block(32, 64), nn.Flatten(), nn.Linear(64 * 7 * 7, 10))


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument('--threads', type=int, required=True)
    p.add_argument('--steps', type=int, default=60)
    p.add_argument('--warmup', type=int, default=10)
    p.add_argument('--batch', type=int, default=64)
    p.add_argument('--net', choices=['reference', 'batchnorm'], default='reference')
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    net = reference_net() if a.net == 'reference' else batchnorm_net()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    # A pool of batches, cycled, so the timing is not of one cached batch.
    xs = [torch.rand(a.batch, 1, 28, 28) for _ in range(8)]
    ys = [torch.randint(0, 10, (a.batch,)) for _ in range(8)]

    def step(i: int) -> float:
        opt.zero_grad()
        loss = loss_fn(net(xs[i % 8]), ys[i % 8])
        loss.backward()
        opt.step()
        return loss.item()  # like ours, read the loss back every step

    for i in range(a.warmup):
        step(i)
    t0 = time.perf_counter()
    c0 = time.process_time()
    for i in range(a.steps):
        step(i)
    dt = time.perf_counter() - t0
    cpu = time.process_time() - c0
    print(json.dumps({
        'samples_per_s': a.steps * a.batch / dt,
        'ms_per_step': 1000 * dt / a.steps,
        'cpu_ms_per_step': 1000 * cpu / a.steps,
        'threads': torch.get_num_threads(),
        'torch': torch.__version__,
    }))


if __name__ == '__main__':
    main()
