"""Write the PyTorch reference fixtures used by the TypeScript tests.

Outputs (all under test/fixtures/):

  layers.json                  nn.LSTM / nn.GRU / nn.RNN cases: forward outputs, final
                               states and gradients (float64), incl. packed sequences
  cells.json                   nn.RNNCell / nn.LSTMCell / nn.GRUCell cases (float64)
  torch_lstm.safetensors       state dict of a float32 nn.LSTM(3, 4, num_layers=2,
                               bidirectional=True, proj_size=2)
  torch_lstm_f16.safetensors   the same weights stored as F16
  torch_lstm_bf16.safetensors  the same weights stored as BF16
  torch_safetensors.json       exact values of the above, plus a float32 forward pass
  optim.json                   torch.optim trajectories (SGD, Adam, AdamW, RMSprop, Adagrad;
                               20 steps, float64, with the gradient of every step) and
                               learning-rate schedules (StepLR, ExponentialLR,
                               CosineAnnealingLR, ReduceLROnPlateau; 30 steps)
  clip.json                    clip_grad_norm_ / clip_grad_value_ cases: gradients before,
                               the returned total norm and the gradients after
  charlm_{lstm,gru}.safetensors  tiny character-LM checkpoints written by this project's
                               CLI (`recurrent train`), loaded here into nn.Embedding,
                               nn.LSTM / nn.GRU and nn.Linear with load_state_dict
  charlm_export.json           the logits PyTorch computes from those checkpoints
  seq2seq.json                 tiny sequence-to-sequence models, one per attention kind (none,
                               dot, general, projected, bahdanau) and cell: weights, the
                               teacher-forced loss, logits, attention weights and every
                               parameter's gradient, and greedy decoding (tokens, weights,
                               log-probabilities), float64

Tensors are encoded as {"shape": [...], "data": [flat row-major numbers]}.

Run from the project root after `npm run build` (needs torch and numpy):

    /usr/bin/python3 scripts/gen_fixtures.py
    /usr/bin/python3 scripts/gen_fixtures.py --only seq2seq    # just seq2seq.json

Every case is seeded from its name, so the output is deterministic and adding or
reordering cases does not change the others. The script re-reads and checks
everything it wrote before exiting.
"""

import argparse
import json
import math
import os
import struct
import zlib

import numpy as np
import torch
from torch import nn
from torch.nn.utils import clip_grad_norm_, clip_grad_value_
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

torch.set_default_dtype(torch.float64)
DTYPE = torch.float64

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "test", "fixtures")
GENERATOR = "scripts/gen_fixtures.py"

MIN_LAYER_CASES = 26
MIN_CELL_CASES = 10


# ---------------------------------------------------------------------------
# helpers


def enc(t):
    """Encode a tensor as {"shape", "data"} with full float64 precision."""
    if t is None:
        return None
    t = t.detach().to(torch.float64).contiguous()
    return {"shape": list(t.shape), "data": t.reshape(-1).tolist()}


def dec(obj):
    if obj is None:
        return None
    return torch.tensor(obj["data"], dtype=torch.float64).reshape(obj["shape"])


def seed_for(name):
    torch.manual_seed(zlib.crc32(name.encode("utf-8")))


def perturb_biases(module):
    """Default init leaves biases tiny; add noise so they matter in the tests."""
    with torch.no_grad():
        for name, p in module.named_parameters():
            if name.startswith("bias"):
                p.add_(0.5 * torch.randn_like(p))


def state_dict_json(module):
    return {k: enc(v) for k, v in module.state_dict().items()}


def grads_json(module):
    return {k: enc(p.grad) for k, p in module.named_parameters()}


def write_json(filename, obj):
    path = os.path.join(FIXTURES, filename)
    with open(path, "w") as f:
        json.dump(obj, f, separators=(",", ":"))
        f.write("\n")
    return path


def header(cases):
    return {"generator": GENERATOR, "torch": torch.__version__, "dtype": "float64", "cases": cases}


# ---------------------------------------------------------------------------
# multi-layer modules (nn.LSTM / nn.GRU / nn.RNN)


def build_layer(mode, o):
    common = dict(
        input_size=o["inputSize"],
        hidden_size=o["hiddenSize"],
        num_layers=o["numLayers"],
        bias=o["bias"],
        batch_first=o["batchFirst"],
        dropout=o["dropout"],
        bidirectional=o["bidirectional"],
        dtype=DTYPE,
    )
    if mode == "LSTM":
        return nn.LSTM(proj_size=o["projSize"], **common)
    if mode == "GRU":
        return nn.GRU(**common)
    return nn.RNN(nonlinearity=o["nonlinearity"], **common)


def run_layer(module, mode, o, x, lengths, h0, c0):
    """Forward pass returning (padded output, hN, cN-or-None)."""
    hx = (h0, c0) if mode == "LSTM" else h0
    if lengths is None:
        out, state = module(x, hx)
    else:
        total = x.shape[1 if o["batchFirst"] else 0]
        packed = pack_padded_sequence(
            x, torch.tensor(lengths), batch_first=o["batchFirst"], enforce_sorted=False
        )
        out_packed, state = module(packed, hx)
        out, _ = pad_packed_sequence(out_packed, batch_first=o["batchFirst"], total_length=total)
    if mode == "LSTM":
        return out, state[0], state[1]
    return out, state, None


