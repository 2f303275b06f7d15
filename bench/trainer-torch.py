"""The fixed CNN of bench/trainer.ts in PyTorch on the CPU, for the samples/s ratio.

28x28x1 input, conv 3x3 32 -> relu -> pool 2 -> conv 3x3 64 -> relu -> pool 2 -> dense 128 ->
relu -> dense 10, batch 64, Adam 1e-3, softmax cross-entropy; random inputs and labels (the
rate does not depend on the values). Prints one JSON line: {"torch": version, "threads": n,
"samples_per_s": median over repeats, "step_ms": [...]}.

usage: /usr/bin/python3 bench/trainer-torch.py [threads] [steps] [repeats]
"""
import json
import sys
import time

import torch
from torch import nn

threads = int(sys.argv[1]) if len(sys.argv) > 1 else 2
steps = int(sys.argv[2]) if len(sys.argv) > 2 else 20
repeats = int(sys.argv[3]) if len(sys.argv) > 3 else 5
torch.set_num_threads(threads)
torch.manual_seed(0)

model = nn.Sequential(
    nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
    nn.Flatten(), nn.Linear(64 * 5 * 5, 128), nn.ReLU(), nn.Linear(128, 10),
)
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
loss_fn = nn.CrossEntropyLoss()
x = torch.rand(64, 1, 28, 28)
y = torch.randint(0, 10, (64,))


def step():
    opt.zero_grad(set_to_none=True)
    loss = loss_fn(model(x), y)
    loss.backward()
    opt.step()
    return loss.item()


for _ in range(3):
    step()
step_ms = []
for _ in range(repeats):
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    step_ms.append((time.perf_counter() - t0) * 1000 / steps)
step_ms.sort()
median = step_ms[len(step_ms) // 2]
print(json.dumps({"torch": torch.__version__, "threads": threads, "samples_per_s": 64 * 1000 / median, "step_ms": step_ms}))
