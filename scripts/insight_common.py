"""A recurrent stack run step by step in PyTorch, so that every state is a tensor.

Shared by scripts/gen_insight_fixtures.py and bench/insight/vanishing.py. nn.RNN,
nn.LSTM and nn.GRU hide their per-step states; here each step is written out with
PyTorch's cell equations and the weights of its state dict, and every emitted state
h_t (and LSTM cell state c_t) calls retain_grad(), so that after backward() its
.grad is the TOTAL gradient ∂L/∂h_t (from the output at t and from later steps).

Cell equations (PyTorch's gate orders: LSTM i|f|g|o, GRU r|z|n):

  RNN   h = act(W_ih x + b_ih + W_hh h₋ + b_hh),  act = tanh, relu or leaky_relu(slope)
  LSTM  i, f, g, o = σ, σ, tanh, σ of the four blocks of W_ih x + b_ih + W_hh h₋ + b_hh
        c = f ⊙ c₋ + i ⊙ g,   h = o ⊙ tanh(c)   (then h = W_hr h with proj_size > 0)
  GRU   r, z = σ of their blocks of W_ih x + b_ih + W_hh h₋ + b_hh
        n = tanh(W_in x + b_in + r ⊙ (W_hn h₋ + b_hn)),   h = (1 − z) ⊙ n + z ⊙ h₋

Packed sequences (lengths): row b is active at step t iff t < lengths[b]. An inactive
row keeps its state (the forward direction freezes it after its last step; the reverse
direction starts from h0 at each row's last valid step) and emits a zero output, as
pack_padded_sequence / pad_packed_sequence do. Time index t is the input position in
both directions.
"""

import torch
import torch.nn.functional as F

GATE_NAMES = {"RNN": [], "LSTM": ["i", "f", "g", "o"], "GRU": ["r", "z", "n"]}
"""Gate names per cell family, in the row order of weight_ih / weight_hh."""

TANH_GATES = {"g", "n"}
"""Gates with a tanh activation; the others are sigmoids."""


def family(mode):
    """'LSTM', 'GRU' or 'RNN' for a mode such as 'RNN_TANH' or 'RNN_LEAKY_RELU'."""
    return mode if mode in ("LSTM", "GRU") else "RNN"


def gate_blocks(mode):
    """How many H-row blocks weight_ih / weight_hh stack: 4 (LSTM), 3 (GRU) or 1 (RNN)."""
    return len(GATE_NAMES[family(mode)]) or 1


def rnn_activation(mode, negative_slope):
    """The Elman cell's nonlinearity for mode RNN_TANH, RNN_RELU or RNN_LEAKY_RELU."""
    if mode == "RNN_TANH":
        return torch.tanh
    if mode == "RNN_RELU":
        return F.relu
    if mode == "RNN_LEAKY_RELU":
        return lambda a: F.leaky_relu(a, negative_slope)
    raise ValueError(f"rnn_activation: unknown mode {mode!r}")


def param_name(kind, layer, direction):
    """PyTorch's state-dict name, e.g. param_name('weight_hh', 1, 1) = 'weight_hh_l1_reverse'."""
    return f"{kind}_l{layer}" + ("_reverse" if direction == 1 else "")


def cell_step(mode, w, x, h, c, keep=None, negative_slope=0.01):
    """One step of one direction of one layer.

    w: {'weight_ih', 'weight_hh', 'bias_ih', 'bias_hh'[, 'weight_hr']} for that layer/direction
    (biases may be absent); x (B, I), h (B, P), c (B, H) or None; keep (B, 1) bool or None:
    rows where it is False keep their h and c. The LSTM's masked c is the tensor h is computed
    from, so its gradient includes the path through h.
    Returns (h, c or None, {gate name: activation (B, H)}).
    """
    pre_x = F.linear(x, w["weight_ih"], w.get("bias_ih"))
    pre_h = F.linear(h, w["weight_hh"], w.get("bias_hh"))
    masked = (lambda new, old: new) if keep is None else (lambda new, old: torch.where(keep, new, old))
    kind = family(mode)
    if kind == "RNN":
        return masked(rnn_activation(mode, negative_slope)(pre_x + pre_h), h), None, {}
    if kind == "LSTM":
        pre_i, pre_f, pre_g, pre_o = (pre_x + pre_h).chunk(4, dim=1)
        i, f, g, o = torch.sigmoid(pre_i), torch.sigmoid(pre_f), torch.tanh(pre_g), torch.sigmoid(pre_o)
        c_new = masked(f * c + i * g, c)
        h_new = o * torch.tanh(c_new)
        if "weight_hr" in w:
            h_new = F.linear(h_new, w["weight_hr"])
        return masked(h_new, h), c_new, {"i": i, "f": f, "g": g, "o": o}
    x_r, x_z, x_n = pre_x.chunk(3, dim=1)
    h_r, h_z, h_n = pre_h.chunk(3, dim=1)
    r = torch.sigmoid(x_r + h_r)
    z = torch.sigmoid(x_z + h_z)
    n = torch.tanh(x_n + r * h_n)
    return masked((1 - z) * n + z * h, h), None, {"r": r, "z": z, "n": n}