def layer_case(
    name,
    mode,
    *,
    I=3,
    H=4,
    layers=1,
    bias=True,
    batch_first=False,
    bidir=False,
    proj=0,
    dropout=0.0,
    training=True,
    T=5,
    B=3,
    unbatched=False,
    lengths=None,
    given_h0=False,
):
    seed_for(name)
    o = {
        "inputSize": I,
        "hiddenSize": H,
        "numLayers": layers,
        "bias": bias,
        "batchFirst": batch_first,
        "bidirectional": bidir,
        "projSize": proj,
        "nonlinearity": "relu" if mode == "RNN_RELU" else "tanh",
        "dropout": dropout,
    }
    module = build_layer(mode, o)
    perturb_biases(module)
    module.train(training)

    dirs = 2 if bidir else 1
    h_out = proj or H
    if unbatched:
        x_shape, h_shape, c_shape = (T, I), (layers * dirs, h_out), (layers * dirs, H)
    else:
        x_shape = (B, T, I) if batch_first else (T, B, I)
        h_shape, c_shape = (layers * dirs, B, h_out), (layers * dirs, B, H)

    x = torch.randn(x_shape).requires_grad_()
    h0 = (torch.randn(h_shape) if given_h0 else torch.zeros(h_shape)).requires_grad_()
    c0 = None
    if mode == "LSTM":
        c0 = (torch.randn(c_shape) if given_h0 else torch.zeros(c_shape)).requires_grad_()

    out, hN, cN = run_layer(module, mode, o, x, lengths, h0, c0)

    grad_out = torch.randn(out.shape)
    grad_hN = torch.randn(hN.shape)
    grad_cN = torch.randn(cN.shape) if cN is not None else None
    loss = (out * grad_out).sum() + (hN * grad_hN).sum()
    if cN is not None:
        loss = loss + (cN * grad_cN).sum()
    loss.backward()

    return {
        "name": name,
        "mode": mode,
        "options": o,
        "training": training,
        "input": enc(x),
        "lengths": lengths,
        "h0": enc(h0) if given_h0 else None,
        "c0": enc(c0) if given_h0 and c0 is not None else None,
        "stateDict": state_dict_json(module),
        "output": enc(out),
        "hN": enc(hN),
        "cN": enc(cN),
        "gradOutput": enc(grad_out),
        "gradHN": enc(grad_hN),
        "gradCN": enc(grad_cN),
        "gradInput": enc(x.grad),
        "gradH0": enc(h0.grad),
        "gradC0": enc(c0.grad) if c0 is not None else None,
        "grads": grads_json(module),
    }


def layer_cases():
    L = layer_case
    return [
        # one layer, every mode
        L("lstm_1layer_basic", "LSTM"),
        L("gru_1layer_basic", "GRU"),
        L("rnn_tanh_1layer_basic", "RNN_TANH"),
        L("rnn_relu_1layer_basic", "RNN_RELU"),
        L("lstm_1layer_h0", "LSTM", I=2, H=3, given_h0=True),
        L("gru_1layer_h0", "GRU", I=5, H=2, given_h0=True),
        # stacked layers
        L("lstm_2layer_h0", "LSTM", layers=2, given_h0=True),
        L("lstm_3layer", "LSTM", I=2, H=3, layers=3, T=4, B=2),
        L("gru_2layer", "GRU", layers=2, I=4, H=5),
        L("gru_3layer_h0", "GRU", layers=3, T=4, B=2, given_h0=True),
        L("rnn_tanh_2layer_h0", "RNN_TANH", layers=2, given_h0=True),
        L("rnn_tanh_3layer", "RNN_TANH", layers=3, I=4, H=3, T=4, B=2),
        L("rnn_relu_2layer", "RNN_RELU", layers=2, H=5),
        L("rnn_relu_3layer_h0", "RNN_RELU", layers=3, I=2, T=4, B=2, given_h0=True),
        # bidirectional
        L("lstm_bidir", "LSTM", bidir=True),
        L("gru_bidir_h0", "GRU", bidir=True, given_h0=True),
        L("rnn_tanh_bidir", "RNN_TANH", bidir=True, I=2, H=3),
        L("rnn_relu_bidir_h0", "RNN_RELU", bidir=True, given_h0=True),
        # bidirectional + packed sequences (unsorted lengths incl. T and 1)
        L("lstm_bidir_lengths", "LSTM", bidir=True, T=6, B=4, lengths=[3, 6, 1, 4]),
        L("lstm_bidir_lengths_h0", "LSTM", bidir=True, T=5, B=3, lengths=[2, 5, 1], given_h0=True),
        L("gru_bidir_lengths", "GRU", bidir=True, T=6, B=4, lengths=[1, 4, 6, 2]),
        L("rnn_tanh_bidir_lengths_h0", "RNN_TANH", bidir=True, T=5, B=3, lengths=[4, 1, 5], given_h0=True),
        L("rnn_relu_bidir_lengths", "RNN_RELU", bidir=True, T=5, B=4, lengths=[5, 2, 1, 3]),
        L("lstm_3layer_bidir_lengths", "LSTM", layers=3, bidir=True, I=2, H=3, T=5, B=3, lengths=[2, 5, 1]),
        L("gru_3layer_bidir_lengths_h0", "GRU", layers=3, bidir=True, T=5, B=3, lengths=[5, 1, 3], given_h0=True),
        L("rnn_tanh_2layer_bidir_lengths", "RNN_TANH", layers=2, bidir=True, T=4, B=3, lengths=[1, 4, 2]),
        # unidirectional packed; max length shorter than T (output padded by total_length)
        L("lstm_lengths_h0", "LSTM", T=6, B=3, lengths=[6, 2, 1], given_h0=True),
        L("gru_lengths_max_below_T", "GRU", T=6, B=3, lengths=[2, 4, 1]),
        L("lstm_bidir_lengths_max_below_T", "LSTM", bidir=True, T=5, B=2, lengths=[3, 1]),
        # batch first
        L("lstm_batchfirst", "LSTM", batch_first=True, B=2, T=4),
        L("lstm_batchfirst_2layer_bidir_lengths_h0", "LSTM", batch_first=True, layers=2, bidir=True,
          T=5, B=3, lengths=[5, 1, 3], given_h0=True),
        L("gru_batchfirst_lengths", "GRU", batch_first=True, T=5, B=4, lengths=[2, 5, 1, 3]),
        L("rnn_tanh_batchfirst", "RNN_TANH", batch_first=True),
        L("rnn_relu_batchfirst_bidir_lengths", "RNN_RELU", batch_first=True, bidir=True,
          T=4, B=3, lengths=[4, 1, 2]),
        # no bias
        L("lstm_nobias", "LSTM", bias=False),
        L("lstm_nobias_2layer_bidir", "LSTM", bias=False, layers=2, bidir=True, T=4, B=2),
        L("gru_nobias", "GRU", bias=False),
        L("gru_nobias_2layer_bidir_lengths", "GRU", bias=False, layers=2, bidir=True, T=5, B=3,
          lengths=[3, 5, 1]),
        L("rnn_tanh_nobias", "RNN_TANH", bias=False, given_h0=True),
        L("rnn_relu_nobias", "RNN_RELU", bias=False, layers=2),
        # LSTM projections
        L("lstm_proj_1layer", "LSTM", H=5, proj=2),
        L("lstm_proj_1layer_h0", "LSTM", H=4, proj=3, given_h0=True),
        L("lstm_proj_2layer_bidir_h0", "LSTM", H=5, proj=3, layers=2, bidir=True, T=4, B=2, given_h0=True),
        L("lstm_proj_bidir_lengths", "LSTM", H=4, proj=2, bidir=True, T=5, B=3, lengths=[1, 5, 3]),
        L("lstm_proj_batchfirst", "LSTM", H=6, proj=3, batch_first=True, B=2, T=4),
        L("lstm_proj_batchfirst_2layer_lengths_h0", "LSTM", H=4, proj=2, layers=2, batch_first=True,
          T=5, B=3, lengths=[4, 5, 1], given_h0=True),
        L("lstm_proj_nobias", "LSTM", H=4, proj=2, bias=False, T=3, B=2),
        # unbatched (T, I) input
        L("lstm_unbatched", "LSTM", unbatched=True, T=5),
        L("lstm_unbatched_2layer_bidir_h0", "LSTM", unbatched=True, layers=2, bidir=True, T=4, given_h0=True),
        L("lstm_proj_unbatched_h0", "LSTM", unbatched=True, H=4, proj=2, T=4, given_h0=True),
        L("gru_unbatched_h0", "GRU", unbatched=True, T=5, given_h0=True),
        L("gru_unbatched_bidir", "GRU", unbatched=True, bidir=True, T=4),
        L("gru_unbatched_batchfirst", "GRU", unbatched=True, batch_first=True, T=4),
        L("rnn_tanh_unbatched", "RNN_TANH", unbatched=True, T=4),
        # edge sizes
        L("lstm_batch1", "LSTM", B=1, T=6, given_h0=True),
        L("gru_batch1_bidir_lengths", "GRU", B=1, T=4, bidir=True, lengths=[4]),
        L("lstm_seq1", "LSTM", T=1, B=3, given_h0=True),
        L("gru_seq1_bidir", "GRU", T=1, B=2, bidir=True),
        L("rnn_relu_seq1_batch1", "RNN_RELU", T=1, B=1),
        L("lstm_seq7_2layer", "LSTM", T=7, B=2, I=2, H=2, layers=2),
        # dropout is only active in training; in eval mode it must be a no-op
        L("lstm_dropout_eval", "LSTM", layers=2, dropout=0.5, training=False, T=4, B=2, given_h0=True),
    ]


