#!/usr/bin/python3
"""Writes the PyTorch fixtures that chapter 05's tests compare against (tests/fixtures/*.safetensors).

Run it with Debian's Python and PyTorch (apt-get install -y python3-torch):

    /usr/bin/python3 05-regularization/tests/make_fixtures.py

The files are committed, so the tests never need PyTorch. Every file holds the module's tensors
under PyTorch's own state_dict names (weight, bias, running_mean, running_var, body.1.weight, ...;
num_batches_tracked is left out, as our layers have no such buffer), and:

  batchnorm2d, batchnorm1d   three training steps, then evaluation. For step k (0, 1, 2):
                               step<k>.input, step<k>.output, step<k>.doutput (a fixed random G),
                               step<k>.grad.input, step<k>.grad.weight, step<k>.grad.bias
                               (the gradients of L = sum(output G), zeroed before each step),
                               step<k>.running_mean, step<k>.running_var (after the step);
                             then eval.input, eval.output, eval.doutput, eval.grad.* in evaluation mode.
                             The weights are not updated between steps: only the running statistics move.
  layernorm                  LayerNorm(6) on (3, 4, 6): input, output, doutput, grad.input, grad.weight, grad.bias
  global_avg_pool            AdaptiveAvgPool2d(1) then flatten(1) (ours: GlobalAvgPool2d, (B, C, H, W) -> (B, C))
                             on (2, 3, 5, 4): input, output, doutput, grad.input
  residual_projection        a basic block (conv3x3-BN-ReLU-conv3x3-BN, relu(body(x) + shortcut(x))) with a
  residual_identity          projection shortcut (3 -> 4 channels, stride 2) or the identity (4 -> 4): one
                             training step (input, output, doutput, grad.input, grad.<every trainable tensor>,
                             after.<running statistic>), then eval.input, eval.output in evaluation mode.
  label_smoothing            CrossEntropyLoss(label_smoothing=0.1) on logits (6, 5) and labels (6,) (stored
                             as floats, one of them the ignored -100): loss, grad.logits; and the same
                             under positions.* for logits (2, 3, 5) with labels (2, 3) per position.

BN's weight and bias are drawn at random (not PyTorch's 1 and 0), so a wrong use of gamma or beta
shows. The stored weights and inputs are float32; outputs and gradients are computed from exactly
those values in float64 and rounded once.

The files are safetensors, written by tests/support/safetensors_fixture.py (the one writer the
chapters' fixture scripts share; the `safetensors` package is not in Debian).
"""
import copy
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fixtures")
GENERATOR = "05-regularization/tests/make_fixtures.py"
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "support"))
from safetensors_fixture import write_safetensors  # noqa: E402 (the one writer, shared by the chapters)


def state(module):
    """The module's state_dict without num_batches_tracked, float32 copies."""
    return {name: t.detach().clone().float() for name, t in module.state_dict().items()
            if not name.endswith("num_batches_tracked")}


def randomize_batch_norms(module):
    for m in module.modules():
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
            with torch.no_grad():
                m.weight.copy_(1.0 + 0.5 * torch.randn_like(m.weight))
                m.bias.copy_(0.5 * torch.randn_like(m.bias))


def step(module64, x, tensors, prefix):
    """One forward and backward of the float64 module on x; stores input, output, doutput and gradients."""
    module64.zero_grad()
    x64 = x.double().requires_grad_()
    out = module64(x64)
    g = torch.randn(out.shape)
    (out * g.double()).sum().backward()
    tensors[prefix + "input"] = x
    tensors[prefix + "output"] = out
    tensors[prefix + "doutput"] = g
    tensors[prefix + "grad.input"] = x64.grad
    for name, p in module64.named_parameters():
        tensors[prefix + "grad." + name] = p.grad.clone()  # zero_grad() zeroes in place in torch 1.x


