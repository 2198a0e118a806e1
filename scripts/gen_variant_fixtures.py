"""Write test/fixtures/variants.json: references for the cell variants PyTorch lacks.

Run from the project root (needs torch):

    /usr/bin/python3 scripts/gen_variant_fixtures.py

Two variants, computed in float64 from their equations with torch ops (every gradient by
autograd), since nn.GRU and nn.LSTM have neither:

  GRU, reset gate before the recurrent product (resetAfter false; Keras reset_after=False,
  ONNX linear_before_reset=0), gate order r|z|n as PyTorch's:
        r = σ(W_ir x + b_ir + W_hr h₋ + b_hr),   z = σ(W_iz x + b_iz + W_hz h₋ + b_hz)
        n = tanh(W_in x + b_in + W_hn (r ⊙ h₋) + b_hn),   h = (1 − z) ⊙ n + z ⊙ h₋
  LSTM with peepholes (ONNX's P), gate order i|f|g|o, weight_peep (3, H) = rows p_i, p_f, p_o:
        i = σ(… + p_i ⊙ c₋),   f = σ(… + p_f ⊙ c₋),   g = tanh(…),   c = f ⊙ c₋ + i ⊙ g
        o = σ(… + p_o ⊙ c),    h = o ⊙ tanh(c)   (then h = W_hr h with a projection)

The stack around the cells (layers × directions, the reverse direction, packed-sequence
lengths, batch_first, unbatched input, projection) is the same code for both, and the
script first checks it: with PyTorch's forms (reset after, no peepholes) it must equal
nn.GRU / nn.LSTM (with pack_padded_sequence for lengths) to 1e-12 in outputs, final
states and every gradient, on a set of configurations covering each of those features.

Cases have the format of layers.json and cells.json (scripts/gen_fixtures.py), with
"resetAfter" or "peepholes" in their options. Loss: Σ R ⊙ output + Σ S ⊙ hN (+ Σ Q ⊙ cN),
R, S, Q ~ N(0, 1) stored as gradOutput, gradHN, gradCN (cells: h1, c1 likewise).
Weights: PyTorch's default init U(−1/√H, 1/√H), biases + 0.5·N(0, 1), peepholes
0.5·N(0, 1); every case seeded from its name.
"""

import json
import os
import zlib

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

torch.set_default_dtype(torch.float64)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "test", "fixtures", "variants.json")
GENERATOR = "scripts/gen_variant_fixtures.py"


def enc(t):
    """A tensor as {"shape", "data"} with full float64 precision (None stays None)."""
    if t is None:
        return None
    t = t.detach().to(torch.float64).contiguous()
    return {"shape": list(t.shape), "data": t.reshape(-1).tolist()}


def seed_for(name):
    torch.manual_seed(zlib.crc32(name.encode("utf-8")))


# ---------------------------------------------------------------------------
# the cells, from their equations


def gru_step(w, x, h, reset_after):
    """One GRU step; w holds weight_ih, weight_hh and (optionally) bias_ih, bias_hh."""
    W_ir, W_iz, W_in = w["weight_ih"].chunk(3, 0)
    W_hr, W_hz, W_hn = w["weight_hh"].chunk(3, 0)
    zero = torch.zeros(W_hr.shape[0])
    b_ir, b_iz, b_in = w["bias_ih"].chunk(3) if "bias_ih" in w else (zero, zero, zero)
    b_hr, b_hz, b_hn = w["bias_hh"].chunk(3) if "bias_hh" in w else (zero, zero, zero)
    r = torch.sigmoid(x @ W_ir.T + b_ir + h @ W_hr.T + b_hr)
    z = torch.sigmoid(x @ W_iz.T + b_iz + h @ W_hz.T + b_hz)
    if reset_after:
        n = torch.tanh(x @ W_in.T + b_in + r * (h @ W_hn.T + b_hn))
    else:
        n = torch.tanh(x @ W_in.T + b_in + (r * h) @ W_hn.T + b_hn)
    return (1 - z) * n + z * h