# ---------------------------------------------------------------------------
# cells (nn.RNNCell / nn.LSTMCell / nn.GRUCell)


def build_cell(mode, o):
    common = dict(input_size=o["inputSize"], hidden_size=o["hiddenSize"], bias=o["bias"], dtype=DTYPE)
    if mode == "LSTMCell":
        return nn.LSTMCell(**common)
    if mode == "GRUCell":
        return nn.GRUCell(**common)
    return nn.RNNCell(nonlinearity=o["nonlinearity"], **common)


def run_cell(cell, mode, x, h0, c0):
    if mode == "LSTMCell":
        return cell(x, (h0, c0))
    return cell(x, h0), None


def cell_case(name, mode, *, I=3, H=4, B=3, bias=True, nonlinearity="tanh", unbatched=False, given_h0=False):
    seed_for(name)
    o = {"inputSize": I, "hiddenSize": H, "bias": bias, "nonlinearity": nonlinearity}
    cell = build_cell(mode, o)
    perturb_biases(cell)

    x_shape, h_shape = ((I,), (H,)) if unbatched else ((B, I), (B, H))
    x = torch.randn(x_shape).requires_grad_()
    h0 = (torch.randn(h_shape) if given_h0 else torch.zeros(h_shape)).requires_grad_()
    c0 = None
    if mode == "LSTMCell":
        c0 = (torch.randn(h_shape) if given_h0 else torch.zeros(h_shape)).requires_grad_()

    h1, c1 = run_cell(cell, mode, x, h0, c0)

    grad_h1 = torch.randn(h1.shape)
    grad_c1 = torch.randn(c1.shape) if c1 is not None else None
    loss = (h1 * grad_h1).sum()
    if c1 is not None:
        loss = loss + (c1 * grad_c1).sum()
    loss.backward()

    return {
        "name": name,
        "mode": mode,
        "options": o,
        "input": enc(x),
        "h0": enc(h0) if given_h0 else None,
        "c0": enc(c0) if given_h0 and c0 is not None else None,
        "stateDict": state_dict_json(cell),
        "h1": enc(h1),
        "c1": enc(c1),
        "gradH1": enc(grad_h1),
        "gradC1": enc(grad_c1),
        "gradInput": enc(x.grad),
        "gradH0": enc(h0.grad),
        "gradC0": enc(c0.grad) if c0 is not None else None,
        "grads": grads_json(cell),
    }


def cell_cases():
    C = cell_case
    return [
        C("rnncell_tanh", "RNNCell", given_h0=True),
        C("rnncell_tanh_h0_null", "RNNCell"),
        C("rnncell_relu", "RNNCell", nonlinearity="relu", given_h0=True),
        C("rnncell_tanh_nobias", "RNNCell", bias=False, given_h0=True),
        C("rnncell_relu_nobias", "RNNCell", nonlinearity="relu", bias=False, I=2, H=5, given_h0=True),
        C("rnncell_relu_unbatched", "RNNCell", nonlinearity="relu", unbatched=True, given_h0=True),
        C("lstmcell", "LSTMCell", given_h0=True),
        C("lstmcell_h0_null", "LSTMCell", I=5, H=3, B=2),
        C("lstmcell_nobias", "LSTMCell", bias=False, given_h0=True),
        C("lstmcell_unbatched", "LSTMCell", unbatched=True, given_h0=True),
        C("lstmcell_batch1", "LSTMCell", B=1, I=2, H=6, given_h0=True),
        C("grucell", "GRUCell", given_h0=True),
        C("grucell_h0_null", "GRUCell", I=4, H=2, B=4),
        C("grucell_nobias", "GRUCell", bias=False, given_h0=True),
        C("grucell_unbatched", "GRUCell", unbatched=True, given_h0=True),
        C("grucell_unbatched_h0_null", "GRUCell", unbatched=True, I=2, H=3),
    ]


# ---------------------------------------------------------------------------
# safetensors


def st_bytes(t, dtype):
    """Raw little-endian bytes of a float32 tensor stored as F32, F16 or BF16."""
    if dtype == "F32":
        return t.numpy().astype("<f4").tobytes()
    if dtype == "F16":
        return t.to(torch.float16).numpy().astype("<f2").tobytes()
    if dtype == "BF16":
        return t.to(torch.bfloat16).view(torch.int16).numpy().astype("<i2").tobytes()
    raise ValueError(dtype)


