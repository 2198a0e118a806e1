/**
 * A probe: what happens inside the recurrent layers of a model, recorded by
 * the layers themselves while they run. `watch(model)` finds every RNN, LSTM,
 * GRU layer and cell in it; from then on each forward call records, per
 * layer, direction and time step,
 *   - gate statistics: mean activation and saturated fraction of each gate
 *     (see {@link gateStatistics});
 *   - optionally the states themselves, h_t `(T, B, P)` and c_t `(T, B, H)`;
 * and each backward pass adds the norms of the state gradients
 *   gradH[t] = ‖∂L/∂h_t‖₂   the total gradient of the state step t emitted,
 *   gradC[t] = ‖∂L/∂c_t‖₂   (LSTM) = ‖dc_carry + dm ⊙ o_t ⊙ (1 − tanh² c_t)‖,
 * where dc_carry is what reaches c_t from c_{t+1} (f_{t+1} ⊙ ∂L/∂c_{t+1}), dm
 * what reaches o_t ⊙ tanh(c_t) from h_t (dm = ∂L/∂h_t, or ∂L/∂h_t W_hr with a
 * projection), over the rows active at step t. With a loss at the last step
 * only, gradH is ‖∂L_T/∂h_t‖: the vanishing (or exploding) gradient itself.
 *
 * A probe keeps the records of the latest forward call of each module it
 * watches (and fills in their gradients when that call is backpropagated).
 * An unwatched layer does no work for it. `detach()` stops watching.
 *
 * Example:
 *   const probe = watch(lstm);
 *   const { output } = lstm.apply(x); … loss.backward();
 *   probe.record().gradH   // (T) ‖∂L/∂h_t‖ of layer 0, forward direction
 */
import type { CellType } from '../cells/cell.js';
import { CellModule } from '../layers/cell-module.js';
import type { BackwardStepObserver, LayerObserver, ScanPosition } from '../layers/observer.js';
import { afterSlot, type ScanCache } from '../layers/scan.js';
import { RecurrentLayer } from '../layers/stack.js';
import type { FloatArray } from '../tensor.js';
import { gateStatistics, SATURATION_THRESHOLD, type GateStatistics } from './gate-statistics.js';

export interface ProbeOptions {
  /** Record ‖∂L/∂h_t‖ (and ‖∂L/∂c_t‖) in backward passes (default true). */
  gradients?: boolean;
  /** Record gate statistics in forward calls (default true). */
  gates?: boolean;
  /** Keep a copy of every state h_t (and c_t) (default false: it costs T·B·(P + H) numbers per scan). */
  states?: boolean;
  /** Saturation threshold θ of the gate statistics (default 0.1). */
  saturation?: number;
}

/** What one scan (one layer, one direction) of a forward call showed. */
export interface ScanRecord {
  /** The watched module: its parameter prefix without the final dot (`rnn`, `0`, `encoder.rnn`), or its class name. */
  readonly module: string;
  readonly layer: number;
  readonly direction: 0 | 1;
  readonly cell: CellType;
  readonly T: number;
  readonly B: number;
  readonly H: number;
  /** Size of the emitted state (projSize, else H). */
  readonly P: number;
  /** Sequence lengths when given (rows inactive at a step are left out of every statistic), else null. */
  readonly lengths: Int32Array | null;
  /** Per gate (none for the Elman cell, or when gates are not recorded). */
  readonly gates: readonly GateStatistics[];
  /** `(T, B, P)` the emitted states, time-major (states recorded only), else null. */
  readonly h: FloatArray | null;
  /** `(T, B, H)` the cell states (LSTM, states recorded only), else null. */
  readonly c: FloatArray | null;
  /** `(T)` ‖∂L/∂h_t‖, once the call has been backpropagated (gradients recorded), else null. */
  gradH: Float64Array | null;
  /** `(T)` ‖∂L/∂c_t‖ (LSTM), once backpropagated, else null. */
  gradC: Float64Array | null;
}