def lstm_step(w, x, h, c):
    """One LSTM step; w may hold weight_peep (3, H) and weight_hr (P, H). Returns (h, c)."""
    pre = x @ w["weight_ih"].T + h @ w["weight_hh"].T
    if "bias_ih" in w:
        pre = pre + w["bias_ih"] + w["bias_hh"]
    a_i, a_f, a_g, a_o = pre.chunk(4, dim=-1)
    p = w.get("weight_peep")
    i = torch.sigmoid(a_i + (p[0] * c if p is not None else 0))
    f = torch.sigmoid(a_f + (p[1] * c if p is not None else 0))
    g = torch.tanh(a_g)
    c_new = f * c + i * g
    o = torch.sigmoid(a_o + (p[2] * c_new if p is not None else 0))
    h_new = o * torch.tanh(c_new)
    if "weight_hr" in w:
        h_new = h_new @ w["weight_hr"].T
    return h_new, c_new


def step(mode, variant, w, x, h, c):
    """(h, c) after one step of cell `mode` ('GRU' or 'LSTM'); c is None for the GRU."""
    if mode == "GRU":
        return gru_step(w, x, h, variant.get("resetAfter", True)), None
    return lstm_step(w, x, h, c)


# ---------------------------------------------------------------------------
# the stack around them


SUFFIXED = ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr", "weight_peep")


def direction_weights(params, layer, direction):
    sfx = f"_l{layer}" + ("_reverse" if direction == 1 else "")
    return {k: params[k + sfx] for k in SUFFIXED if k + sfx in params}


def run_stack(mode, variant, params, o, x, lengths, h0, c0):
    """Layers × directions over x as the layer sees it; returns (output, hN, cN or None)."""
    unbatched = x.dim() == 2
    xs = x.unsqueeze(1) if unbatched else (x.transpose(0, 1) if o["batchFirst"] else x)
    T, B = xs.shape[0], xs.shape[1]
    h0s = h0.unsqueeze(1) if unbatched else h0
    c0s = None if c0 is None else (c0.unsqueeze(1) if unbatched else c0)
    D = 2 if o["bidirectional"] else 1
    active = None
    if lengths is not None:
        active = (torch.arange(T).unsqueeze(1) < torch.tensor(lengths).unsqueeze(0)).unsqueeze(2)  # (T, B, 1)
    hN, cN = [], []
    layer_input = xs
    for layer in range(o["numLayers"]):
        outputs = []
        for d in range(D):
            w = direction_weights(params, layer, d)
            k = layer * D + d
            h, c = h0s[k], (c0s[k] if c0s is not None else None)
            out = [None] * T
            for t in reversed(range(T)) if d == 1 else range(T):
                h_new, c_new = step(mode, variant, w, layer_input[t], h, c)
                if active is not None:  # an inactive row keeps its state and emits zeros
                    h_new = torch.where(active[t], h_new, h)
                    c_new = None if c is None else torch.where(active[t], c_new, c)
                h, c = h_new, c_new
                out[t] = h if active is None else h * active[t]
            outputs.append(torch.stack(out))
            hN.append(h)
            cN.append(c)
        layer_input = torch.cat(outputs, dim=2)
    output = layer_input.squeeze(1) if unbatched else (layer_input.transpose(0, 1) if o["batchFirst"] else layer_input)
    hN = torch.stack(hN)
    cN = torch.stack(cN) if mode == "LSTM" else None
    if unbatched:
        hN = hN.squeeze(1)
        cN = cN.squeeze(1) if cN is not None else None
    return output, hN, cN


# ---------------------------------------------------------------------------
# cases


def make_params(mode, variant, o):
    """The state dict of nn.GRU / nn.LSTM with these options (PyTorch's init), biases
    perturbed, plus weight_peep per layer and direction when the variant has peepholes."""
    common = dict(input_size=o["inputSize"], hidden_size=o["hiddenSize"], num_layers=o["numLayers"],
                  bias=o["bias"], batch_first=o["batchFirst"], bidirectional=o["bidirectional"])
    module = nn.LSTM(proj_size=o["projSize"], **common) if mode == "LSTM" else nn.GRU(**common)
    params = {}
    for name, p in module.named_parameters():
        params[name] = p.detach().clone() + (0.5 * torch.randn_like(p) if name.startswith("bias") else 0)
    if variant.get("peepholes"):
        D = 2 if o["bidirectional"] else 1
        for layer in range(o["numLayers"]):
            for d in range(D):
                params[f"weight_peep_l{layer}" + ("_reverse" if d == 1 else "")] = 0.5 * torch.randn(3, o["hiddenSize"])
    return module, {n: p.requires_grad_() for n, p in params.items()}