def write_safetensors(path, tensors, dtype):
    """Minimal safetensors writer: u64 LE header size, JSON header, packed data."""
    meta = {"__metadata__": {"format": "pt"}}
    chunks, offset = [], 0
    for name in sorted(tensors):
        raw = st_bytes(tensors[name].detach().contiguous(), dtype)
        meta[name] = {"dtype": dtype, "shape": list(tensors[name].shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    head = json.dumps(meta, separators=(",", ":")).encode("utf-8")
    head += b" " * (-len(head) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(head)))
        f.write(head)
        for raw in chunks:
            f.write(raw)


def read_safetensors(path):
    """Read back a safetensors file into float64 tensors (used by the self-check)."""
    np_dtypes = {"F32": "<f4", "F16": "<f2", "BF16": "<u2"}
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    meta = json.loads(blob[8 : 8 + n].decode("utf-8"))
    data = blob[8 + n :]
    out, end = {}, 0
    for name, info in meta.items():
        if name == "__metadata__":
            continue
        begin, stop = info["data_offsets"]
        arr = np.frombuffer(data[begin:stop], dtype=np_dtypes[info["dtype"]])
        if info["dtype"] == "BF16":
            arr = (arr.astype(np.uint32) << 16).view(np.float32)
        out[name] = torch.from_numpy(arr.astype(np.float64)).reshape(info["shape"])
        end = max(end, stop)
    assert end == len(data), f"{path}: trailing bytes"
    return out


def safetensors_fixture():
    seed_for("torch_lstm_safetensors")
    lstm = nn.LSTM(3, 4, num_layers=2, bidirectional=True, proj_size=2, dtype=torch.float32)
    perturb_biases(lstm)
    lstm.eval()
    sd = {k: v.detach().clone() for k, v in lstm.state_dict().items()}

    for suffix, dtype in (("", "F32"), ("_f16", "F16"), ("_bf16", "BF16")):
        write_safetensors(os.path.join(FIXTURES, f"torch_lstm{suffix}.safetensors"), sd, dtype)

    x = torch.randn(3, 2, 3, dtype=torch.float32)
    with torch.no_grad():
        out, (hN, cN) = lstm(x)
    return {
        "generator": GENERATOR,
        "torch": torch.__version__,
        "module": {"mode": "LSTM", "inputSize": 3, "hiddenSize": 4, "numLayers": 2,
                   "bidirectional": True, "projSize": 2, "bias": True, "batchFirst": False},
        "stateDict": {k: enc(v) for k, v in sd.items()},
        "f16": {k: enc(v.to(torch.float16)) for k, v in sd.items()},
        "bf16": {k: enc(v.to(torch.bfloat16)) for k, v in sd.items()},
        "input": enc(x),
        "output": enc(out),
        "hN": enc(hN),
        "cN": enc(cN),
    }


# ---------------------------------------------------------------------------
# optimisers, learning-rate schedules and gradient clipping (optim.json, clip.json)

OPTIM_STEPS = 20
SCHEDULE_STEPS = 30
OPTIM_PARAMS = (("weight", (3, 4)), ("bias", (3,)), ("scale", (2, 2)))

# TypeScript option names -> torch.optim keyword arguments
TORCH_OPTION = {
    "lr": "lr", "momentum": "momentum", "dampening": "dampening", "nesterov": "nesterov",
    "weightDecay": "weight_decay", "betas": "betas", "eps": "eps", "amsgrad": "amsgrad",
    "alpha": "alpha", "centered": "centered", "lrDecay": "lr_decay",
    "initialAccumulatorValue": "initial_accumulator_value",
}


def optim_problem(name):
    """A few parameter tensors and a loss with a quadratic fit and non-quadratic terms."""
    seed_for(name)
    params = {n: torch.randn(shape).requires_grad_() for n, shape in OPTIM_PARAMS}
    x, y = torch.randn(4, 6), torch.randn(3, 6)

    def loss_fn():
        w, b, s = params["weight"], params["bias"], params["scale"]
        fit = ((w @ x + b[:, None] - y) ** 2).mean()
        return fit + 0.1 * torch.cos(3 * w).sum() + torch.log1p(s**2).sum() + torch.tanh(s @ s).sum()

    return params, loss_fn


def make_optimizer(kind, params, options):
    kwargs = {TORCH_OPTION[k]: (tuple(v) if k == "betas" else v) for k, v in options.items()}
    # the single-tensor code path, the reference the TypeScript loop follows
    return getattr(torch.optim, kind)(params, foreach=False, **kwargs)


def optim_case(name, kind, options):
    params, loss_fn = optim_problem(name)
    opt = make_optimizer(kind, list(params.values()), options)
    initial = {n: enc(p) for n, p in params.items()}
    steps = []
    for _ in range(OPTIM_STEPS):
        opt.zero_grad()
        loss = loss_fn()
        loss.backward()
        grads = {n: enc(p.grad) for n, p in params.items()}
        opt.step()
        steps.append({"loss": loss.item(), "grads": grads, "params": {n: enc(p) for n, p in params.items()}})
    return {"name": name, "optimizer": kind, "options": options, "paramNames": list(params),
            "initial": initial, "steps": steps}


def optim_cases():
    O = optim_case
    return [
        O("sgd_plain", "SGD", {"lr": 0.05}),
        O("sgd_momentum_nesterov_wd", "SGD", {"lr": 0.03, "momentum": 0.9, "nesterov": True, "weightDecay": 0.01}),
        O("sgd_dampening", "SGD", {"lr": 0.04, "momentum": 0.8, "dampening": 0.3}),
        O("adam", "Adam", {"lr": 0.02}),
        O("adam_amsgrad_wd", "Adam", {"lr": 0.05, "betas": [0.8, 0.95], "eps": 1e-6, "weightDecay": 0.1,
                                       "amsgrad": True}),
        O("adamw", "AdamW", {"lr": 0.03, "weightDecay": 0.1}),
        O("adamw_amsgrad", "AdamW", {"lr": 0.02, "betas": [0.85, 0.99], "weightDecay": 0.05, "amsgrad": True}),
        O("rmsprop", "RMSprop", {"lr": 0.01}),
        O("rmsprop_centered_momentum", "RMSprop", {"lr": 0.005, "alpha": 0.9, "eps": 1e-6, "weightDecay": 0.01,
                                                   "momentum": 0.7, "centered": True}),
        O("adagrad", "Adagrad", {"lr": 0.1}),
        O("adagrad_lr_decay", "Adagrad", {"lr": 0.1, "lrDecay": 0.05, "weightDecay": 0.01,
                                           "initialAccumulatorValue": 0.1, "eps": 1e-8}),
    ]


# a loss curve that improves, stalls, wobbles and improves again
PLATEAU_METRICS = [1.0, 0.8, 0.7, 0.69995, 0.7, 0.71, 0.705, 0.6, 0.59, 0.59, 0.595, 0.6, 0.6, 0.58, 0.5,
                   0.5, 0.5, 0.5, 0.5, 0.5, 0.45, 0.44, 0.44, 0.44, 0.45, 0.46, 0.47, 0.48, 0.49, 0.5]


def schedule_case(name, kind, options, lr=0.1, metrics=None):
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=lr)
    torch_names = {"stepSize": "step_size", "gamma": "gamma", "tMax": "T_max", "etaMin": "eta_min",
                   "mode": "mode", "factor": "factor", "patience": "patience", "threshold": "threshold",
                   "thresholdMode": "threshold_mode", "cooldown": "cooldown", "minLr": "min_lr", "eps": "eps"}
    sched = getattr(torch.optim.lr_scheduler, kind)(opt, **{torch_names[k]: v for k, v in options.items()})
    lrs = [opt.param_groups[0]["lr"]]
    for k in range(SCHEDULE_STEPS):
        opt.step()
        if metrics is None:
            sched.step()
        else:
            sched.step(metrics[k])
        lrs.append(opt.param_groups[0]["lr"])
    return {"name": name, "scheduler": kind, "options": options, "initialLr": lr, "metrics": metrics, "lrs": lrs}


