#!/usr/bin/python3
"""Writes the PyTorch fixtures that chapter 02's tests compare against (tests/fixtures/*.safetensors).

Run it with Debian's Python and PyTorch (apt-get install -y python3-torch):

    /usr/bin/python3 02-mlp/tests/make_fixtures.py

The files are committed, so the tests never need PyTorch. The inputs and weights are float32;
PyTorch computes from exactly those values in float64, and the results are rounded to float32 once.
Every backward is that of L = sum(output * doutput), doutput a fixed random tensor.

  layers     linear.*: nn.Linear(5, 4) on (3, 5): weight (4, 5) and bias (4,) under PyTorch's names,
             input, output, doutput, grad.input, grad.weight, grad.bias;
             <activation>.*: input (3, 6), output, doutput, grad.input for sigmoid, tanh, relu,
             leaky_relu (nn.LeakyReLU(), its default slope 0.01), gelu (nn.GELU(), the exact erf form)
             and softmax (nn.Softmax(dim=-1)).
  losses     mse.*: nn.MSELoss() on prediction and target (4, 3): loss (1,), grad (dL/dprediction);
             cross_entropy.*: nn.CrossEntropyLoss() on logits (5, 4) and labels (5,) stored as floats,
             one of them the ignored -100: loss, grad; cross_entropy_positions.*: the same with
             logits (2, 3, 4) and labels (2, 3) per position (PyTorch takes the logits as (B, C, T)).

The files are safetensors, written by tests/support/safetensors_fixture.py (the one writer the
chapters' fixture scripts share; the `safetensors` package is not in Debian).
"""
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fixtures")
GENERATOR = "02-mlp/tests/make_fixtures.py"
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "support"))
from safetensors_fixture import record_layer, write_safetensors  # noqa: E402 (shared by the chapters)


def layers_fixture(seed):
    torch.manual_seed(seed)
    tensors = {}
    record_layer(tensors, "linear.", torch.nn.Linear(5, 4), torch.randn(3, 5))
    activations = {"sigmoid": torch.nn.Sigmoid(), "tanh": torch.nn.Tanh(), "relu": torch.nn.ReLU(),
                   "leaky_relu": torch.nn.LeakyReLU(), "gelu": torch.nn.GELU(), "softmax": torch.nn.Softmax(dim=-1)}
    for name, module in activations.items():
        record_layer(tensors, name + ".", module, 2.0 * torch.randn(3, 6))
    write_safetensors(os.path.join(OUT, "layers.safetensors"), tensors, GENERATOR)


def losses_fixture(seed):
    torch.manual_seed(seed)
    tensors = {}
    prediction, target = torch.randn(4, 3), torch.randn(4, 3)
    p64 = prediction.double().requires_grad_()
    loss = torch.nn.MSELoss()(p64, target.double())
    loss.backward()
    tensors.update({"mse.prediction": prediction, "mse.target": target, "mse.loss": loss.detach().reshape(1),
                    "mse.grad": p64.grad})
    for prefix, shape in (("cross_entropy.", (5, 4)), ("cross_entropy_positions.", (2, 3, 4))):
        logits = 3.0 * torch.randn(*shape)
        labels = torch.randint(0, 4, shape[:-1])
        labels.view(-1)[1] = -100
        z64 = logits.double().requires_grad_()
        loss = torch.nn.CrossEntropyLoss()(z64 if len(shape) == 2 else z64.permute(0, 2, 1), labels)
        loss.backward()
        tensors.update({prefix + "logits": logits, prefix + "labels": labels.float(),
                        prefix + "loss": loss.detach().reshape(1), prefix + "grad": z64.grad})
    write_safetensors(os.path.join(OUT, "losses.safetensors"), tensors, GENERATOR)


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    layers_fixture(201)
    losses_fixture(202)
