"""The `lab vanishing` protocol run in PyTorch: how fast gradients decay through time.

Run from the project root (needs torch and numpy; about 8 s on one core):

    /usr/bin/python3 bench/insight/vanishing.py

writes docs/results/vanishing-pytorch.json and prints a table.

Protocol (as `recurrent lab vanishing`): one layer, H = 128, I = 8, B = 16, T = 200,
x_t ~ N(0, 1); loss at the last step only, L_T = Σ_b r · h_T^b with r ~ N(0, 1/H);
g(k) = ‖∂L_T/∂h_{T−k}‖₂ over the whole (B, H) block, k = 0..T−1 (k = 0 is the last step;
LSTM also g_c(k) = ‖∂L_T/∂c_{T−k}‖₂); fit ln g(k) = a + k ln ρ by least squares over the k
with g(k) > 0; report g(50)/g(0). Seeds 0..4. Per seed: torch.manual_seed(seed), then the
module's default init U(−1/√H, 1/√H), the configuration's changes, x, r, in that order.

Precision: float32 (the library's default dtype) for weights, states and gradients; the
norms are taken in float64 of the float32 gradients, so a gradient vanishes here only when
every float32 entry is 0 (float32 keeps denormals down to 1.4e-45: ln ≈ −103). The recurrence
runs step by step (scripts/insight_common.py) so every h_t, c_t keeps its gradient; its
final state is checked against nn.RNN / nn.LSTM / nn.GRU (leaky relu: not in nn.RNN).

Format of the JSON:
  {"generator", "torch", "dtype": "float32", "protocol": {"hiddenSize", "inputSize", "batch",
   "steps", "seeds"}, "seconds": wall-clock time of all runs,
   "configurations": [
     {"index": 1..8 (the protocol's numbering), "name", "mode": "RNN_TANH" | "RNN_RELU" |
      "RNN_LEAKY_RELU" | "LSTM" | "GRU", "negativeSlope": number | null, "init": description,
      "h": curve, "c": curve (LSTM) | null} ]}
  curve = {"lnRho": {"mean", "min", "max", "perSeed": [5]},
           "rho": {"mean", "min", "max", "perSeed": [5]}          (ρ = exp(ln ρ) per seed),
           "ratio50": {"mean", "perSeed": [5]}                     (g(50)/g(0)),
           "fitPoints": [5]                                        (k with g(k) > 0, per seed),
           "log10G": [T]   mean over seeds of log10 g(k), k = 0..T−1; null where some seed's
                           g(k) is 0 (underflow)}
"""

import json
import math
import os
import sys
import time

import numpy as np
import torch
from torch import nn

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts"))

from insight_common import run_stack  # noqa: E402

OUTPUT = os.path.join(ROOT, "docs", "results", "vanishing-pytorch.json")
GENERATOR = "bench/insight/vanishing.py"
H, I, B, T = 128, 8, 16, 200
SEEDS = [0, 1, 2, 3, 4]


# ---------------------------------------------------------------------------
# configurations: a default-initialised module, then changes to its state dict


def orthogonal_hh(p):
    """Orthogonal W_hh, gain 1 (Saxe, McClelland & Ganguli 2014)."""
    nn.init.orthogonal_(p["weight_hh_l0"], gain=1.0)


def identity_hh(p):
    """W_hh = I."""
    p["weight_hh_l0"].copy_(torch.eye(H))


def irnn(p):
    """IRNN (Le, Jaitly & Hinton 2015): W_hh = I, biases 0, W_ih ~ N(0, 0.001²)."""
    identity_hh(p)
    p["bias_ih_l0"].zero_()
    p["bias_hh_l0"].zero_()
    nn.init.normal_(p["weight_ih_l0"], 0.0, 0.001)


def forget_bias_1(p):
    """LSTM forget-gate bias 1: bias_ih's forget block 1, bias_hh's forget block 0."""
    p["bias_ih_l0"][H:2 * H] = 1.0
    p["bias_hh_l0"][H:2 * H] = 0.0


CONFIGURATIONS = [
    # (index, name, mode, negative slope, init description, change to the default init)
    (1, "rnn_tanh_default", "RNN_TANH", None, "default", None),
    (2, "rnn_tanh_orthogonal", "RNN_TANH", None, "orthogonal W_hh (gain 1)", orthogonal_hh),
    (3, "rnn_tanh_identity", "RNN_TANH", None, "identity W_hh", identity_hh),
    (4, "irnn", "RNN_RELU", None, "identity W_hh, biases 0, W_ih ~ N(0, 0.001²)", irnn),
    (5, "rnn_leaky_relu_identity", "RNN_LEAKY_RELU", 0.01, "identity W_hh, biases 0, W_ih ~ N(0, 0.001²)", irnn),
    (6, "lstm_default", "LSTM", None, "default", None),
    (7, "lstm_forget_bias_1", "LSTM", None, "forget-gate bias 1 (bias_ih block 1, bias_hh block 0)", forget_bias_1),
    (8, "gru_default", "GRU", None, "default", None),
]


def default_module(mode):
    """A float32 nn.RNN / nn.LSTM / nn.GRU (I → H, one layer) with PyTorch's default init."""
    if mode == "LSTM":
        return nn.LSTM(I, H)
    if mode == "GRU":
        return nn.GRU(I, H)
    return nn.RNN(I, H, nonlinearity="relu" if mode == "RNN_RELU" else "tanh")


# ---------------------------------------------------------------------------
# one run