def schedule_cases():
    S = schedule_case
    return [
        S("step_lr", "StepLR", {"stepSize": 7, "gamma": 0.5}),
        S("exponential_lr", "ExponentialLR", {"gamma": 0.9}),
        S("cosine_restarts", "CosineAnnealingLR", {"tMax": 10, "etaMin": 0.001}),
        S("cosine_long", "CosineAnnealingLR", {"tMax": 30}, lr=0.05),
        S("plateau_min_rel", "ReduceLROnPlateau", {"mode": "min", "factor": 0.5, "patience": 2, "cooldown": 1,
                                                   "minLr": 0.01}, metrics=PLATEAU_METRICS),
        S("plateau_min_abs", "ReduceLROnPlateau", {"mode": "min", "factor": 0.3, "patience": 1,
                                                   "threshold": 0.01, "thresholdMode": "abs"},
          metrics=PLATEAU_METRICS),
        S("plateau_max_rel", "ReduceLROnPlateau", {"mode": "max", "factor": 0.7, "patience": 3, "threshold": 0.02},
          metrics=[-m for m in PLATEAU_METRICS]),
        S("plateau_eps", "ReduceLROnPlateau", {"factor": 0.5, "patience": 0, "minLr": 0.0249, "eps": 1e-3},
          metrics=PLATEAU_METRICS),
    ]


CLIP_PARAMS = (("weight_ih_l0", (8, 3)), ("weight_hh_l0", (8, 2)), ("bias_ih_l0", (8,)), ("bias_hh_l0", (8,)))


def clip_case(name, kind, *, max_norm=None, norm_type=2.0, clip_value=None, names=None, at_threshold=False):
    seed_for(name)
    params = {}
    for n, shape in CLIP_PARAMS:
        params[n] = torch.zeros(shape, requires_grad=True)
        params[n].grad = torch.randn(shape)
    before = {n: enc(p.grad) for n, p in params.items()}
    selected = [params[n] for n in (names or params)]
    total = None
    if kind == "norm":
        if at_threshold:  # max_norm equal to the norm: torch still scales by max_norm / (norm + 1e-6)
            max_norm = clip_grad_norm_(selected, math.inf, norm_type).item()
        total = clip_grad_norm_(selected, max_norm, norm_type).item()
    else:
        clip_grad_value_(selected, clip_value)
    return {"name": name, "kind": kind, "maxNorm": max_norm,
            "normType": "inf" if norm_type == math.inf else norm_type, "clipValue": clip_value, "names": names,
            "paramNames": list(params), "grads": before, "totalNorm": total,
            "clipped": {n: enc(p.grad) for n, p in params.items()}}


def clip_cases():
    C = clip_case
    return [
        C("norm2_clipped", "norm", max_norm=1.0),
        C("norm1_clipped", "norm", max_norm=2.0, norm_type=1.0),
        C("norminf_clipped", "norm", max_norm=0.5, norm_type=math.inf),
        C("norm3_clipped", "norm", max_norm=1.5, norm_type=3.0),
        C("norm2_under", "norm", max_norm=100.0),
        C("norminf_under", "norm", max_norm=10.0, norm_type=math.inf),
        C("norm2_at_threshold", "norm", at_threshold=True),
        C("norm2_subset", "norm", max_norm=0.5, names=["weight_hh_l0", "bias_hh_l0"]),
        C("value_clipped", "value", clip_value=0.3),
        C("value_subset", "value", clip_value=0.1, names=["weight_ih_l0"]),
    ]


def check_optim_and_clip():
    """Replays every optimiser case from the recorded gradients and every clip case from its inputs."""
    optim = json.load(open(os.path.join(FIXTURES, "optim.json")))
    clip = json.load(open(os.path.join(FIXTURES, "clip.json")))
    for c in optim["cases"]:
        params = [dec(c["initial"][n]).requires_grad_() for n in c["paramNames"]]
        opt = make_optimizer(c["optimizer"], params, c["options"])
        assert len(c["steps"]) == OPTIM_STEPS, c["name"]
        for s in c["steps"]:
            for p, n in zip(params, c["paramNames"]):
                check_tensor(s["grads"][n], c["name"])
                p.grad = dec(s["grads"][n])
            opt.step()
            for p, n in zip(params, c["paramNames"]):
                assert torch.equal(p.detach(), dec(s["params"][n])), f"{c['name']}: {n}"
    for c in optim["schedules"]:
        assert len(c["lrs"]) == SCHEDULE_STEPS + 1 and len(set(c["lrs"])) > 1, c["name"]
    for c in clip["cases"]:
        grads = {n: dec(c["grads"][n]) for n in c["paramNames"]}
        selected = c["names"] or c["paramNames"]
        for n in selected:
            g = grads[n]
            p = torch.zeros(g.shape, requires_grad=True)
            p.grad = g
            grads[n] = p
        ps = [grads[n] for n in selected]
        if c["kind"] == "norm":
            norm_type = math.inf if c["normType"] == "inf" else c["normType"]
            assert clip_grad_norm_(ps, c["maxNorm"], norm_type).item() == c["totalNorm"], c["name"]
        else:
            clip_grad_value_(ps, c["clipValue"])
        for n in c["paramNames"]:
            g = grads[n].grad if n in selected else grads[n]
            assert torch.equal(g, dec(c["clipped"][n])), f"{c['name']}: {n}"
        changed = any(not torch.equal(dec(c["grads"][n]), dec(c["clipped"][n])) for n in c["paramNames"])
        assert changed == (not c["name"].endswith("_under")), c["name"]
    return optim, clip


