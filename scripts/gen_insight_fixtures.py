"""Write test/fixtures/insight.json: PyTorch references for the per-step diagnostics.

Run from the project root (needs torch):

    /usr/bin/python3 scripts/gen_insight_fixtures.py

Each case is a recurrent stack (zero initial states, time-major input x (T, B, I)),
float64, with weights drawn by torch under PyTorch's state-dict names and shapes:
default init U(−1/√H, 1/√H) multiplied by the case's scale (so that some gates
saturate), seeded from the case's name. The stack is run step by step
(scripts/insight_common.py) so every state is a tensor; its output, hN, cN and every
parameter gradient are asserted equal (1e-12 / 1e-10) to nn.RNN / nn.LSTM / nn.GRU,
with pack_padded_sequence when lengths are given (RNN_LEAKY_RELU, absent from nn.RNN,
is the same loop with F.leaky_relu).

Loss: L = Σ R ⊙ output + Σ S ⊙ hN (+ Σ Q ⊙ cN for LSTM), where output (T, B, D·P) is
the last layer's padded output (zeros past each row's length), hN (L·D, B, P),
cN (L·D, B, H); R, S, Q ~ N(0, 1) are stored. D = 2 if bidirectional else 1; P = projSize
or H. Row b is active at step t iff t < lengths[b] (all rows when lengths is null); the
reverse direction starts at each row's last valid step (packed-sequence semantics).
Time index t is the input position 0..T−1 in both directions.

Definitions, per (layer l, direction d), for t = 0..T−1, over the ACTIVE rows at t only:
  gradH[t]        ‖∂L/∂h_t‖₂ over (active rows, P): the TOTAL gradient of the emitted state
                  h_t (from the output at t, from later steps, from the layer above and hN)
  gradC[t]        LSTM: ‖∂L/∂c_t‖₂ over (active rows, H), total (through c_{t+1} and h_t)
  gates[g].mean[t]       mean activation of gate g over (active rows × H)
  gates[g].saturated[t]  fraction of those saturated, θ = 0.1: sigmoid gates (LSTM i, f, o;
                  GRU r, z) when a < θ or a > 1 − θ; tanh gates (LSTM g, GRU n) when |a| > 1 − θ
  singularValues  torch.linalg.svdvals of each gate block of weight_hh_l{l}[_reverse]: rows
                  [k·H, (k+1)·H) of the (gates·H, P) matrix, k in gate order (LSTM i|f|g|o,
                  GRU r|z|n, RNN one block), descending
and per case: paramGradNorms[name] = ‖∂L/∂param‖₂ for every state-dict name, and
globalGradNorm = √(Σ paramGradNorms²) (what clip_grad_norm_ returns).

Format (tensors are {"shape": [...], "data": [flat row-major numbers]}):
  {"generator", "torch", "dtype": "float64", "theta": 0.1, "cases": [
    {"name", "mode": "RNN_TANH" | "RNN_RELU" | "RNN_LEAKY_RELU" | "LSTM" | "GRU",
     "options": {"inputSize", "hiddenSize", "numLayers", "bidirectional", "projSize",
                 "nonlinearity": "tanh" | "relu" | "leaky_relu" | null, "negativeSlope": number | null},
     "gateNames": [...] (LSTM ["i","f","g","o"], GRU ["r","z","n"], RNN []),
     "input": x (T, B, I), "lengths": [B ints] | null, "stateDict": {name: tensor},
     "gradOutput": R (T, B, D·P), "gradHN": S (L·D, B, P), "gradCN": Q (L·D, B, H) | null,
     "loss": L,
     "directions": [ one per (layer, direction), index layer·D + direction (hN's order):
        {"layer", "direction", "gradH": [T], "gradC": [T] | null,
         "gates": {gate name: {"mean": [T], "saturated": [T]}}  ({} for RNN),
         "singularValues": [[...] per gate block]} ],
     "paramGradNorms": {name: number}, "globalGradNorm": number } ]}

Every case has a row of full length, so no step is without active rows. The script
re-reads the file and recomputes every case from the stored inputs before exiting.
"""

