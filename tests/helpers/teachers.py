"""A stand-in for NanoTrack v2's ONNX backbone, for the distillation tests: 255x255 BGR crops ->
4x16x16 maps (NanoTrack's is 48x16x16), exported fixed to batch 1 as its file is."""

from __future__ import annotations

import torch
from torch import nn


class StrideSixteen(nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.conv = nn.Conv2d(3, 4, kernel_size=15, stride=16, padding=7)

    def forward(self, x):
        return torch.relu(self.conv(x / 255.0))


def export_teacher(path, batch_one: bool = True) -> StrideSixteen:
    net = StrideSixteen().eval()
    dyn = None if batch_one else {"input": {0: "n"}, "output": {0: "n"}}
    torch.onnx.export(net, (torch.zeros(1, 3, 255, 255),), str(path), dynamo=False, input_names=["input"],
                      output_names=["output"], dynamic_axes=dyn, opset_version=17)
    return net