def layer_inputs(mode, o, T, B, unbatched, given_h0):
    D = 2 if o["bidirectional"] else 1
    LD = o["numLayers"] * D
    P = o["projSize"] or o["hiddenSize"]
    if unbatched:
        x_shape, h_shape, c_shape = (T, o["inputSize"]), (LD, P), (LD, o["hiddenSize"])
    else:
        x_shape = (B, T, o["inputSize"]) if o["batchFirst"] else (T, B, o["inputSize"])
        h_shape, c_shape = (LD, B, P), (LD, B, o["hiddenSize"])
    x = torch.randn(x_shape).requires_grad_()
    h0 = (torch.randn(h_shape) if given_h0 else torch.zeros(h_shape)).requires_grad_()
    c0 = (torch.randn(c_shape) if given_h0 else torch.zeros(c_shape)).requires_grad_() if mode == "LSTM" else None
    return x, h0, c0


def layer_options(I, H, layers, bias, batch_first, bidir, proj):
    return {"inputSize": I, "hiddenSize": H, "numLayers": layers, "bias": bias, "batchFirst": batch_first,
            "bidirectional": bidir, "projSize": proj, "nonlinearity": "tanh", "dropout": 0.0}


def backward_from(output, hN, cN):
    """Draws the upstream gradients R, S, Q and backpropagates Σ R⊙output + Σ S⊙hN (+ Σ Q⊙cN)."""
    R, S = torch.randn(output.shape), torch.randn(hN.shape)
    Q = torch.randn(cN.shape) if cN is not None else None
    loss = (output * R).sum() + (hN * S).sum() + ((cN * Q).sum() if cN is not None else 0)
    loss.backward()
    return R, S, Q


def layer_case(name, mode, variant, *, I=3, H=4, layers=1, bias=True, batch_first=False, bidir=False, proj=0,
               T=5, B=3, unbatched=False, lengths=None, given_h0=False):
    seed_for(name)
    o = layer_options(I, H, layers, bias, batch_first, bidir, proj)
    _, params = make_params(mode, variant, o)
    x, h0, c0 = layer_inputs(mode, o, T, B, unbatched, given_h0)
    output, hN, cN = run_stack(mode, variant, params, o, x, lengths, h0, c0)
    R, S, Q = backward_from(output, hN, cN)
    return {
        "name": name, "mode": mode, "options": {**o, **variant}, "training": True,
        "input": enc(x), "lengths": lengths,
        "h0": enc(h0) if given_h0 else None, "c0": enc(c0) if given_h0 and c0 is not None else None,
        "stateDict": {n: enc(p) for n, p in params.items()},
        "output": enc(output), "hN": enc(hN), "cN": enc(cN),
        "gradOutput": enc(R), "gradHN": enc(S), "gradCN": enc(Q),
        "gradInput": enc(x.grad), "gradH0": enc(h0.grad), "gradC0": enc(c0.grad) if c0 is not None else None,
        "grads": {n: enc(p.grad) for n, p in params.items()},
    }