def run_direction(mode, w, xs, active, h0, c0, reverse, negative_slope=0.01):
    """The time loop of one direction. xs (T, B, I); active (T, B) bool or None (all active).

    Returns a trace {'h': [h_t], 'c': [c_t] or None, 'gates': {name: [a_t]}} indexed by input
    position t, each h_t / c_t with retain_grad(); and the padded output (T, B, P).
    """
    T = xs.shape[0]
    h, c = h0, c0
    hs, cs = [None] * T, [None] * T
    gates = {name: [None] * T for name in GATE_NAMES[family(mode)]}
    for t in (reversed(range(T)) if reverse else range(T)):
        keep = active[t].unsqueeze(1) if active is not None else None
        h_new, c_new, a = cell_step(mode, w, xs[t], h, c, keep, negative_slope)
        h_new.retain_grad()
        if c_new is not None:
            c_new.retain_grad()
        h, c = h_new, c_new
        hs[t], cs[t] = h, c
        for name, value in a.items():
            gates[name][t] = value
    output = torch.stack(hs)
    if active is not None:
        output = output * active.unsqueeze(2).to(output.dtype)  # padded positions are 0
    return {"h": hs, "c": cs if c0 is not None else None, "gates": gates}, output


def direction_weights(params, layer, direction):
    """The parameters of one layer/direction, keyed without the _l{k}[_reverse] suffix."""
    kinds = ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr")
    return {k: params[param_name(k, layer, direction)] for k in kinds if param_name(k, layer, direction) in params}


def run_stack(mode, params, x, num_layers, bidirectional, lengths=None, negative_slope=0.01):
    """Run layers × directions step by step, as nn.RNN / nn.LSTM / nn.GRU would (zero h0, c0).

    params: state dict (name → tensor); x (T, B, I); lengths: list of B ints or None.
    Returns (output (T, B, D·P), hN (L·D, B, P), cN (L·D, B, H) or None, traces) where
    traces[layer·D + direction] is that direction's trace (see run_direction).
    """
    T, B, _ = x.shape
    D = 2 if bidirectional else 1
    active = None
    if lengths is not None:
        active = torch.arange(T).unsqueeze(1) < torch.tensor(lengths).unsqueeze(0)  # (T, B)
    is_lstm = family(mode) == "LSTM"
    traces, h_final, c_final = [], [], []
    layer_input = x
    for layer in range(num_layers):
        outputs = []
        for direction in range(D):
            w = direction_weights(params, layer, direction)
            P = w["weight_hh"].shape[1]
            H = w["weight_hh"].shape[0] // gate_blocks(mode)
            h0 = x.new_zeros(B, P)
            c0 = x.new_zeros(B, H) if is_lstm else None
            trace, output = run_direction(mode, w, layer_input, active, h0, c0, direction == 1, negative_slope)
            traces.append(trace)
            outputs.append(output)
            last = 0 if direction == 1 else T - 1  # an inactive row's state is frozen, so this is its final state
            h_final.append(trace["h"][last])
            if is_lstm:
                c_final.append(trace["c"][last])
        layer_input = torch.cat(outputs, dim=2)
    hN = torch.stack(h_final)
    cN = torch.stack(c_final) if is_lstm else None
    return layer_input, hN, cN, traces
