#!/usr/bin/python3
"""LeNet-5 on Fashion-MNIST in PyTorch: the peer for chapter 03's `build/03-cnn/cnn --model lenet`.

The same network (03-cnn/models.cpp make_lenet5: first conv padded by 2, ReLU, 2x2 max pooling,
FC 120-84-10), the same data (the Debian gz IDX files, read here with gzip + numpy), the same
preprocessing (pixels / 255 standardized with the training split's mean and std, converted one
batch at a time from the bytes, as ours does), the same optimizer (plain SGD, no momentum, no weight
decay, lr 0.1 with per-step cosine decay to 0 over all epochs, set before each update), batch 64,
shuffled every epoch. Only the initialisation differs (PyTorch's defaults; ours is He).

    /usr/bin/python3 bench/lenet_torch.py --epochs 1 --threads 1
    OMP_WAIT_POLICY=passive /usr/bin/python3 bench/lenet_torch.py --epochs 1 --threads 2

seconds_per_epoch is the mean wall time of the training loop (evaluation excluded), as in ours.
Ends with one line:
    result: peer=pytorch model=lenet threads=N seconds_per_epoch=... peak_rss_mb=... test_accuracy=...
"""
import argparse
import gzip
import math
import os
import resource
import struct
import sys
import time

import numpy as np
import torch
from torch import nn


def read_idx(path, magic, dims):
    """The array in one gzipped IDX file: big-endian magic, `dims` big-endian sizes, then bytes."""
    try:
        with gzip.open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        sys.exit(f"lenet_torch: error: cannot read {path}: {e}")
    header = 4 * (1 + dims)
    if len(data) < header or struct.unpack(">I", data[:4])[0] != magic:
        sys.exit(f"lenet_torch: error: {path} is not an IDX file with magic {magic}")
    shape = struct.unpack(">" + "I" * dims, data[4:header])
    array = np.frombuffer(data, dtype=np.uint8, offset=header)
    if array.size != int(np.prod(shape)):
        sys.exit(f"lenet_torch: error: {path} holds {array.size} bytes, its header says {shape}")
    return array.reshape(shape)


def load_split(directory, prefix):
    images = read_idx(os.path.join(directory, f"{prefix}-images-idx3-ubyte.gz"), 2051, 3)
    labels = read_idx(os.path.join(directory, f"{prefix}-labels-idx1-ubyte.gz"), 2049, 1)
    if len(images) != len(labels):
        sys.exit(f"lenet_torch: error: {prefix}: {len(images)} images but {len(labels)} labels")
    return torch.from_numpy(images.copy()), torch.from_numpy(labels.astype(np.int64))


def lenet5():
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),  # (B, 6, 14, 14)
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),             # (B, 16, 5, 5)
        nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(),
        nn.Linear(120, 84), nn.ReLU(),
        nn.Linear(84, 10),
    )


def parse_args(description, batch, min_batch=1):
    """The flags every image peer takes (lenet_torch.py, resnet_torch.py), checked."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--epochs", type=int, default=1, help="passes over the training set (default 1)")
    parser.add_argument("--threads", type=int, default=1, help="torch.set_num_threads (default 1)")
    parser.add_argument("--data", default=os.environ.get("DLFS_DATA", "/usr/share/datasets/fashion-mnist"),
                        help="Fashion-MNIST directory (default: $DLFS_DATA or the Debian path)")
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--batch", type=int, default=batch)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    if args.epochs < 1 or args.threads < 1 or args.batch < min_batch or not args.lr > 0:
        parser.error(f"--epochs and --threads must be positive, --batch at least {min_batch}, --lr greater than 0")
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    return args


def train_and_report(name, model, optimizer, args, drop_last=False):
    """Trains `model` on Fashion-MNIST for args.epochs (a per-step cosine from args.lr, as 02-mlp's
    cosine_schedule), prints one line per epoch and the result line; with drop_last the short last
    batch is left out, as ours does for batch norm."""
    train_x, train_y = load_split(args.data, "train")
    test_x, test_y = load_split(args.data, "t10k")
    pixels = train_x.double() / 255.0
    mean, std = pixels.mean().item(), pixels.std(unbiased=False).item()
    del pixels

    def batch(images, index):  # bytes -> standardized floats, (B, 1, 28, 28)
        return ((images[index].float() / 255.0 - mean) / std).unsqueeze(1)

    loss_fn = nn.CrossEntropyLoss()
    steps_per_epoch = len(train_y) // args.batch if drop_last else math.ceil(len(train_y) / args.batch)
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
            logits = model(batch(train_x, index))
            loss = loss_fn(logits, train_y[index])
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
    print(f"result: peer=pytorch model={name} threads={args.threads} seconds_per_epoch={sum(seconds) / len(seconds):.3f} "
          f"peak_rss_mb={peak_rss_mb:.1f} test_accuracy={accuracy:.4f} epochs={args.epochs} "
          f"torch={torch.__version__}")


def main():
    args = parse_args(__doc__.split("\n")[0], batch=64)
    model = lenet5()
    train_and_report("lenet", model, torch.optim.SGD(model.parameters(), lr=args.lr), args)


if __name__ == "__main__":
    main()