def cell_case(name, mode, variant, *, I=3, H=4, B=3, bias=True, unbatched=False, given_h0=False):
    """A cell step: the one-layer, one-step stack, with the cell's parameter names (no _l0)."""
    seed_for(name)
    o = layer_options(I, H, 1, bias, False, False, 0)
    _, params = make_params(mode, variant, o)
    x_shape, h_shape = ((I,), (H,)) if unbatched else ((B, I), (B, H))
    x = torch.randn(x_shape).requires_grad_()
    h0 = (torch.randn(h_shape) if given_h0 else torch.zeros(h_shape)).requires_grad_()
    c0 = (torch.randn(h_shape) if given_h0 else torch.zeros(h_shape)).requires_grad_() if mode == "LSTM" else None
    h1, c1 = step(mode, variant, {k[: -len("_l0")]: p for k, p in params.items()}, x, h0, c0)
    R = torch.randn(h1.shape)
    Q = torch.randn(c1.shape) if c1 is not None else None
    ((h1 * R).sum() + ((c1 * Q).sum() if c1 is not None else 0)).backward()
    return {
        "name": name, "mode": f"{mode}Cell", "options": {"inputSize": I, "hiddenSize": H, "bias": bias, "nonlinearity": "tanh", **variant},
        "input": enc(x), "h0": enc(h0) if given_h0 else None, "c0": enc(c0) if given_h0 and c0 is not None else None,
        "stateDict": {n[: -len("_l0")]: enc(p) for n, p in params.items()},
        "h1": enc(h1), "c1": enc(c1), "gradH1": enc(R), "gradC1": enc(Q),
        "gradInput": enc(x.grad), "gradH0": enc(h0.grad), "gradC0": enc(c0.grad) if c0 is not None else None,
        "grads": {n[: -len("_l0")]: enc(p.grad) for n, p in params.items()},
    }


BEFORE = {"resetAfter": False}
PEEP = {"peepholes": True}


def layer_cases():
    L = layer_case
    return [
        L("gru_reset_before_1layer", "GRU", BEFORE),
        L("gru_reset_before_1layer_h0", "GRU", BEFORE, I=5, H=2, given_h0=True),
        L("gru_reset_before_2layer_bidir_lengths_h0", "GRU", BEFORE, layers=2, bidir=True, T=6, B=4,
          lengths=[1, 4, 6, 2], given_h0=True),
        L("gru_reset_before_nobias_2layer_bidir_lengths", "GRU", BEFORE, bias=False, layers=2, bidir=True,
          T=5, B=3, lengths=[3, 5, 1]),
        L("gru_reset_before_batchfirst_lengths", "GRU", BEFORE, batch_first=True, T=5, B=4, lengths=[2, 5, 1, 3]),
        L("gru_reset_before_unbatched_bidir_h0", "GRU", BEFORE, unbatched=True, bidir=True, T=4, given_h0=True),
        # T·B ≥ 128 and B ≥ 4: the backward pass multiplies by a transposed copy of W_hh
        L("gru_reset_before_long_bidir_lengths", "GRU", BEFORE, bidir=True, I=3, H=5, T=40, B=4,
          lengths=[40, 17, 33, 1]),
        L("lstm_peep_1layer", "LSTM", PEEP),
        L("lstm_peep_1layer_h0", "LSTM", PEEP, I=2, H=3, given_h0=True),
        L("lstm_peep_2layer_bidir_lengths_h0", "LSTM", PEEP, layers=2, bidir=True, T=6, B=4,
          lengths=[3, 6, 1, 4], given_h0=True),
        L("lstm_peep_nobias_2layer", "LSTM", PEEP, bias=False, layers=2, T=4, B=2),
        L("lstm_peep_proj_bidir_lengths_h0", "LSTM", PEEP, H=5, proj=3, bidir=True, T=5, B=3,
          lengths=[1, 5, 3], given_h0=True),
        L("lstm_peep_batchfirst_lengths", "LSTM", PEEP, batch_first=True, T=5, B=3, lengths=[5, 1, 3]),
        L("lstm_peep_unbatched_h0", "LSTM", PEEP, unbatched=True, T=5, given_h0=True),
        L("lstm_peep_long_bidir_lengths", "LSTM", PEEP, bidir=True, I=3, H=5, T=40, B=4, lengths=[12, 40, 1, 29]),
    ]


def cell_cases():
    C = cell_case
    return [
        C("grucell_reset_before", "GRU", BEFORE, given_h0=True),
        C("grucell_reset_before_h0_null", "GRU", BEFORE, I=4, H=2, B=4),
        C("grucell_reset_before_nobias", "GRU", BEFORE, bias=False, given_h0=True),
        C("grucell_reset_before_unbatched", "GRU", BEFORE, unbatched=True, given_h0=True),
        C("lstmcell_peep", "LSTM", PEEP, given_h0=True),
        C("lstmcell_peep_h0_null", "LSTM", PEEP, I=5, H=3, B=2),
        C("lstmcell_peep_nobias", "LSTM", PEEP, bias=False, given_h0=True),
        C("lstmcell_peep_unbatched", "LSTM", PEEP, unbatched=True, given_h0=True),
    ]