# ---------------------------------------------------------------------------
# sequence to sequence with attention (src/seq2seq/, src/attention/)

S2S_PAD, S2S_BOS, S2S_EOS = 0, 1, 2
S2S_SPECIALS = 4
S2S_MAX_LENGTH = 6
# Greedy decoding in float32 must pick the same tokens: every argmax wins by at least this.
S2S_MIN_MARGIN = 1e-3


class S2SAttention(nn.Module):
    """The attention kinds of src/attention/ with the same parameter names."""

    def __init__(self, kind, query_size, memory_size, attention_size, scaled):
        super().__init__()
        self.kind, self.scale = kind, 1.0
        if kind == "general":
            self.weight = nn.Parameter(torch.empty(query_size, memory_size))
        elif kind in ("projected", "bahdanau"):
            self.query = nn.Linear(query_size, attention_size, bias=False)
            self.key = nn.Linear(memory_size, attention_size, bias=False)
            if kind == "projected" and scaled:
                self.scale = 1.0 / math.sqrt(attention_size)
        if kind == "bahdanau":
            self.v = nn.Parameter(torch.empty(attention_size))

    def keys(self, memory):
        if self.kind == "general":
            return memory @ self.weight.t()
        if self.kind in ("projected", "bahdanau"):
            return self.key(memory)
        return memory

    def forward(self, queries, memory, keys, mask):
        if self.kind == "bahdanau":
            q = self.query(queries)
            scores = torch.tanh(keys[:, None, :, :] + q[:, :, None, :]) @ self.v
        else:
            q = self.query(queries) if self.kind == "projected" else queries
            scores = torch.bmm(q, keys.transpose(1, 2)) * self.scale
        weights = torch.softmax(scores.masked_fill(mask[:, None, :], float("-inf")), -1)
        return torch.bmm(weights, memory), weights


class S2SModel(nn.Module):
    """The Seq2Seq of src/seq2seq/model.ts, module for module."""

    def __init__(self, c):
        super().__init__()
        self.c = c
        E, H, L = c["embeddingSize"], c["hiddenSize"], c["numLayers"]
        D = 2 if c["bidirectional"] else 1
        kind = c["attention"]

        def rnn(input_size, bidirectional):
            common = dict(num_layers=L, batch_first=True, bidirectional=bidirectional)
            if c["cell"] == "lstm":
                return nn.LSTM(input_size, H, **common)
            if c["cell"] == "gru":
                return nn.GRU(input_size, H, **common)
            return nn.RNN(input_size, H, nonlinearity=c["cell"][4:], **common)

        self.encoder = nn.Module()
        self.encoder.embedding = nn.Embedding(c["sourceVocabSize"], E, padding_idx=S2S_PAD)
        self.encoder.rnn = rnn(E, c["bidirectional"])
        if c["bidirectional"]:
            self.bridge = nn.Module()
            self.bridge.hidden = nn.Linear(2 * H, H)
            if c["cell"] == "lstm":
                self.bridge.cell = nn.Linear(2 * H, H)
        self.decoder = nn.Module()
        self.decoder.embedding = nn.Embedding(c["targetVocabSize"], E, padding_idx=S2S_PAD)
        self.decoder.rnn = rnn(E + (D * H if kind == "bahdanau" else 0), False)
        if kind != "none":
            self.decoder.attention = S2SAttention(kind, H, D * H, c["attentionSize"], c["scaled"])
        self.decoder.combine = nn.Linear((D * H if kind != "none" else 0) + H, H)
        self.decoder.output = nn.Linear(H, c["targetVocabSize"])

    def encode(self, src, lengths):
        S = src.shape[1]
        packed = pack_padded_sequence(self.encoder.embedding(src), lengths, batch_first=True, enforce_sorted=False)
        out, state = self.encoder.rnn(packed)
        memory, _ = pad_packed_sequence(out, batch_first=True, total_length=S)
        h, c = state if self.c["cell"] == "lstm" else (state, None)
        if self.c["bidirectional"]:
            h = torch.tanh(self.bridge.hidden(torch.cat([h[0::2], h[1::2]], -1)))
            if c is not None:
                c = torch.tanh(self.bridge.cell(torch.cat([c[0::2], c[1::2]], -1)))
        mask = torch.arange(S)[None, :] >= lengths[:, None]
        keys = self.decoder.attention.keys(memory) if self.c["attention"] != "none" else None
        return memory, keys, mask, (h, c)

    def run_rnn(self, x, state):
        h, c = state
        if self.c["cell"] == "lstm":
            out, (h, c) = self.decoder.rnn(x, (h, c))
        else:
            out, h = self.decoder.rnn(x, h)
        return out, (h, c)

    def readout(self, s, context):
        return self.decoder.output(torch.tanh(self.decoder.combine(torch.cat([context, s], -1) if context is not None else s)))

    def step(self, ids, state, enc):
        """One decoder step: ids (B, 1) -> logits (B, 1, V), weights (B, 1, S) or None, state."""
        memory, keys, mask, _ = enc
        x = self.decoder.embedding(ids)
        kind = self.c["attention"]
        context = weights = None
        if kind == "bahdanau":
            context, weights = self.decoder.attention(state[0][-1][:, None, :], memory, keys, mask)
            x = torch.cat([x, context], -1)
        out, state = self.run_rnn(x, state)
        if kind not in ("none", "bahdanau"):
            context, weights = self.decoder.attention(out, memory, keys, mask)
        return self.readout(out, context), weights, state

    def forward(self, src, lengths, tgt_in):
        enc = self.encode(src, lengths)
        memory, keys, mask, state = enc
        kind = self.c["attention"]
        if kind == "bahdanau":
            logits, weights = [], []
            for t in range(tgt_in.shape[1]):
                lg, w, state = self.step(tgt_in[:, t:t + 1], state, enc)
                logits.append(lg)
                weights.append(w)
            return torch.cat(logits, 1), torch.cat(weights, 1)
        out, _ = self.run_rnn(self.decoder.embedding(tgt_in), state)
        if kind == "none":
            return self.readout(out, None), None
        context, weights = self.decoder.attention(out, memory, keys, mask)
        return self.readout(out, context), weights

    @torch.no_grad()
    def greedy(self, src, lengths, max_length):
        """Every row for max_length steps: tokens, attention weights, the chosen tokens' log-probabilities, margins."""
        enc = self.encode(src, lengths)
        state = enc[3]
        y = torch.full((src.shape[0], 1), S2S_BOS, dtype=torch.long)
        tokens, weights, logprobs, margins = [], [], [], []
        for _ in range(max_length):
            logits, w, state = self.step(y, state, enc)
            logp = torch.log_softmax(logits[:, 0], -1)
            top = torch.topk(logits[:, 0], 2, -1).values
            y = logits.argmax(-1)
            tokens.append(y)
            logprobs.append(logp.gather(1, y))
            margins.append(top[:, 0] - top[:, 1])
            if w is not None:
                weights.append(w)
        return (torch.cat(tokens, 1), torch.cat(weights, 1) if weights else None, torch.cat(logprobs, 1),
                torch.stack(margins, 1))


