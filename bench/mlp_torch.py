#!/usr/bin/python3
"""The peer for the MLP benchmark: chapter 02's model, trained the same way in PyTorch.

Same data (Fashion-MNIST from /usr/share/datasets/fashion-mnist), same preprocessing (pixels / 255
standardized with the training pixels' mean and std, converted one batch at a time from the bytes,
as ours does), same model (784-256-128-10 ReLU), batch 64, plain SGD (lr 0.1, no momentum, no
weight decay), learning rate decayed to 0 by a cosine over every step of every epoch, softmax
cross-entropy, shuffled every epoch. Only the initialisation differs (PyTorch's defaults). Only the
training loop is timed (evaluation excluded), as in build/02-mlp/mlp. Ends with one line:

    result: peer=pytorch threads=N seconds_per_epoch=... peak_rss_mb=... test_accuracy=...

Run by bench/run (./dlfs bench), with Debian's python3-torch:
    /usr/bin/python3 bench/mlp_torch.py --epochs 3 --threads 1
"""
import argparse
import gzip
import math
import os
import resource
import time

import numpy as np
import torch


def read_idx(path):
    """An IDX file (gzip-compressed) as a numpy array: magic (the last byte is the number of
    dimensions), the dimensions as big-endian 32-bit integers, then the raw unsigned bytes,
    decompressed straight into the array."""
    with gzip.open(path, "rb") as f:
        magic = f.read(4)
        shape = [int.from_bytes(f.read(4), "big") for _ in range(magic[3])]
        array = np.empty(shape, dtype=np.uint8)
        if f.readinto(memoryview(array.reshape(-1))) != array.size:
            raise ValueError(f"{path}: file ends before its {shape} bytes")
    return array


def load(data_dir, split):
    prefix = "train" if split == "train" else "t10k"
    images = read_idx(os.path.join(data_dir, prefix + "-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(data_dir, prefix + "-labels-idx1-ubyte.gz"))
    return images.reshape(len(images), -1), torch.from_numpy(labels.astype(np.int64))


def pixel_mean_std(images):
    """Mean and standard deviation of the pixels / 255, from a histogram of the 256 byte values
    (exact, and without a float copy of the whole training set)."""
    counts = np.zeros(256)
    for chunk in np.array_split(images.ravel(), 64):  # bincount widens to int64: a chunk at a time
        counts += np.bincount(chunk, minlength=256)
    values = np.arange(256) / 255.0
    n = counts.sum()
    mean = (counts * values).sum() / n
    return mean, math.sqrt(max(0.0, (counts * values ** 2).sum() / n - mean ** 2))


def standardized(images, mean, std):
    """(pixels / 255 - mean) / std for a batch of byte images, as float32."""
    return images.float().sub_(mean * 255.0).div_(std * 255.0)


def accuracy(model, images, labels, mean, std, batch=1000):
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(images), batch):
            logits = model(standardized(images[i:i + batch], mean, std))
            correct += int((logits.argmax(1) == labels[i:i + batch]).sum())
    return correct / len(images)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--data", default=os.environ.get("DLFS_DATA", "/usr/share/datasets/fashion-mnist"))
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    train_images, y_train = load(args.data, "train")  # (60000, 784) bytes
    test_images, y_test = load(args.data, "test")  # (10000, 784) bytes
    mean, std = pixel_mean_std(train_images)  # the training split's statistics only
    x_train, x_test = torch.from_numpy(train_images), torch.from_numpy(test_images)

    model = torch.nn.Sequential(
        torch.nn.Linear(784, 256), torch.nn.ReLU(),
        torch.nn.Linear(256, 128), torch.nn.ReLU(),
        torch.nn.Linear(128, 10))
    loss_fn = torch.nn.CrossEntropyLoss()
    sgd = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.0)
    n = len(x_train)
    steps_per_epoch = (n + args.batch - 1) // args.batch
    total_steps = args.epochs * steps_per_epoch

    step, train_seconds, test_accuracy = 0, 0.0, 0.0
    for epoch in range(1, args.epochs + 1):
        model.train()
        start = time.perf_counter()
        order = torch.randperm(n)
        total_loss, correct = 0.0, 0
        for b in range(steps_per_epoch):
            idx = order[b * args.batch:(b + 1) * args.batch]
            x, y = standardized(x_train[idx], mean, std), y_train[idx]  # (64, 784), (64)
            # lr_t = lr * (1 + cos(pi * t / T)) / 2, t counting steps: the same cosine as chapter 02.
            for group in sgd.param_groups:
                group["lr"] = args.lr * 0.5 * (1.0 + math.cos(math.pi * min(1.0, step / total_steps)))
            logits = model(x)
            loss = loss_fn(logits, y)
            sgd.zero_grad()
            loss.backward()
            sgd.step()
            step += 1
            total_loss += loss.item() * len(idx)
            correct += int((logits.argmax(1) == y).sum())
        seconds = time.perf_counter() - start
        train_seconds += seconds

        test_accuracy = accuracy(model, x_test, y_test, mean, std)
        print(f"epoch {epoch}: train_loss {total_loss / n:.4f} train_accuracy {correct / n:.4f} "
              f"test_accuracy {test_accuracy:.4f} ({seconds:.2f}s)", flush=True)

    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB
    print(f"result: peer=pytorch threads={args.threads} seconds_per_epoch={train_seconds / max(1, args.epochs):.3f} "
          f"peak_rss_mb={peak_rss_mb:.1f} test_accuracy={test_accuracy:.4f}")


if __name__ == "__main__":
    main()