/** A module a probe can watch. */
export type Watchable = RecurrentLayer | CellModule;

export class Probe {
  private readonly latest = new Map<string, ScanRecord[]>();
  private readonly watched: { name: string; module: Watchable; before: LayerObserver | null }[] = [];
  private attached = true;
  private readonly options: Required<ProbeOptions>;

  constructor(modules: ReadonlyArray<{ name: string; module: Watchable }>, options: ProbeOptions = {}) {
    const saturation = options.saturation ?? SATURATION_THRESHOLD;
    if (!(saturation > 0 && saturation < 0.5)) throw new Error(`watch: saturation must be in (0, 0.5), got ${String(options.saturation)}`);
    this.options = { gradients: options.gradients ?? true, gates: options.gates ?? true, states: options.states ?? false, saturation };
    for (const { name, module } of modules) {
      const before = module.observe(this.observerFor(name));
      this.watched.push({ name, module, before });
    }
  }

  /** Names of the watched modules, in the order they were found. */
  get modules(): string[] {
    return this.watched.map((w) => w.name);
  }

  /** Every scan of the latest forward call of every watched module. */
  get records(): ScanRecord[] {
    return [...this.latest.values()].flat();
  }

  /**
   * The record of one scan: of module `module` (default: the first watched),
   * layer `layer` (default 0), direction `direction` (default 0).
   * @throws when that module has not run forward since it was watched.
   */
  record(module?: string, layer = 0, direction: 0 | 1 = 0): ScanRecord {
    const name = module ?? this.watched[0]?.name;
    if (name === undefined || !this.watched.some((w) => w.name === name)) {
      throw new Error(`Probe.record: no watched module '${String(module)}' (watching: ${this.modules.join(', ') || 'none'})`);
    }
    const scans = this.latest.get(name);
    if (!scans) throw new Error(`Probe.record: module '${name}' has not run forward since it was watched`);
    const found = scans.find((r) => r.layer === layer && r.direction === direction);
    if (!found) throw new Error(`Probe.record: module '${name}' has no layer ${layer} direction ${direction} (it has ${scans.length} scans)`);
    return found;
  }

  /** Forgets every record. */
  clear(): void {
    this.latest.clear();
  }

  /** Stops watching: the modules go back to the observers they had before. The records stay readable. */
  detach(): void {
    if (!this.attached) return;
    this.attached = false;
    for (const w of this.watched) w.module.observe(w.before);
  }

  private observerFor(name: string): LayerObserver {
    return {
      scanned: (position: ScanPosition, cache: ScanCache): BackwardStepObserver | null => {
        if (position.layer === 0 && position.direction === 0) this.latest.set(name, []);
        const record = this.recordScan(name, position, cache);
        (this.latest.get(name) as ScanRecord[]).push(record);
        return this.options.gradients ? stateGradientRecorder(cache, record) : null;
      },
    };
  }

  private recordScan(module: string, position: ScanPosition, cache: ScanCache): ScanRecord {
    const { kind, T, B, H, P, lengths } = cache;
    const { states, gates, saturation } = this.options;
    let h: FloatArray | null = null;
    let c: FloatArray | null = null;
    if (states) {
      h = copyStates(cache.hs, T, B, P, cache.reverse);
      if (cache.cs) c = copyStates(cache.cs, T, B, H, cache.reverse);
    }
    return {
      module, layer: position.layer, direction: position.direction, cell: kind.type, T, B, H, P,
      lengths: lengths ? lengths.slice() : null,
      gates: gates ? gateStatistics(cache, saturation) : [],
      h, c, gradH: null, gradC: null,
    };
  }
}

/** The states after each step t = 0 … T−1, time-major `(T, B, width)`, out of the `(T+1, B, width)` slots. */
function copyStates(slots: FloatArray, T: number, B: number, width: number, reverse: boolean): FloatArray {
  const from = (reverse ? 0 : 1) * B * width; // slots after(t) are contiguous
  return slots.slice(from, from + T * B * width);
}