def gradient_curves(mode, slope, change, seed):
    """g(k) (and g_c(k) for LSTM) as float64 numpy arrays for one seed; k = 0 is the last step."""
    torch.manual_seed(seed)
    module = default_module(mode)
    params = {k: v.detach().clone() for k, v in module.state_dict().items()}
    if change is not None:
        with torch.no_grad():
            change(params)
    for p in params.values():
        p.requires_grad_()
    x = torch.randn(T, B, I)
    r = torch.randn(H) / math.sqrt(H)

    _, hN, cN, traces = run_stack(mode, params, x, 1, False, None, slope or 0.0)
    if mode != "RNN_LEAKY_RELU":
        check_final_state(module, mode, params, x, hN, cN)
    (hN[0] @ r).sum().backward()  # L_T = Σ_b r · h_T^b

    def curve(states):
        return np.array([torch.linalg.vector_norm(states[T - 1 - k].grad.double()).item() for k in range(T)])

    trace = traces[0]
    return curve(trace["h"]), curve(trace["c"]) if trace["c"] is not None else None


def check_final_state(module, mode, params, x, hN, cN):
    """Assert the step-by-step final state equals the nn module's (float32 tolerance)."""
    module.load_state_dict({k: v.detach() for k, v in params.items()})
    with torch.no_grad():
        _, state = module(x)
    for mine, theirs in ((hN, state[0]), (cN, state[1])) if mode == "LSTM" else ((hN, state),):
        err = (mine - theirs).abs().max().item()
        scale = max(theirs.abs().max().item(), 1.0)
        assert err <= 1e-4 * scale, f"{mode}: final state differs from nn by {err:.3g}"


# ---------------------------------------------------------------------------
# statistics over seeds


def fit_log_rate(g):
    """ln ρ, the slope of the least-squares line ln g(k) = a + k ln ρ over the k with 0 < g(k) < ∞."""
    k = np.nonzero(np.isfinite(g) & (g > 0))[0]
    if len(k) < 2:
        return float("nan"), len(k)
    slope, _ = np.polyfit(k.astype(np.float64), np.log(g[k]), 1)
    return float(slope), len(k)


def spread(values):
    """{"mean", "min", "max", "perSeed"} of a list of numbers."""
    return {"mean": float(np.mean(values)), "min": float(np.min(values)), "max": float(np.max(values)),
            "perSeed": [float(v) for v in values]}


def summarize(curves):
    """The per-configuration statistics of one kind of curve (h or c), one curve per seed."""
    fits = [fit_log_rate(g) for g in curves]
    ln_rho = [f[0] for f in fits]
    ratio = [float(g[50] / g[0]) for g in curves]
    stacked = np.stack(curves)
    with np.errstate(divide="ignore"):
        logs = np.log10(stacked)
    mean_log = [float(v) if np.all(np.isfinite(col)) else None for v, col in zip(logs.mean(axis=0), logs.T)]
    return {
        "lnRho": spread(ln_rho),
        "rho": spread([math.exp(v) for v in ln_rho]),
        "ratio50": {"mean": float(np.mean(ratio)), "perSeed": ratio},
        "fitPoints": [f[1] for f in fits],
        "log10G": mean_log,
    }


def run_configuration(index, name, mode, slope, init, change):
    """All seeds of one configuration → its JSON record."""
    runs = [gradient_curves(mode, slope, change, seed) for seed in SEEDS]
    return {
        "index": index,
        "name": name,
        "mode": mode,
        "negativeSlope": slope,
        "init": init,
        "h": summarize([h for h, _ in runs]),
        "c": summarize([c for _, c in runs]) if mode == "LSTM" else None,
    }


# ---------------------------------------------------------------------------
# output


def table(configurations):
    """A readable table: one row per configuration and curve."""
    head = (f"{'#':>2} {'configuration':24s} {'':2s} {'ln ρ mean':>10s} {'[min, max]':>22s} {'ρ mean':>8s}"
            f" {'g(50)/g(0)':>11s} {'fit k':>7s} {'log10 g(k) at k = 0, 50, 100, 199':>36s}")
    lines = [head, "-" * len(head)]
    fmt = lambda v: f"{'-inf':>7s}" if v is None else f"{v:7.1f}"
    for c in configurations:
        for kind in ("h", "c"):
            s = c[kind]
            if s is None:
                continue
            lr, g = s["lnRho"], s["log10G"]
            lines.append(
                f"{c['index']:>2} {c['name']:24s} {kind:2s} {lr['mean']:10.4f} [{lr['min']:9.4f}, {lr['max']:9.4f}]"
                f" {s['rho']['mean']:8.4f} {s['ratio50']['mean']:11.3g} {min(s['fitPoints']):>7d}"
                f" {' '.join(fmt(g[k]) for k in (0, 50, 100, T - 1)):>36s}")
    return "\n".join(lines)


def write_json_atomically(path, obj):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(obj, f, indent=1, allow_nan=False)
        f.write("\n")
    os.replace(tmp, path)


def main():
    start = time.perf_counter()
    configurations = [run_configuration(*c) for c in CONFIGURATIONS]
    seconds = time.perf_counter() - start
    write_json_atomically(OUTPUT, {
        "generator": GENERATOR,
        "torch": torch.__version__,
        "dtype": "float32",
        "protocol": {"hiddenSize": H, "inputSize": I, "batch": B, "steps": T, "seeds": SEEDS},
        "seconds": round(seconds, 1),
        "configurations": configurations,
    })
    print(table(configurations))
    print(f"\n{len(CONFIGURATIONS)} configurations × {len(SEEDS)} seeds in {seconds:.1f} s "
          f"(torch {torch.__version__}, float32, {torch.get_num_threads()} thread(s)); "
          f"fit k = fewest k with g(k) > 0 over the seeds; -inf = g(k) underflowed to 0 in some seed")
    print(f"wrote {os.path.relpath(OUTPUT, ROOT)}")


if __name__ == "__main__":
    main()
