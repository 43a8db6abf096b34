#!/usr/bin/env python3
"""Training throughput of the reference conv net in PyTorch on the CPU: the anchor of
bench/training.bench.ts. Same net, loss, optimiser, batch and input as ours:
conv32 3x3 relu - maxpool2 - conv64 3x3 relu - maxpool2 - flatten - dense64 relu - dense10,
softmax cross-entropy, Adam(1e-3), batch 64 of 28x28x1 (valid padding: 28-26-13-11-5).

usage: torch_throughput.py --threads N [--steps S] [--warmup W] [--batch B]
Prints one JSON line: {"samples_per_s": ..., "ms_per_step": ..., "threads": N, "torch": version}.
Random inputs and labels (seeded): throughput does not depend on the pixel values.
"""
import argparse
import json
import time

import torch
from torch import nn


def reference_net() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * 5 * 5, 64), nn.ReLU(), nn.Linear(64, 10),
    )


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument('--threads', type=int, required=True)
    p.add_argument('--steps', type=int, default=60)
    p.add_argument('--warmup', type=int, default=10)
    p.add_argument('--batch', type=int, default=64)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    net = reference_net()
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
    for i in range(a.steps):
        step(i)
    dt = time.perf_counter() - t0
    print(json.dumps({
        'samples_per_s': a.steps * a.batch / dt,
        'ms_per_step': 1000 * dt / a.steps,
        'threads': torch.get_num_threads(),
        'torch': torch.__version__,
    }))


if __name__ == '__main__':
    main()