import json
import math
import os

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from gen_fixtures import dec, enc, seed_for
from insight_common import GATE_NAMES, TANH_GATES, family, gate_blocks, run_stack

torch.set_default_dtype(torch.float64)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUTPUT = os.path.join(ROOT, "test", "fixtures", "insight.json")
GENERATOR = "scripts/gen_insight_fixtures.py"
THETA = 0.1


# ---------------------------------------------------------------------------
# reference modules


def nn_module(mode, o):
    """The nn.RNN / nn.LSTM / nn.GRU for these options (RNN_LEAKY_RELU: a tanh nn.RNN, for its init)."""
    common = dict(input_size=o["inputSize"], hidden_size=o["hiddenSize"], num_layers=o["numLayers"],
                  bidirectional=o["bidirectional"])
    if mode == "LSTM":
        return nn.LSTM(proj_size=o["projSize"], **common)
    if mode == "GRU":
        return nn.GRU(**common)
    return nn.RNN(nonlinearity="relu" if mode == "RNN_RELU" else "tanh", **common)


def run_nn(module, mode, x, lengths):
    """nn module forward, packed when lengths are given: (padded output, hN, cN or None)."""
    if lengths is None:
        out, state = module(x)
    else:
        packed = pack_padded_sequence(x, torch.tensor(lengths), enforce_sorted=False)
        out_packed, state = module(packed)
        out, _ = pad_packed_sequence(out_packed, total_length=x.shape[0])
    return (out, state[0], state[1]) if mode == "LSTM" else (out, state, None)


def loss_of(output, hN, cN, R, S, Q):
    """L = Σ R ⊙ output + Σ S ⊙ hN (+ Σ Q ⊙ cN)."""
    loss = (R * output).sum() + (S * hN).sum()
    return loss + (Q * cN).sum() if cN is not None else loss


# ---------------------------------------------------------------------------
# diagnostics


def assert_close(what, got, want, tol):
    err = (got - want).abs().max().item()
    assert err <= tol, f"{what}: max |difference| {err:.3g} > {tol:g}"


def active_rows(T, B, lengths):
    """(T, B) bool: row b is active at step t iff t < lengths[b]."""
    if lengths is None:
        return torch.ones(T, B, dtype=torch.bool)
    return torch.arange(T).unsqueeze(1) < torch.tensor(lengths).unsqueeze(0)


def saturated_fraction(name, a):
    """Fraction of activations a saturated at θ: sigmoid a < θ or a > 1 − θ; tanh |a| > 1 − θ."""
    hit = a.abs() > 1 - THETA if name in TANH_GATES else (a < THETA) | (a > 1 - THETA)
    return hit.double().mean().item()


def direction_diagnostics(mode, trace, weight_hh, active, layer, direction):
    """gradH, gradC, gate statistics and weight_hh singular values of one (layer, direction)."""
    T = len(trace["h"])
    H = weight_hh.shape[0] // gate_blocks(mode)
    grad_norm = lambda states: [torch.linalg.vector_norm(states[t].grad[active[t]]).item() for t in range(T)]
    gates = {
        name: {
            "mean": [values[t][active[t]].mean().item() for t in range(T)],
            "saturated": [saturated_fraction(name, values[t][active[t]]) for t in range(T)],
        }
        for name, values in trace["gates"].items()
    }
    blocks = weight_hh.detach().split(H, dim=0)
    return {
        "layer": layer,
        "direction": direction,
        "gradH": grad_norm(trace["h"]),
        "gradC": grad_norm(trace["c"]) if trace["c"] is not None else None,
        "gates": gates,
        "singularValues": [torch.linalg.svdvals(block).tolist() for block in blocks],
    }