def s2s_batch(g, B, S, T, source_lengths, target_lengths, source_vocab, target_vocab):
    src = torch.zeros(B, S, dtype=torch.long)
    tgt_in = torch.zeros(B, T, dtype=torch.long)
    tgt_out = torch.zeros(B, T, dtype=torch.long)
    for b in range(B):
        n = source_lengths[b]
        src[b, :n] = torch.randint(S2S_SPECIALS, source_vocab, (n,), generator=g)
        m = target_lengths[b] - 1
        words = torch.randint(S2S_SPECIALS, target_vocab, (m,), generator=g)
        tgt_in[b, 0] = S2S_BOS
        tgt_in[b, 1:m + 1] = words
        tgt_out[b, :m] = words
        tgt_out[b, m] = S2S_EOS
    return src, tgt_in, tgt_out


def s2s_varied(rows):
    """Some row ends with <eos> after the first step, none at the first; three distinct tokens before."""
    ends = [r.index(S2S_EOS) + 1 if S2S_EOS in r else None for r in rows]
    finished = [e for e in ends if e is not None]
    distinct = {t for r, e in zip(rows, ends) for t in r[:(e or len(r)) - (1 if e else 0)]}
    return len(finished) >= 1 and min(finished) >= 2 and len(distinct) >= 3


def s2s_case(name, *, cell, attention, bidirectional, layers=1, scaled=True, source_lengths=(5, 2, 4),
             target_lengths=(4, 2, 3)):
    c = {"sourceVocabSize": 9, "targetVocabSize": 8, "embeddingSize": 3, "hiddenSize": 4, "numLayers": layers,
         "cell": cell, "bidirectional": bidirectional, "attention": attention, "attentionSize": 5, "scaled": scaled,
         "dtype": "float64"}
    B, S, T = len(source_lengths), max(source_lengths), max(target_lengths)
    g = torch.Generator().manual_seed(zlib.crc32(name.encode("utf-8")))
    src, tgt_in, tgt_out = s2s_batch(g, B, S, T, source_lengths, target_lengths, 9, 8)
    lengths = torch.tensor(source_lengths)
    # The weights are drawn again (next seed) until greedy decoding is worth comparing: every
    # choice clear enough for float32, varied tokens, and a row ending with <eos>.
    for attempt in range(2000):
        seed_for(f"{name}/{attempt}")
        model = S2SModel(c)
        with torch.no_grad():
            for key, p in model.named_parameters():
                if not key.endswith("embedding.weight"):
                    p.uniform_(-1.0, 1.0)
        tokens, greedy_weights, logprobs, margins = model.greedy(src, lengths, S2S_MAX_LENGTH)
        if margins.min().item() >= S2S_MIN_MARGIN and s2s_varied(tokens.tolist()):
            break
    else:
        raise AssertionError(f"{name}: no weights with clear and varied greedy choices")
    model.zero_grad()
    logits, weights = model(src, lengths, tgt_in)
    loss = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), tgt_out.reshape(-1), ignore_index=S2S_PAD)
    loss.backward()
    ids = lambda t: t.tolist()
    return {
        "name": name,
        "config": c,
        "source": ids(src), "sourceLengths": list(source_lengths),
        "targetIn": ids(tgt_in), "targetOut": ids(tgt_out), "targetLengths": list(target_lengths),
        "stateDict": state_dict_json(model),
        "loss": loss.item(),
        "logits": enc(logits),
        "weights": enc(weights),
        "grads": grads_json(model),
        "greedy": {"maxLength": S2S_MAX_LENGTH, "tokens": ids(tokens), "weights": enc(greedy_weights),
                   "logProbs": enc(logprobs), "minMargin": margins.min().item()},
    }


def seq2seq_cases():
    C = s2s_case
    return [
        C("none_rnn_tanh_2layers", cell="rnn_tanh", attention="none", bidirectional=False, layers=2),
        C("dot_lstm", cell="lstm", attention="dot", bidirectional=False),
        C("general_gru_bidirectional", cell="gru", attention="general", bidirectional=True),
        C("projected_lstm_bidirectional_2layers", cell="lstm", attention="projected", bidirectional=True, layers=2),
        C("projected_unscaled_gru", cell="gru", attention="projected", bidirectional=False, scaled=False),
        C("bahdanau_gru_bidirectional", cell="gru", attention="bahdanau", bidirectional=True),
        C("bahdanau_lstm_2layers", cell="lstm", attention="bahdanau", bidirectional=False, layers=2),
    ]


def check_seq2seq():
    doc = json.load(open(os.path.join(FIXTURES, "seq2seq.json")))
    for case in doc["cases"]:
        check_tensor_tree(case, case["name"])
        assert set(case["grads"]) == set(case["stateDict"]), case["name"]
        model = S2SModel(case["config"])
        model.load_state_dict({k: dec(v) for k, v in case["stateDict"].items()})
        with torch.no_grad():
            logits, _ = model(torch.tensor(case["source"]), torch.tensor(case["sourceLengths"]), torch.tensor(case["targetIn"]))
        assert exact(logits, dec(case["logits"])), case["name"]
    return doc


# ---------------------------------------------------------------------------
# self-check


def check_tensor(obj, where):
    assert isinstance(obj, dict) and set(obj) == {"shape", "data"}, where
    n = 1
    for d in obj["shape"]:
        n *= d
    assert n == len(obj["data"]), f"{where}: shape {obj['shape']} vs {len(obj['data'])} values"


def check_tensor_tree(case, where):
    for key, value in case.items():
        if isinstance(value, dict) and "shape" in value:
            check_tensor(value, f"{where}.{key}")
        elif isinstance(value, dict) and key in ("stateDict", "grads", "f16", "bf16"):
            for name, t in value.items():
                check_tensor(t, f"{where}.{key}.{name}")


