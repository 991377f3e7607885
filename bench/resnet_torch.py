#!/usr/bin/python3
"""ResNet-20 on Fashion-MNIST in PyTorch: the peer for chapter 05's `build/05-regularization/train --model resnet`.

The same network (05-regularization/models.cpp make_resnet: a 3x3 stem convolution to 16 channels
with batch norm and ReLU, three stages of three basic blocks at 16, 32 and 64 channels, the first
block of stages 2 and 3 halving the map with stride 2 and a 1x1 convolution + batch norm shortcut,
global average pooling, one Linear to 10 classes; convolutions without bias, as ours), the same
data and preprocessing (lenet_torch.py's: the Debian gz IDX files, pixels / 255 standardized with
the training split's mean and std, one batch at a time), the same optimizer (SGD with momentum 0.9,
weight decay 5e-4 as L2, lr 0.1 decayed to 0 by a per-step cosine), batch 128 with the short last
batch dropped, shuffled every epoch. Only the initialisation differs (PyTorch's defaults; ours is He).

    /usr/bin/python3 bench/resnet_torch.py --epochs 1 --threads 1
    OMP_WAIT_POLICY=passive /usr/bin/python3 bench/resnet_torch.py --epochs 1 --threads 2

seconds_per_epoch is the mean wall time of the training loop (evaluation excluded), as in ours.
Ends with one line:
    result: peer=pytorch model=resnet threads=N seconds_per_epoch=... peak_rss_mb=... test_accuracy=...
"""
import argparse
import math
import os
import resource
import time

import torch
from torch import nn

from lenet_torch import load_split


class BasicBlock(nn.Module):
    """relu(body(x) + shortcut(x)), 05-regularization/residual.hpp's make_basic_block."""

    def __init__(self, inputs, outputs, stride):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(inputs, outputs, 3, stride, 1, bias=False), nn.BatchNorm2d(outputs), nn.ReLU(),
            nn.Conv2d(outputs, outputs, 3, 1, 1, bias=False), nn.BatchNorm2d(outputs))
        self.shortcut = nn.Sequential()  # the identity
        if inputs != outputs or stride != 1:
            self.shortcut = nn.Sequential(nn.Conv2d(inputs, outputs, 1, stride, bias=False), nn.BatchNorm2d(outputs))

    def forward(self, x):
        return torch.relu(self.body(x) + self.shortcut(x))


def resnet(width=16, blocks=3):
    layers = [nn.Conv2d(1, width, 3, 1, 1, bias=False), nn.BatchNorm2d(width), nn.ReLU()]  # (B, 16, 28, 28)
    inputs = width
    for stage in range(3):
        outputs = width << stage
        for block in range(blocks):
            layers.append(BasicBlock(inputs, outputs, 2 if stage > 0 and block == 0 else 1))
            inputs = outputs
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(inputs, 10)]  # (B, 64) -> (B, 10)
    return nn.Sequential(*layers)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=1, help="passes over the training set (default 1)")
    parser.add_argument("--threads", type=int, default=1, help="torch.set_num_threads (default 1)")
    parser.add_argument("--data", default=os.environ.get("DLFS_DATA", "/usr/share/datasets/fashion-mnist"),
                        help="Fashion-MNIST directory (default: $DLFS_DATA or the Debian path)")
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    if args.epochs < 1 or args.threads < 1 or args.batch < 2 or not args.lr > 0:
        parser.error("--epochs and --threads must be positive, --batch at least 2, --lr greater than 0")

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    train_x, train_y = load_split(args.data, "train")
    test_x, test_y = load_split(args.data, "t10k")
    pixels = train_x.double() / 255.0
    mean, std = pixels.mean().item(), pixels.std(unbiased=False).item()
    del pixels

    def batch(images, index):  # bytes -> standardized floats, (B, 1, 28, 28)
        return ((images[index].float() / 255.0 - mean) / std).unsqueeze(1)

    model = resnet()
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9, weight_decay=5e-4)
    loss_fn = nn.CrossEntropyLoss()
    steps_per_epoch = len(train_y) // args.batch  # drop_last, as ours: batch norm never sees a batch of one
    total_steps = args.epochs * steps_per_epoch
    step = 0
    seconds = []
    for epoch in range(1, args.epochs + 1):
        model.train()
        start = time.perf_counter()
        order = torch.randperm(len(train_y))
        loss_sum = 0.0
        for b in range(steps_per_epoch):
            index = order[b * args.batch:(b + 1) * args.batch]
            loss = loss_fn(model(batch(train_x, index)), train_y[index])
            optimizer.zero_grad(set_to_none=False)
            loss.backward()
            for group in optimizer.param_groups:  # lr_t = lr (1 + cos(pi t / T)) / 2, as 02-mlp's cosine_schedule
                group["lr"] = args.lr * 0.5 * (1.0 + math.cos(math.pi * min(1.0, step / total_steps)))
            step += 1
            optimizer.step()
            loss_sum += loss.item()
        seconds.append(time.perf_counter() - start)

        model.eval()
        correct = 0
        with torch.no_grad():
            for begin in range(0, len(test_y), 500):
                index = torch.arange(begin, min(begin + 500, len(test_y)))
                correct += (model(batch(test_x, index)).argmax(1) == test_y[index]).sum().item()
        accuracy = correct / len(test_y)
        print(f"epoch {epoch}: train_loss {loss_sum / steps_per_epoch:.4f} test_accuracy {accuracy:.4f} "
              f"({seconds[-1]:.2f}s)", flush=True)

    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(f"result: peer=pytorch model=resnet threads={args.threads} seconds_per_epoch={sum(seconds) / len(seconds):.3f} "
          f"peak_rss_mb={peak_rss_mb:.1f} test_accuracy={accuracy:.4f} epochs={args.epochs} "
          f"torch={torch.__version__}")


if __name__ == "__main__":
    main()