def check_cell_state_gradients(trace, weight_hr, dcN, active, reverse):
    """Assert the LSTM backward identity on the retained gradients of one direction, all rows:

      ∂L/∂c_t = ∂L/∂c_next ⊙ (f_next where active at next, else 1)   [next = t ± 1, if any]
              + (∂L/∂h_t W_hr) ⊙ o_t ⊙ (1 − tanh² c_t)              [rows active at t; W_hr = I
                                                                      without projection]
              + ∂L/∂cN                                              [the direction's last step]
    """
    T = len(trace["c"])
    order = list(reversed(range(T))) if reverse else list(range(T))
    for step, t in enumerate(order):
        c, dh = trace["c"][t], trace["h"][t].grad
        if weight_hr is not None:
            dh = dh @ weight_hr
        want = active[t].unsqueeze(1) * dh * trace["gates"]["o"][t] * (1 - torch.tanh(c) ** 2)
        if step + 1 < T:
            t_next = order[step + 1]
            f_next = torch.where(active[t_next].unsqueeze(1), trace["gates"]["f"][t_next], torch.ones_like(c))
            want = want + trace["c"][t_next].grad * f_next
        else:
            want = want + dcN
        assert_close(f"∂L/∂c[{t}]", c.grad, want.detach(), 1e-12)


def diagnose(mode, o, state_dict, x, lengths, R, S, Q):
    """Run the stack step by step, backpropagate L and measure everything the fixture records.

    Returns (result dict, output, hN, cN, params) — the last four for the checks against nn.
    """
    params = {k: v.detach().clone().requires_grad_() for k, v in state_dict.items()}
    output, hN, cN, traces = run_stack(mode, params, x, o["numLayers"], o["bidirectional"], lengths,
                                       o["negativeSlope"] or 0.0)
    loss = loss_of(output, hN, cN, R, S, Q)
    loss.backward()
    T, B, _ = x.shape
    active = active_rows(T, B, lengths)
    D = 2 if o["bidirectional"] else 1
    directions = []
    for index, trace in enumerate(traces):
        layer, direction = divmod(index, D)
        weight_hh = params[f"weight_hh_l{layer}" + ("_reverse" if direction else "")]
        directions.append(direction_diagnostics(mode, trace, weight_hh, active, layer, direction))
        if mode == "LSTM":
            weight_hr = params.get(f"weight_hr_l{layer}" + ("_reverse" if direction else ""))
            check_cell_state_gradients(trace, weight_hr, Q[index], active, direction == 1)
    norms = {k: torch.linalg.vector_norm(p.grad).item() for k, p in params.items()}
    result = {
        "loss": loss.item(),
        "directions": directions,
        "paramGradNorms": norms,
        "globalGradNorm": math.sqrt(sum(n * n for n in norms.values())),
    }
    return result, output, hN, cN, params


# ---------------------------------------------------------------------------
# cases


def check_against_nn(name, mode, o, state_dict, x, lengths, R, S, Q, output, hN, cN, params):
    """Assert the step-by-step run equals the nn module's forward and parameter gradients."""
    module = nn_module(mode, o)
    module.load_state_dict(state_dict)
    out_nn, hN_nn, cN_nn = run_nn(module, mode, x, lengths)
    assert_close(f"{name}: output", output, out_nn, 1e-12)
    assert_close(f"{name}: hN", hN, hN_nn, 1e-12)
    if cN is not None:
        assert_close(f"{name}: cN", cN, cN_nn, 1e-12)
    loss_of(out_nn, hN_nn, cN_nn, R, S, Q).backward()
    for k, p in module.named_parameters():
        assert_close(f"{name}: grad {k}", params[k].grad, p.grad, 1e-10)