def exact(a, b):
    return a is None and b is None or torch.equal(a, b)


def self_check():
    layers = json.load(open(os.path.join(FIXTURES, "layers.json")))
    cells = json.load(open(os.path.join(FIXTURES, "cells.json")))
    st = json.load(open(os.path.join(FIXTURES, "torch_safetensors.json")))

    for doc, minimum in ((layers, MIN_LAYER_CASES), (cells, MIN_CELL_CASES)):
        names = [c["name"] for c in doc["cases"]]
        assert len(names) >= minimum and len(set(names)) == len(names)

    # Reload every layer case from JSON into a fresh module and reproduce it exactly.
    for c in layers["cases"]:
        check_tensor_tree(c, c["name"])
        o, mode = c["options"], c["mode"]
        module = build_layer(mode, o)
        module.load_state_dict({k: dec(v) for k, v in c["stateDict"].items()})
        module.train(c["training"])
        assert set(c["grads"]) == set(c["stateDict"]), c["name"]
        x = dec(c["input"])
        gh0 = dec(c["gradH0"])
        h0 = dec(c["h0"]) if c["h0"] else torch.zeros(gh0.shape)
        c0 = None
        if mode == "LSTM":
            c0 = dec(c["c0"]) if c["c0"] else torch.zeros(dec(c["gradC0"]).shape)
        with torch.no_grad():
            out, hN, cN = run_layer(module, mode, o, x, c["lengths"], h0, c0)
        assert exact(out, dec(c["output"])) and exact(hN, dec(c["hN"])) and exact(cN, dec(c["cN"])), c["name"]
        assert out.shape == x.shape[:-1] + (dec(c["output"]).shape[-1],)
        assert dec(c["gradInput"]).shape == x.shape and gh0.shape == hN.shape

    for c in cells["cases"]:
        check_tensor_tree(c, c["name"])
        cell = build_cell(c["mode"], c["options"])
        cell.load_state_dict({k: dec(v) for k, v in c["stateDict"].items()})
        x = dec(c["input"])
        h0 = dec(c["h0"]) if c["h0"] else torch.zeros(dec(c["gradH0"]).shape)
        c0 = None
        if c["mode"] == "LSTMCell":
            c0 = dec(c["c0"]) if c["c0"] else torch.zeros(h0.shape)
        with torch.no_grad():
            h1, c1 = run_cell(cell, c["mode"], x, h0, c0)
        assert exact(h1, dec(c["h1"])) and exact(c1, dec(c["c1"])), c["name"]

    check_tensor_tree(st, "torch_safetensors")
    for suffix, key in (("", "stateDict"), ("_f16", "f16"), ("_bf16", "bf16")):
        loaded = read_safetensors(os.path.join(FIXTURES, f"torch_lstm{suffix}.safetensors"))
        assert set(loaded) == set(st[key])
        for name, t in loaded.items():
            assert torch.equal(t, dec(st[key][name])), f"{suffix} {name}"

    return layers, cells


EXPORT_TEXT = "".join(
    f"line {i}: the {'quick brown fox' if i % 3 else 'lazy dog'} jumps {i * 7 % 13} times.\n" for i in range(200)
)


def charlm_export_case(cell):
    """Train a tiny model with the CLI, load its checkpoint into torch modules, record torch's logits."""
    import subprocess
    import tempfile

    name = f"charlm_{cell}.safetensors"
    path = os.path.join(FIXTURES, name)
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "text.txt")
        with open(data, "w", encoding="utf-8") as f:
            f.write(EXPORT_TEXT)
        subprocess.run(
            ["node", "dist/src/cli/main.js", "train", "--data", data, "--cell", cell, "--layers", "2",
             "--hidden", "8", "--embedding", "4", "--steps", "3", "--batch", "4", "--seq-length", "16",
             "--sample-length", "0", "--checkpoint", path, "--backend", "js"],
            check=True, stdout=subprocess.DEVNULL,
        )
    weights = {k: v.float() for k, v in read_safetensors(path).items() if not k.startswith("optimizer.")}
    vocab = weights["embedding.weight"].shape[0]
    embedding = nn.Embedding(vocab, 4)
    rnn = (nn.LSTM if cell == "lstm" else nn.GRU)(4, 8, num_layers=2)
    decoder = nn.Linear(8, vocab)
    for prefix, module in (("embedding.", embedding), ("rnn.", rnn), ("decoder.", decoder)):
        module.load_state_dict({k[len(prefix):]: v for k, v in weights.items() if k.startswith(prefix)})
    g = torch.Generator().manual_seed(zlib.crc32(name.encode("utf-8")))
    ids = torch.randint(0, vocab, (12, 2), generator=g)
    with torch.no_grad():
        out, _ = rnn(embedding(ids))
        logits = decoder(out)
    return {"name": cell, "checkpoint": name, "ids": enc(ids.double()), "logits": enc(logits.double())}


def main():
    parser = argparse.ArgumentParser(description="Write the PyTorch reference fixtures under test/fixtures/.")
    parser.add_argument("--only", choices=["seq2seq"], help="write only this fixture (the others are left as they are)")
    args = parser.parse_args()
    os.makedirs(FIXTURES, exist_ok=True)
    if args.only == "seq2seq":
        write_json("seq2seq.json", header(seq2seq_cases()))
        print(f"seq2seq.json: {len(check_seq2seq()['cases'])} cases")
        return
    write_json("layers.json", header(layer_cases()))
    write_json("cells.json", header(cell_cases()))
    write_json("torch_safetensors.json", safetensors_fixture())

    write_json("optim.json", {**header(optim_cases()), "schedules": schedule_cases()})
    write_json("clip.json", header(clip_cases()))
    write_json("charlm_export.json", header([charlm_export_case("lstm"), charlm_export_case("gru")]))
    write_json("seq2seq.json", header(seq2seq_cases()))

    layers, cells = self_check()
    optim, clip = check_optim_and_clip()
    seq2seq = check_seq2seq()
    print(f"layers.json: {len(layers['cases'])} cases, cells.json: {len(cells['cases'])} cases")
    print(f"optim.json: {len(optim['cases'])} optimiser and {len(optim['schedules'])} schedule cases, "
          f"clip.json: {len(clip['cases'])} cases, seq2seq.json: {len(seq2seq['cases'])} cases")
    for name in sorted(os.listdir(FIXTURES)):
        print(f"  {name}: {os.path.getsize(os.path.join(FIXTURES, name))} bytes")


if __name__ == "__main__":
    main()