# ---------------------------------------------------------------------------
# the stack checked against nn.GRU / nn.LSTM in PyTorch's forms


def check_stack(mode, *, I=3, H=4, layers=1, bias=True, batch_first=False, bidir=False, proj=0,
                T=5, B=3, unbatched=False, lengths=None):
    """Asserts that run_stack in PyTorch's form equals the torch module, values and gradients."""
    o = layer_options(I, H, layers, bias, batch_first, bidir, proj)
    module, params = make_params(mode, {}, o)
    with torch.no_grad():
        for n, p in module.named_parameters():
            p.copy_(params[n])
    x, h0, c0 = layer_inputs(mode, o, T, B, unbatched, True)
    ours = run_stack(mode, {}, params, o, x, lengths, h0, c0)
    xt, h0t = x.detach().clone().requires_grad_(), h0.detach().clone().requires_grad_()
    c0t = c0.detach().clone().requires_grad_() if c0 is not None else None
    hx = (h0t, c0t) if mode == "LSTM" else h0t
    if lengths is None:
        out, state = module(xt, hx)
    else:
        packed = pack_padded_sequence(xt, torch.tensor(lengths), batch_first=batch_first, enforce_sorted=False)
        out_packed, state = module(packed, hx)
        out, _ = pad_packed_sequence(out_packed, batch_first=batch_first, total_length=T)
    theirs = (out, state[0], state[1]) if mode == "LSTM" else (out, state, None)
    seed = torch.get_rng_state()
    backward_from(*ours)
    torch.set_rng_state(seed)
    backward_from(*theirs)
    pairs = [(a, b) for a, b in zip(ours, theirs) if a is not None]
    pairs += [(x.grad, xt.grad), (h0.grad, h0t.grad)] + ([(c0.grad, c0t.grad)] if c0 is not None else [])
    pairs += [(params[n].grad, p.grad) for n, p in module.named_parameters()]
    worst = max(float((a - b).abs().max()) for a, b in pairs)
    assert worst < 1e-12, f"the explicit {mode} stack differs from nn.{mode} by {worst} ({o}, lengths {lengths})"


def self_check():
    for mode in ("GRU", "LSTM"):
        check_stack(mode)
        check_stack(mode, layers=2, bidir=True, T=6, B=4, lengths=[1, 4, 6, 2])
        check_stack(mode, bias=False, layers=2, T=4, B=2)
        check_stack(mode, batch_first=True, bidir=True, T=5, B=3, lengths=[5, 1, 3])
        check_stack(mode, unbatched=True, bidir=True, T=4)
    check_stack("LSTM", H=5, proj=3, layers=2, bidir=True, T=5, B=3, lengths=[1, 5, 3])
    # and a cell step equals nn.GRUCell / nn.LSTMCell
    for mode, cls in (("GRU", nn.GRUCell), ("LSTM", nn.LSTMCell)):
        cell = cls(3, 4)
        w = {n: p for n, p in cell.named_parameters()}
        x, h, c = torch.randn(2, 3), torch.randn(2, 4), torch.randn(2, 4)
        ours = step(mode, {}, w, x, h, c)[0]
        theirs = cell(x, (h, c))[0] if mode == "LSTM" else cell(x, h)
        assert float((ours - theirs).abs().max()) < 1e-14, f"the explicit {mode} step differs from nn.{mode}Cell"


def main():
    self_check()
    doc = {"generator": GENERATOR, "torch": torch.__version__, "dtype": "float64",
           "layers": layer_cases(), "cells": cell_cases()}
    tmp = OUT + ".tmp"
    with open(tmp, "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")
    os.replace(tmp, OUT)
    with open(OUT) as f:
        back = json.load(f)
    assert len(back["layers"]) == len(doc["layers"]) and len(back["cells"]) == len(doc["cells"])
    print(f"variants.json: {len(back['layers'])} layer cases, {len(back['cells'])} cell cases, "
          f"{os.path.getsize(OUT)} bytes (the stack matches nn.GRU / nn.LSTM)")


if __name__ == "__main__":
    main()
