#!/usr/bin/python3
"""The peer for the character-model benchmark: chapter 04's charlm, trained the same way in PyTorch.

Same text (the cleaned fortunes split that `build/04-rnn/charlm --write-split DIR` writes to
DIR/train.txt and DIR/validation.txt), same vocabulary (the training text's characters; validation
characters outside it are left out, as ours does), same windows (T + 1 characters, consecutive
windows overlapping by one: the input is T characters, the labels the T that follow), same model
(Embedding(V, 64) -> LSTM(64, 256) -> Linear(256, V), or GRU / RNN with --cell), batch 32, Adam
2e-3, gradient norm clipped to 1, shuffled every epoch, each window started from a zero state.
Same budget: --minutes of wall time from the first step, the periodic evaluations included (every
100 steps, on 256 evenly spaced validation windows), which are left out of tokens per second. Only
the initialisation differs (PyTorch's defaults). Ends with one line:

    result: peer=pytorch threads=N tokens_per_second=... val_bits_per_char=... peak_rss_mb=... steps=...

Run by bench/run (./dlfs bench), with Debian's python3-torch:
    /usr/bin/python3 bench/charlm_torch.py --split DIR --minutes 1.5 --threads 1
"""
import argparse
import math
import os
import resource
import time

import torch


class CharModel(torch.nn.Module):
    def __init__(self, cell, vocabulary, embedding=64, hidden=256):
        super().__init__()
        self.embed = torch.nn.Embedding(vocabulary, embedding)
        layer = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[cell]
        self.recurrent = layer(embedding, hidden, batch_first=True)
        self.head = torch.nn.Linear(hidden, vocabulary)

    def forward(self, ids):  # (B, T) -> (B, T, V)
        h, _ = self.recurrent(self.embed(ids))
        return self.head(h)


def windows(ids, steps):
    """(N, T) inputs and (N, T) labels: window i reads ids[i T : i T + T] and predicts the next."""
    count = (len(ids) - 1) // steps
    ids = torch.tensor(ids[:count * steps + 1], dtype=torch.int64)
    return ids[:-1].view(count, steps), ids[1:].view(count, steps)


def mean_loss(model, inputs, labels, batch=64):
    """Cross-entropy in nats per character over the given windows."""
    model.eval()
    total = 0.0
    with torch.no_grad():
        for i in range(0, len(inputs), batch):
            logits = model(inputs[i:i + batch])
            total += float(torch.nn.functional.cross_entropy(
                logits.reshape(-1, logits.shape[-1]), labels[i:i + batch].reshape(-1), reduction="sum"))
    model.train()
    return total / labels.numel()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", required=True, help="directory holding train.txt and validation.txt")
    parser.add_argument("--cell", choices=["lstm", "gru", "rnn"], default="lstm")
    parser.add_argument("--minutes", type=float, default=1.5)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seq", type=int, default=64)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--clip", type=float, default=1.0)
    parser.add_argument("--eval-every", type=int, default=100)
    parser.add_argument("--eval-windows", type=int, default=256)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    texts = {}
    for name in ("train", "validation"):
        path = os.path.join(args.split, name + ".txt")
        with open(path, encoding="utf-8") as f:
            texts[name] = f.read()
        if not texts[name]:
            raise SystemExit(f"{path}: empty")
    alphabet = sorted(set(texts["train"]))
    index = {c: i for i, c in enumerate(alphabet)}
    train_x, train_y = windows([index[c] for c in texts["train"]], args.seq)
    val_x, val_y = windows([index[c] for c in texts["validation"] if c in index], args.seq)
    sample = [k * len(val_x) // args.eval_windows for k in range(min(args.eval_windows, len(val_x)))]
    sample_x, sample_y = val_x[sample], val_y[sample]
    print(f"training {train_x.numel():,} characters in {len(train_x)} windows, validation {len(val_x)} windows, "
          f"vocabulary {len(alphabet)}", flush=True)

    model = CharModel(args.cell, len(alphabet))
    adam = torch.optim.Adam(model.parameters(), lr=args.lr)
    vocabulary = len(alphabet)

    step, eval_seconds, budget = 0, 0.0, args.minutes * 60.0
    start = time.perf_counter()
    done = budget <= 0
    while not done:
        order = torch.randperm(len(train_x))
        for b in range(0, len(order), args.batch):
            idx = order[b:b + args.batch]
            logits = model(train_x[idx])  # (B, T, V)
            loss = torch.nn.functional.cross_entropy(logits.reshape(-1, vocabulary), train_y[idx].reshape(-1))
            adam.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip)
            adam.step()
            step += 1
            if step % args.eval_every == 0:
                eval_start = time.perf_counter()
                val = mean_loss(model, sample_x, sample_y)
                eval_seconds += time.perf_counter() - eval_start
                seconds = time.perf_counter() - start
                print(f"step {step:5d}  {seconds:5.0f}s  train_loss {float(loss):.4f}  val_loss {val:.4f}  "
                      f"val_bits_per_char {val / math.log(2):.3f}", flush=True)
            if time.perf_counter() - start > budget:
                done = True
                break
    train_seconds = time.perf_counter() - start - eval_seconds

    val = mean_loss(model, val_x, val_y)
    tokens = step * args.batch * args.seq
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB
    print(f"result: peer=pytorch threads={args.threads} cell={args.cell} "
          f"tokens_per_second={tokens / train_seconds if train_seconds > 0 else 0:.0f} "
          f"val_bits_per_char={val / math.log(2):.4f} val_loss={val:.4f} peak_rss_mb={peak_rss_mb:.1f} steps={step}")


if __name__ == "__main__":
    main()
