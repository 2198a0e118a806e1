"""Write test/fixtures/torch_onnx.json: recurrent layers exported by torch.onnx, for the ONNX import.

Run from the project root (needs torch; the onnx package is not needed):

    /usr/bin/python3 scripts/gen_torch_onnx_fixtures.py

Each case is a PyTorch module (seeded) exported with torch.onnx.export (opset 14,
input "X" time-major (T, B, I), output "Y"), as PyTorch 1.13 writes it: the zero
initial states are built in the graph (Constant → Shape → Gather → Unsqueeze →
Concat → Expand) and stacked or bidirectional layers are joined by Transpose,
Reshape, Slice, Concat and Squeeze. Format:
  {"generator", "torch", "cases": [{"name", "onnx": base64 of the model bytes,
    "x": {"shape", "data"}, "y": {"shape", "data"}}]}
"""

import base64
import io
import json
import os

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUTPUT = os.path.join(ROOT, "test", "fixtures", "torch_onnx.json")


def case(name, module, T=5, B=2):
    """Exports `module` and records its output on a random input."""
    x = torch.randn(T, B, module.input_size)
    y = module(x)[0].detach()
    buffer = io.BytesIO()
    torch.onnx.export(module, (x,), buffer, input_names=["X"], output_names=["Y"], opset_version=14)
    return {
        "name": name,
        "onnx": base64.b64encode(buffer.getvalue()).decode("ascii"),
        "x": {"shape": list(x.shape), "data": x.flatten().tolist()},
        "y": {"shape": list(y.shape), "data": y.flatten().tolist()},
    }


def main():
    torch.manual_seed(0)
    cases = [
        case("lstm_2layer_bidirectional", torch.nn.LSTM(3, 4, num_layers=2, bidirectional=True)),
        case("gru", torch.nn.GRU(3, 4)),
        case("gru_2layer", torch.nn.GRU(3, 4, num_layers=2)),
        case("rnn_relu", torch.nn.RNN(3, 4, nonlinearity="relu")),
        case("rnn_tanh_bidirectional", torch.nn.RNN(3, 4, bidirectional=True)),
    ]
    with open(OUTPUT, "w") as f:
        json.dump({"generator": "scripts/gen_torch_onnx_fixtures.py", "torch": torch.__version__, "cases": cases}, f)
    print(f"wrote {OUTPUT}: {len(cases)} cases")


if __name__ == "__main__":
    main()