def insight_case(name, mode, *, I=3, H=4, layers=1, bidir=False, proj=0, T=5, B=2, lengths=None,
                 slope=None, scale=3.0):
    """One fixture case: draw weights, x, R, S, Q from the name's seed; diagnose; check against nn."""
    seed_for(name)
    o = {
        "inputSize": I,
        "hiddenSize": H,
        "numLayers": layers,
        "bidirectional": bidir,
        "projSize": proj,
        "nonlinearity": {"RNN_TANH": "tanh", "RNN_RELU": "relu", "RNN_LEAKY_RELU": "leaky_relu"}.get(mode),
        "negativeSlope": slope,
    }
    assert lengths is None or (len(lengths) == B and max(lengths) == T), f"{name}: a row must span all T steps"
    state_dict = {k: scale * v for k, v in nn_module(mode, o).state_dict().items()}
    D = 2 if bidir else 1
    P = proj or H
    x = torch.randn(T, B, I)
    R = torch.randn(T, B, D * P)
    S = torch.randn(layers * D, B, P)
    Q = torch.randn(layers * D, B, H) if mode == "LSTM" else None

    result, output, hN, cN, params = diagnose(mode, o, state_dict, x, lengths, R, S, Q)
    if mode != "RNN_LEAKY_RELU":
        check_against_nn(name, mode, o, state_dict, x, lengths, R, S, Q, output, hN, cN, params)
    return {
        "name": name,
        "mode": mode,
        "options": o,
        "gateNames": GATE_NAMES[family(mode)],
        "input": enc(x),
        "lengths": lengths,
        "stateDict": {k: enc(v) for k, v in state_dict.items()},
        "gradOutput": enc(R),
        "gradHN": enc(S),
        "gradCN": enc(Q),
        **result,
    }


def insight_cases():
    C = insight_case
    return [
        C("rnn_tanh", "RNN_TANH", H=4, T=6, B=2, scale=2.0),
        C("rnn_relu", "RNN_RELU", layers=2, H=4, T=5, B=3, scale=1.5),
        C("rnn_leaky_relu", "RNN_LEAKY_RELU", slope=0.2, H=5, T=6, B=2, scale=2.0),
        C("lstm_2layer_bidir", "LSTM", layers=2, bidir=True, H=4, T=5, B=2),
        C("lstm_proj_2layer", "LSTM", layers=2, H=5, proj=3, T=5, B=2),
        C("lstm_bidir_lengths", "LSTM", bidir=True, I=2, H=4, T=6, B=3, lengths=[3, 6, 1]),
        C("gru_2layer", "GRU", layers=2, H=4, T=6, B=2),
        C("gru_bidir_lengths", "GRU", bidir=True, H=5, T=7, B=3, lengths=[4, 7, 2]),
    ]


# ---------------------------------------------------------------------------
# output


def write_json_atomically(path, obj):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(obj, f, separators=(",", ":"))
        f.write("\n")
    os.replace(tmp, path)


def max_difference(a, b):
    """Largest |a − b| over two equally shaped nests of lists, dicts and numbers (None = None)."""
    if isinstance(a, dict):
        assert a.keys() == b.keys()
        return max((max_difference(a[k], b[k]) for k in a), default=0.0)
    if isinstance(a, list):
        assert len(a) == len(b)
        return max((max_difference(u, v) for u, v in zip(a, b)), default=0.0)
    if a is None or isinstance(a, (str, bool)):
        assert a == b
        return 0.0
    return abs(a - b)


def check_written(path):
    """Recompute every case from the stored inputs alone and compare with the stored results."""
    with open(path) as f:
        fixture = json.load(f)
    for case in fixture["cases"]:
        state_dict = {k: dec(v) for k, v in case["stateDict"].items()}
        result, *_ = diagnose(case["mode"], case["options"], state_dict, dec(case["input"]), case["lengths"],
                              dec(case["gradOutput"]), dec(case["gradHN"]), dec(case["gradCN"]))
        stored = {k: case[k] for k in result}
        err = max_difference(result, stored)
        assert err <= 1e-12, f"{case['name']}: recomputed diagnostics differ by {err:.3g}"
    return fixture


def main():
    cases = insight_cases()
    write_json_atomically(OUTPUT, {"generator": GENERATOR, "torch": torch.__version__, "dtype": "float64",
                                   "theta": THETA, "cases": cases})
    fixture = check_written(OUTPUT)
    print(f"{os.path.relpath(OUTPUT, ROOT)}: {len(fixture['cases'])} cases, {os.path.getsize(OUTPUT)} bytes")
    for case in fixture["cases"]:
        for d in case["directions"]:
            sat = {g: max(s["saturated"]) for g, s in d["gates"].items()}
            print(f"  {case['name']:20s} l{d['layer']} d{d['direction']}  gradH {min(d['gradH']):.3g}..{max(d['gradH']):.3g}"
                  f"  max saturated {sat}")


if __name__ == "__main__":
    main()
