#!/usr/bin/python3
"""Writes the PyTorch fixtures that chapter 03's tests compare against (tests/fixtures/*.safetensors).

Run it with Debian's Python and PyTorch (apt-get install -y python3-torch):

    /usr/bin/python3 03-cnn/tests/make_fixtures.py

The files are committed, so the tests never need PyTorch. The inputs and weights are float32;
PyTorch computes from exactly those values in float64, and the results are rounded to float32 once.
Every backward is that of L = sum(output * doutput), doutput a fixed random tensor.

  layers     conv_a.*: nn.Conv2d(3, 4, 3, stride=2, padding=1) on (2, 3, 7, 6);
             conv_b.*: nn.Conv2d(2, 3, 5, padding=2) on (2, 2, 8, 8) (LeNet-5's first layer's window):
               weight (OC, C, KH, KW) and bias (OC,) under PyTorch's names, input, output, doutput,
               grad.input, grad.weight, grad.bias;
             max_a.*: nn.MaxPool2d(2) on (2, 3, 6, 6); max_b.*: nn.MaxPool2d(3, stride=2, padding=1)
             on (2, 2, 7, 7); avg_a.*: nn.AvgPool2d(2); avg_b.*: nn.AvgPool2d(3, stride=2, padding=1)
             (PyTorch's default count_include_pad=True); avg_c.*: the same with
             count_include_pad=False: input, output, doutput, grad.input.

The files are safetensors, written by tests/support/safetensors_fixture.py (the one writer the
chapters' fixture scripts share; the `safetensors` package is not in Debian).
"""
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fixtures")
GENERATOR = "03-cnn/tests/make_fixtures.py"
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "support"))
from safetensors_fixture import record_layer, write_safetensors  # noqa: E402 (shared by the chapters)


def layers_fixture(seed):
    torch.manual_seed(seed)
    tensors = {}
    record_layer(tensors, "conv_a.", torch.nn.Conv2d(3, 4, 3, stride=2, padding=1), torch.randn(2, 3, 7, 6))
    record_layer(tensors, "conv_b.", torch.nn.Conv2d(2, 3, 5, padding=2), torch.randn(2, 2, 8, 8))
    record_layer(tensors, "max_a.", torch.nn.MaxPool2d(2), torch.randn(2, 3, 6, 6))
    record_layer(tensors, "max_b.", torch.nn.MaxPool2d(3, stride=2, padding=1), torch.randn(2, 2, 7, 7))
    record_layer(tensors, "avg_a.", torch.nn.AvgPool2d(2), torch.randn(2, 3, 6, 6))
    record_layer(tensors, "avg_b.", torch.nn.AvgPool2d(3, stride=2, padding=1), torch.randn(2, 2, 7, 7))
    record_layer(tensors, "avg_c.", torch.nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False),
           torch.randn(2, 2, 7, 7))
    write_safetensors(os.path.join(OUT, "layers.safetensors"), tensors, GENERATOR)


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    layers_fixture(301)
