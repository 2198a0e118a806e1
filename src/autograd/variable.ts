/**
 * A small tape of coarse, fused operations.
 *
 * A {@link Variable} holds a value and, after `backward()`, a gradient. Every
 * operation that produces variables records one {@link Node} with its inputs,
 * its outputs and a hand-written backward; a whole recurrent layer over a
 * sequence is one node. Parameters are not variables: an operation that owns
 * parameters (Linear, LSTM, …) adds their gradients straight into its
 * ParameterStore's `grad` buffer.
 *
 * `loss.backward()` visits the nodes reachable from `loss` in reverse
 * topological order, hands each node the gradients of its outputs, then frees
 * its saved values: a second backward through the same graph is an error.
 */
import { allocate, dtypeOf, type FloatArray, type Tensor, formatShape, numel } from '../tensor.js';

let gradDisabled = 0;

/** Runs `fn` without recording operations (inference): no nodes, no saved values. */
export function noGrad<T>(fn: () => T): T {
  gradDisabled++;
  try {
    return fn();
  } finally {
    gradDisabled--;
  }
}

/** Whether operations are being recorded. */
export function isGradEnabled(): boolean {
  return gradDisabled === 0;
}

/** One recorded operation. */
export class Node {
  /** Set once backward has run (or the node was released): saved values are gone. */
  freed = false;

  constructor(
    readonly op: string,
    readonly inputs: readonly Variable[],
    readonly outputs: readonly Variable[],
    /**
     * Receives the gradients of the outputs (null where an output got none)
     * and accumulates into the inputs with {@link Variable.accumulateGrad}
     * and into parameter stores.
     */
    private backwardFn: ((outputGrads: (FloatArray | null)[]) => void) | null,
  ) {}

  runBackward(outputGrads: (FloatArray | null)[]): void {
    if (this.freed || !this.backwardFn) throw freedError(this);
    this.backwardFn(outputGrads);
    this.backwardFn = null;
    this.freed = true;
  }
}

export class Variable {
  /** Accumulated gradient, same shape as the value (null until one arrives). */
  grad: FloatArray | null = null;
  /** The node that produced this variable, or null for a leaf. */
  creator: Node | null = null;

  constructor(
    readonly value: Tensor,
    /** Leaves that want a gradient (inputs you differentiate with respect to). */
    readonly requiresGrad = false,
  ) {}

  get shape(): readonly number[] {
    return this.value.shape;
  }

  get data(): FloatArray {
    return this.value.data;
  }

  /** Whether a gradient flows to or through this variable. */
  get tracked(): boolean {
    return this.requiresGrad || this.creator !== null;
  }

  /** The value as a plain number (for scalars such as losses). */
  item(): number {
    if (this.value.data.length !== 1) throw new Error(`Variable.item: expected a single value, got shape ${formatShape(this.shape)}`);
    return this.value.data[0] as number;
  }

  /** Adds `g` (same length as the value) to this variable's gradient. */
  accumulateGrad(g: ArrayLike<number>): void {
    if (!this.grad) {
      // The first gradient is copied (0 + g = g).
      this.grad = allocate(dtypeOf(this.value.data), this.value.data.length);
      if (g instanceof Float32Array || g instanceof Float64Array) {
        this.grad.set(g.length === this.grad.length ? g : g.subarray(0, this.grad.length));
        return;
      }
    }
    const out = this.grad;
    for (let i = 0; i < out.length; i++) out[i] = (out[i] as number) + (g[i] as number);
  }

  /**
   * Backpropagates from this variable. With no argument the variable must be
   * a scalar and its gradient is 1; otherwise `gradient` has the value's shape.
   */
  backward(gradient?: Tensor): void {
    if (!this.creator && !this.requiresGrad) {
      throw new Error('backward: this variable was not produced by a recorded operation (was it computed under noGrad, or from constants only?)');
    }
    const dtype = dtypeOf(this.value.data);
    const seed = allocate(dtype, this.value.data.length);
    if (gradient) {
      if (numel(gradient.shape) !== seed.length) {
        throw new Error(`backward: gradient of shape ${formatShape(gradient.shape)} does not match the variable's shape ${formatShape(this.shape)}`);
      }
      seed.set(gradient.data);
    } else {
      if (seed.length !== 1) {
        throw new Error(`backward: called without a gradient on a non-scalar of shape ${formatShape(this.shape)}; pass one of that shape`);
      }
      seed[0] = 1;
    }
    this.accumulateGrad(seed);
    if (!this.creator) return;

    for (const node of topologicalOrder(this.creator).reverse()) {
      const grads = node.outputs.map((o) => o.grad);
      if (grads.every((g) => g === null)) {
        node.freed = true;
        continue;
      }
      node.runBackward(grads);
      // Intermediate gradients are not kept (only leaves keep theirs).
      for (const o of node.outputs) if (o !== this) o.grad = null;
    }
  }
}

/** Nodes reachable from `root` through inputs, each after all nodes it depends on. */
function topologicalOrder(root: Node): Node[] {
  if (root.freed) throw freedError(root);
  const order: Node[] = [];
  const state = new Map<Node, 1 | 2>(); // 1 = on the stack, 2 = done
  const stack: { node: Node; next: number }[] = [{ node: root, next: 0 }];
  state.set(root, 1);
  while (stack.length) {
    const top = stack[stack.length - 1] as { node: Node; next: number };
    const input = top.node.inputs[top.next++];
    if (input === undefined) {
      stack.pop();
      state.set(top.node, 2);
      order.push(top.node);
      continue;
    }
    const child = input.creator;
    if (child && !state.has(child)) {
      if (child.freed) throw freedError(child);
      state.set(child, 1);
      stack.push({ node: child, next: 0 });
    }
  }
  return order;
}

function freedError(node: Node): Error {
  return new Error(
    `backward: the graph through '${node.op}' was already backpropagated and its saved values freed; ` +
      'run the forward pass again before calling backward a second time',
  );
}

/** A leaf that holds data and takes no gradient. */
export function constant(t: Tensor): Variable {
  return new Variable(t, false);
}

/** A leaf whose gradient you want (`.grad` after backward). */
export function leaf(t: Tensor): Variable {
  return new Variable(t, true);
}

/**
 * Records an operation. Returns the outputs as variables; when recording is
 * off or nothing needs a gradient, they are plain constants and `backwardFn`
 * is dropped.
 */
export function record(
  op: string, inputs: readonly Variable[], outputs: readonly Tensor[],
  backwardFn: (outputGrads: (FloatArray | null)[]) => void, ownsParameters = false,
): Variable[] {
  const needs = isGradEnabled() && (ownsParameters || inputs.some((v) => v.tracked));
  const vars = outputs.map((t) => new Variable(t, false));
  if (needs) {
    const node = new Node(op, inputs, vars, backwardFn);
    for (const v of vars) v.creator = node;
  }
  return vars;
}