/** The observer of one scan's backward steps: fills `record.gradH` (and `gradC`). */
function stateGradientRecorder(cache: ScanCache, record: ScanRecord): BackwardStepObserver {
  const { T, B, H, P, lengths, reverse } = cache;
  const gradH = new Float64Array(T);
  const gradC = cache.cs ? new Float64Array(T) : null;
  record.gradH = gradH;
  record.gradC = gradC;
  const dm = new Float64Array(H); // one row's gradient of m = o ⊙ tanh(c)
  const G = 4 * H;
  return (t, dh, dcCarry) => {
    let sumH = 0;
    let sumC = 0;
    for (let b = 0; b < B; b++) {
      if (lengths && t >= (lengths[b] as number)) continue;
      for (let p = 0; p < P; p++) sumH += (dh[b * P + p] as number) ** 2;
      if (!gradC || !dcCarry || !cache.cs) continue;
      // ∂L/∂c_t = dc_carry + dm ⊙ o_t ⊙ (1 − tanh² c_t) (+ dm ⊙ tanh c_t ⊙ o_t(1 − o_t) ⊙ p_o: o_t sees c_t through its peephole)
      if (cache.ms) {
        const whr = cache.weights.whr; // W_hr (P, H): dm = dh W_hr
        dm.fill(0);
        for (let p = 0; p < P; p++) {
          const d = dh[b * P + p] as number;
          for (let j = 0; j < H; j++) dm[j] = (dm[j] as number) + d * (cache.w[whr + p * H + j] as number);
        }
      } else {
        for (let j = 0; j < H; j++) dm[j] = dh[b * H + j] as number;
      }
      const gates = (t * B + b) * G;
      const cOff = (afterSlot(t, reverse) * B + b) * H;
      for (let j = 0; j < H; j++) {
        const o = cache.xw[gates + 3 * H + j] as number;
        const tc = Math.tanh(cache.cs[cOff + j] as number);
        const po = cache.peep >= 0 ? (cache.w[cache.peep + 2 * H + j] as number) : 0;
        sumC += ((dcCarry[b * H + j] as number) + (dm[j] as number) * o * (1 - tc * tc + tc * (1 - o) * po)) ** 2;
      }
    }
    gradH[t] = Math.sqrt(sumH);
    if (gradC) gradC[t] = Math.sqrt(sumC);
  };
}

/**
 * Watches every recurrent layer and cell of `target` — a layer or cell
 * itself, or any object holding them (a `Sequential`, a char-LM, a
 * `Seq2Seq`, …: its properties are searched, arrays included).
 * @throws when `target` holds no recurrent layer.
 */
export function watch(target: object, options: ProbeOptions = {}): Probe {
  const found = recurrentModulesOf(target);
  if (found.length === 0) throw new Error('watch: found no RNN, LSTM, GRU layer or cell in the target');
  return new Probe(found, options);
}

/** Properties that never lead to a layer: stores, generators, kernels. */
const SKIPPED_KEYS = new Set(['params', 'rng', 'backend', 'be']);

/** The recurrent layers and cells in `target` (itself included), each once, named by its parameter prefix. */
export function recurrentModulesOf(target: object): { name: string; module: Watchable }[] {
  const out: { name: string; module: Watchable }[] = [];
  const seen = new Set<object>();
  const visit = (o: unknown): void => {
    if (o === null || typeof o !== 'object' || seen.has(o) || ArrayBuffer.isView(o) || o instanceof ArrayBuffer) return;
    seen.add(o);
    if (o instanceof RecurrentLayer || o instanceof CellModule) {
      const name = o.prefix.replace(/\.$/, '') || o.moduleName;
      out.push({ name: out.some((m) => m.name === name) ? `${name}#${out.length}` : name, module: o });
      return;
    }
    if (o instanceof Map) {
      for (const v of o.values()) visit(v);
      return;
    }
    for (const [key, v] of Object.entries(o)) if (!SKIPPED_KEYS.has(key)) visit(v);
  };
  visit(target);
  return out;
}
