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
import torch
from torch import nn

from lenet_torch import parse_args, train_and_report


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
    args = parse_args(__doc__.split("\n")[0], batch=128, min_batch=2)
    model = resnet()
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9, weight_decay=5e-4)
    train_and_report("resnet", model, optimizer, args, drop_last=True)


if __name__ == "__main__":
    main()