def batch_norm_fixture(file_name, module, shape, seed):
    torch.manual_seed(seed)
    randomize_batch_norms(module)
    tensors = state(module)  # weight, bias, running_mean (0), running_var (1): the starting point
    bn64 = copy.deepcopy(module).double().train()
    for k in range(3):
        x = 2.0 * torch.randn(*shape) + 0.5 * k  # a mean and a spread the running statistics must find
        step(bn64, x, tensors, "step%d." % k)
        tensors["step%d.running_mean" % k] = bn64.running_mean.clone()
        tensors["step%d.running_var" % k] = bn64.running_var.clone()
    bn64.eval()
    step(bn64, 2.0 * torch.randn(*shape) + 1.0, tensors, "eval.")
    write_safetensors(os.path.join(OUT, file_name), tensors, GENERATOR)


def layer_norm_fixture(seed):
    torch.manual_seed(seed)
    ln = torch.nn.LayerNorm(6)
    with torch.no_grad():
        ln.weight.copy_(1.0 + 0.5 * torch.randn(6))
        ln.bias.copy_(0.5 * torch.randn(6))
    tensors = state(ln)
    step(copy.deepcopy(ln).double(), 3.0 * torch.randn(3, 4, 6) - 1.0, tensors, "")
    write_safetensors(os.path.join(OUT, "layernorm.safetensors"), tensors, GENERATOR)


def global_avg_pool_fixture(seed):
    torch.manual_seed(seed)
    tensors = {}
    step(torch.nn.Sequential(torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(1)), torch.randn(2, 3, 5, 4), tensors, "")
    write_safetensors(os.path.join(OUT, "global_avg_pool.safetensors"), tensors, GENERATOR)


class BasicBlock(torch.nn.Module):
    """y = relu(body(x) + shortcut(x)), with the layer indices of our Sequential body and shortcut."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        nn = torch.nn
        self.body = nn.Sequential(
            nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(),
            nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout))
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, 0, bias=False), nn.BatchNorm2d(cout))
        else:
            self.shortcut = nn.Sequential()

    def forward(self, x):
        return torch.relu(self.body(x) + self.shortcut(x))


def residual_fixture(file_name, cin, cout, stride, seed):
    torch.manual_seed(seed)
    block = BasicBlock(cin, cout, stride)  # PyTorch's default init
    randomize_batch_norms(block)
    tensors = state(block)
    block64 = copy.deepcopy(block).double().train()
    step(block64, torch.randn(2, cin, 6, 6), tensors, "")
    for name, t in block64.state_dict().items():
        if name.endswith("running_mean") or name.endswith("running_var"):
            tensors["after." + name] = t.clone()
    block64.eval()
    with torch.no_grad():
        x = torch.randn(2, cin, 6, 6)
        tensors["eval.input"] = x
        tensors["eval.output"] = block64(x.double())
    write_safetensors(os.path.join(OUT, file_name), tensors, GENERATOR)


def label_smoothing_fixture(seed):
    torch.manual_seed(seed)
    tensors = {}
    # One label per example, and one per position ((B, T, C) as ours, (B, C, T) as PyTorch takes it);
    # each with an ignored label (-100), which must count in neither the sum nor the mean.
    for prefix, shape in (("", (6, 5)), ("positions.", (2, 3, 5))):
        logits = 3.0 * torch.randn(*shape)
        labels = torch.randint(0, 5, shape[:-1])
        labels.view(-1)[2] = -100
        z64 = logits.double().requires_grad_()
        z_torch = z64 if len(shape) == 2 else z64.permute(0, 2, 1)
        loss = torch.nn.CrossEntropyLoss(label_smoothing=0.1)(z_torch, labels)
        loss.backward()
        tensors.update({prefix + "logits": logits, prefix + "labels": labels.float(),
                        prefix + "loss": loss.detach().reshape(1), prefix + "grad.logits": z64.grad})
    write_safetensors(os.path.join(OUT, "label_smoothing.safetensors"), tensors, GENERATOR)


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    batch_norm_fixture("batchnorm2d.safetensors", torch.nn.BatchNorm2d(3), (4, 3, 5, 5), 501)
    batch_norm_fixture("batchnorm1d.safetensors", torch.nn.BatchNorm1d(4), (6, 4), 502)
    layer_norm_fixture(503)
    residual_fixture("residual_projection.safetensors", 3, 4, 2, 504)
    residual_fixture("residual_identity.safetensors", 4, 4, 1, 505)
    label_smoothing_fixture(506)
    global_avg_pool_fixture(507)
