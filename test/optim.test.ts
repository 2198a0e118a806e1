/**
 * Optimisers and learning-rate schedules against torch.optim (test/fixtures/optim.json,
 * written by scripts/gen_fixtures.py): the recorded gradient of every step is fed to
 * the TypeScript optimiser and the parameters compared after each step.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ParameterStore } from '../src/params.js';
import type { DType } from '../src/tensor.js';
import {
  Adagrad, Adam, AdamW, type Optimizer, type OptimizerState, RMSprop, SGD,
} from '../src/train/optim.js';
import {
  CosineAnnealingLR, ExponentialLR, ReduceLROnPlateau, type SchedulerState, StepLR,
} from '../src/train/schedule.js';
import { assertClose, type FixtureTensor, loadFixture } from './helpers.js';

interface OptimCase {
  name: string;
  optimizer: 'SGD' | 'Adam' | 'AdamW' | 'RMSprop' | 'Adagrad';
  options: Record<string, unknown>;
  paramNames: string[];
  initial: Record<string, FixtureTensor>;
  steps: Array<{ loss: number; grads: Record<string, FixtureTensor>; params: Record<string, FixtureTensor> }>;
}

interface ScheduleCase {
  name: string;
  scheduler: 'StepLR' | 'ExponentialLR' | 'CosineAnnealingLR' | 'ReduceLROnPlateau';
  options: Record<string, unknown>;
  initialLr: number;
  metrics: number[] | null;
  lrs: number[];
}

const fixture = loadFixture<{ torch: string; cases: OptimCase[]; schedules: ScheduleCase[] }>('optim.json');

function makeStore(c: OptimCase, dtype: DType): ParameterStore {
  const store = new ParameterStore(dtype, 'Model');
  for (const name of c.paramNames) store.add(name, (c.initial[name] as FixtureTensor).shape);
  store.loadStateDict(c.initial);
  return store;
}

function makeOptimizer(c: OptimCase, store: ParameterStore): Optimizer {
  const o = c.options as never;
  switch (c.optimizer) {
    case 'SGD':
      return new SGD(store, o);
    case 'Adam':
      return new Adam(store, o);
    case 'AdamW':
      return new AdamW(store, o);
    case 'RMSprop':
      return new RMSprop(store, o);
    case 'Adagrad':
      return new Adagrad(store, o);
  }
}

function setGrads(store: ParameterStore, grads: Record<string, FixtureTensor>): void {
  for (const [name, g] of Object.entries(grads)) store.gradient(name).data.set(g.data);
}

/** Runs steps [from, to) of a case, comparing the parameters after each; returns the largest difference. */
function runSteps(c: OptimCase, store: ParameterStore, opt: Optimizer, from: number, to: number, rtol: number): number {
  let worst = 0;
  for (let k = from; k < to; k++) {
    const s = c.steps[k]!;
    opt.zeroGrad();
    setGrads(store, s.grads);
    opt.step();
    for (const name of c.paramNames) {
      const cmp = assertClose(store.value(name), s.params[name]!, rtol, `${c.name} step ${k + 1} ${name}`);
      worst = Math.max(worst, cmp.maxAbs);
    }
  }
  return worst;
}

// ---------------------------------------------------------------------------
// trajectories

for (const c of fixture.cases) {
  test(`${c.name}: 20-step float64 trajectory matches torch ${fixture.torch}`, (t) => {
    const store = makeStore(c, 'float64');
    const opt = makeOptimizer(c, store);
    const worst = runSteps(c, store, opt, 0, c.steps.length, 1e-10);
    assert.equal(opt.stepCount, c.steps.length);
    t.diagnostic(`max |diff| ${worst.toExponential(2)}`);
  });

  test(`${c.name}: state dict saved mid-trajectory continues identically`, (t) => {
    const half = 10;
    const store = makeStore(c, 'float64');
    const opt = makeOptimizer(c, store);
    runSteps(c, store, opt, 0, half, 1e-10);
    const saved = JSON.parse(JSON.stringify(opt.stateDict())) as OptimizerState;
    assert.equal(saved.step, half);
    assert.equal(saved.type, c.optimizer);

    // a fresh model and optimiser built with different hyper-parameters: the state restores them
    const store2 = makeStore(c, 'float64');
    store2.data.set(store.data); // the parameters as this run left them (torch's differ in the last bits)
    const opt2 = makeOptimizer({ ...c, options: { lr: 1 } }, store2);
    opt2.loadStateDict(saved);
    assert.deepEqual(opt2.options, opt.options);
    assert.equal(opt2.stepCount, half);

    runSteps(c, store, opt, half, c.steps.length, 1e-10);
    const worst = runSteps(c, store2, opt2, half, c.steps.length, 1e-10);
    assert.deepEqual(Array.from(store2.data), Array.from(store.data), 'restored run is bit-identical to the uninterrupted one');
    t.diagnostic(`max |diff| vs torch after restore ${worst.toExponential(2)}`);
  });
}

test('float32 stores follow the float64 trajectories to float32 precision', (t) => {
  let worst = 0;
  for (const c of fixture.cases) {
    const store = makeStore(c, 'float32');
    const opt = makeOptimizer(c, store);
    assert.ok(store.data instanceof Float32Array);
    worst = Math.max(worst, runSteps(c, store, opt, 0, c.steps.length, 2e-5));
    const state = opt.stateDict();
    for (const buf of Object.values(state.buffers)) if (buf) assert.equal(buf.length, store.size);
  }
  t.diagnostic(`max |diff| ${worst.toExponential(2)}`);
});

// ---------------------------------------------------------------------------
// errors

function smallStore(): ParameterStore {
  const store = new ParameterStore('float64', 'LSTM');
  store.add('weight_ih_l0', [8, 3]);
  store.add('weight_hh_l0', [8, 2]);
  store.add('bias_ih_l0', [8]);
  store.data.fill(0.5);
  store.grad.fill(0.1);
  return store;
}

test('step reports a non-finite gradient by parameter name and index and updates nothing', () => {
  for (const [bad, shown] of [[Number.NaN, 'NaN'], [Infinity, 'Infinity'], [-Infinity, '-Infinity']] as const) {
    for (const make of [(s: ParameterStore) => new Adam(s), (s: ParameterStore) => new SGD(s, { lr: 0.1, momentum: 0.9 })]) {
      const store = smallStore();
      const opt = make(store);
      store.gradient('weight_hh_l0').data[3] = bad;
      const before = Array.from(store.data);
      assert.throws(() => opt.step(), {
        message: `${opt.type}.step: gradient of 'weight_hh_l0' holds ${shown} at index 3; no parameter was updated`,
      });
      assert.deepEqual(Array.from(store.data), before);
      assert.equal(opt.stepCount, 0);
    }
  }
});

test('step refuses a store that grew after the optimiser was built', () => {
  const store = smallStore();
  const opt = new RMSprop(store);
  opt.step();
  store.add('bias_hh_l0', [8]);
  assert.throws(() => opt.step(), /^Error: RMSprop\.step: the parameter store now holds 56 values but held 48 when the optimiser was created/);
  assert.throws(() => opt.loadStateDict(opt.stateDict()), /RMSprop\.loadStateDict: the parameter store now holds 56/);
});

test('step refuses a learning rate a schedule or user made invalid', () => {
  const opt = new Adagrad(smallStore());
  opt.lr = -1;
  assert.throws(() => opt.step(), { message: 'Adagrad.step: lr is -1; expected a finite number ≥ 0' });
  opt.lr = Number.NaN;
  assert.throws(() => opt.step(), /lr is NaN/);
});

test('loadStateDict rejects another optimiser, another model and broken buffers, changing nothing', () => {
  const store = smallStore();
  const adam = new Adam(store, { lr: 0.01 });
  adam.step();
  const good = adam.stateDict();
  const before = JSON.stringify(adam.stateDict());

  assert.throws(() => adam.loadStateDict(new SGD(store, { lr: 0.1 }).stateDict()), { message: 'Adam.loadStateDict: state is from SGD, not Adam' });

  const bigger = new ParameterStore('float64');
  bigger.add('w', [120]);
  const other = new Adam(bigger);
  other.step();
  assert.throws(() => adam.loadStateDict(other.stateDict()), {
    message: 'Adam.loadStateDict: state holds 120 values per buffer but the parameters have 48 — was it saved from another model?',
  });

  const short = structuredClone(good);
  short.buffers.expAvg = short.buffers.expAvg!.slice(0, 40);
  assert.throws(() => adam.loadStateDict(short), /buffer 'expAvg' holds 40 values but the parameters have 48 — was it saved from another model\?/);

  const missing = structuredClone(good);
  delete missing.buffers.expAvgSq;
  assert.throws(() => adam.loadStateDict(missing), /Adam\.loadStateDict: state has no 'expAvgSq' buffer/);

  const amsgrad = structuredClone(good);
  amsgrad.hyper.amsgrad = true;
  assert.throws(() => adam.loadStateDict(amsgrad), /state has no 'maxExpAvgSq' buffer/);

  const nan = structuredClone(good);
  nan.buffers.expAvg![5] = null as unknown as number; // what JSON makes of NaN
  assert.throws(() => adam.loadStateDict(nan), /buffer 'expAvg' holds null at index 5/);

  const badHyper = structuredClone(good);
  badHyper.hyper.betas = [0.9, 1];
  assert.throws(() => adam.loadStateDict(badHyper), { message: 'Adam.loadStateDict: betas[1] must be in [0, 1), got 1' });

  const noLr = structuredClone(good);
  delete (noLr.hyper as Partial<typeof noLr.hyper>).lr;
  assert.throws(() => adam.loadStateDict(noLr), { message: 'Adam.loadStateDict: state has no lr' });

  const unknownHyper = structuredClone(good);
  unknownHyper.hyper.momentum = 0.9;
  assert.throws(() => adam.loadStateDict(unknownHyper), /Adam\.loadStateDict: unknown option 'momentum'; valid options: lr, betas, eps, weightDecay, amsgrad/);

  const unexpected = structuredClone(good);
  unexpected.buffers.momentumBuffer = null;
  assert.throws(() => adam.loadStateDict(unexpected), { message: 'Adam.loadStateDict: unexpected buffers: momentumBuffer' });

  const badStep = structuredClone(good);
  badStep.step = -2;
  assert.throws(() => adam.loadStateDict(badStep), /step must be an integer ≥ 0, got -2/);

  assert.equal(JSON.stringify(adam.stateDict()), before);
});

test('SGD state before the first momentum step has no buffer and round-trips', () => {
  const store = smallStore();
  const a = new SGD(store, { lr: 0.1, momentum: 0.9 });
  const state = a.stateDict();
  assert.equal(state.buffers.momentumBuffer, null);
  const b = new SGD(store, { lr: 0.5 });
  b.loadStateDict(JSON.parse(JSON.stringify(state)) as OptimizerState);
  assert.deepEqual(b.options, { lr: 0.1, momentum: 0.9, dampening: 0, nesterov: false, weightDecay: 0 });
});

test('constructors validate hyper-parameters with clear messages', () => {
  const s = smallStore();
  const cases: Array<[() => unknown, string | RegExp]> = [
    [() => new SGD(s, {} as never), 'SGD: options.lr is required (e.g. new SGD(store, { lr: 0.1 }))'],
    [() => new SGD(s, { lr: -0.1 }), 'SGD: lr must be a finite number ≥ 0, got -0.1'],
    [() => new SGD(s, { lr: 0.1, nesterov: true }), 'SGD: Nesterov momentum requires momentum > 0 and dampening = 0 (got momentum 0, dampening 0)'],
    [() => new SGD(s, { lr: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true }), /dampening 0\.1/],
    [() => new SGD(s, { lr: 0.1, momentum: -1 }), 'SGD: momentum must be a finite number ≥ 0, got -1'],
    [() => new Adam(s, { betas: [1, 0.999] }), 'Adam: betas[0] must be in [0, 1), got 1'],
    [() => new Adam(s, { betas: [0.9, -0.1] }), 'Adam: betas[1] must be in [0, 1), got -0.1'],
    [() => new Adam(s, { eps: Number.NaN }), 'Adam: eps must be a finite number ≥ 0, got NaN'],
    [() => new AdamW(s, { weightDecay: -1 }), 'AdamW: weightDecay must be a finite number ≥ 0, got -1'],
    [() => new Adam(s, { weight_decay: 0.1 } as never), 'Adam: unknown option \'weight_decay\' (did you mean \'weightDecay\'?); valid options: lr, betas, eps, weightDecay, amsgrad'],
    [() => new RMSprop(s, { alpha: 1.5 }), 'RMSprop: alpha must be in [0, 1], got 1.5'],
    [() => new RMSprop(s, { centered: 1 as never }), 'RMSprop: centered must be true or false, got 1'],
    [() => new Adagrad(s, { lrDecay: -0.1 }), 'Adagrad: lrDecay must be a finite number ≥ 0, got -0.1'],
    [() => new Adagrad(s, { initialAccumulatorValue: -1 }), 'Adagrad: initialAccumulatorValue must be a finite number ≥ 0, got -1'],
  ];
  for (const [make, message] of cases) {
    assert.throws(make, typeof message === 'string' ? { message } : message);
  }
});

test('defaults are PyTorch\'s', () => {
  const s = smallStore();
  assert.deepEqual(new Adam(s).options, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false });
  assert.deepEqual(new AdamW(s).options, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 1e-2, amsgrad: false });
  assert.deepEqual(new RMSprop(s).options, { lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false });
  assert.deepEqual(new Adagrad(s).options, { lr: 1e-2, lrDecay: 0, weightDecay: 0, initialAccumulatorValue: 0, eps: 1e-10 });
});

test('zeroGrad clears every gradient', () => {
  const store = smallStore();
  new Adam(store).zeroGrad();
  assert.ok(store.grad.every((g) => g === 0));
});

// ---------------------------------------------------------------------------
// schedules

type AnyScheduler = StepLR | ExponentialLR | CosineAnnealingLR | ReduceLROnPlateau;

function makeScheduler(c: ScheduleCase, target: { lr: number }): AnyScheduler {
  const o = c.options as never;
  switch (c.scheduler) {
    case 'StepLR':
      return new StepLR(target, o);
    case 'ExponentialLR':
      return new ExponentialLR(target, o);
    case 'CosineAnnealingLR':
      return new CosineAnnealingLR(target, o);
    case 'ReduceLROnPlateau':
      return new ReduceLROnPlateau(target, o);
  }
}

function stepScheduler(s: AnyScheduler, c: ScheduleCase, k: number): number {
  return s instanceof ReduceLROnPlateau ? s.step(c.metrics![k]!) : s.step();
}

for (const c of fixture.schedules) {
  test(`schedule ${c.name}: 30 learning rates match torch`, (t) => {
    const opt = new SGD(smallStore(), { lr: c.initialLr });
    const sched = makeScheduler(c, opt);
    const lrs = [opt.lr];
    for (let k = 0; k < c.lrs.length - 1; k++) {
      const lr = stepScheduler(sched, c, k);
      assert.equal(lr, opt.lr);
      assert.equal(sched.lastLr, opt.lr);
      lrs.push(opt.lr);
    }
    let worst = 0;
    for (let k = 0; k < lrs.length; k++) {
      const diff = Math.abs(lrs[k]! - c.lrs[k]!);
      worst = Math.max(worst, diff);
      assert.ok(diff <= 1e-12 * Math.max(1, Math.abs(c.lrs[k]!)), `${c.name} step ${k}: ${lrs[k]} vs ${c.lrs[k]}`);
    }
    t.diagnostic(`max |diff| ${worst.toExponential(2)}`);
  });

  test(`schedule ${c.name}: state dict mid-way continues identically`, () => {
    const opt = new SGD(smallStore(), { lr: c.initialLr });
    const sched = makeScheduler(c, opt);
    const half = 13;
    for (let k = 0; k < half; k++) stepScheduler(sched, c, k);
    const saved = JSON.parse(JSON.stringify(sched.stateDict())) as SchedulerState;
    const optState = JSON.parse(JSON.stringify(opt.stateDict())) as OptimizerState;

    const opt2 = new SGD(smallStore(), { lr: 123 });
    const sched2 = makeScheduler(c, opt2);
    sched2.loadStateDict(saved);
    opt2.loadStateDict(optState);
    for (let k = half; k < c.lrs.length - 1; k++) {
      assert.equal(stepScheduler(sched2, c, k), stepScheduler(sched, c, k), `${c.name} step ${k + 1}`);
    }
    assert.equal(opt2.lr, opt.lr);
  });
}

test('CosineAnnealingLR closed form agrees with the recursion', () => {
  const target = { lr: 0.2 };
  const sched = new CosineAnnealingLR(target, { tMax: 7, etaMin: 0.01 });
  for (let t = 1; t <= 40; t++) {
    const lr = sched.step();
    const closed = 0.01 + ((0.2 - 0.01) * (1 + Math.cos((Math.PI * t) / 7))) / 2;
    assert.ok(Math.abs(lr - closed) < 1e-12, `t=${t}: ${lr} vs ${closed}`);
  }
});

test('ReduceLROnPlateau state keeps an infinite best through JSON', () => {
  const sched = new ReduceLROnPlateau({ lr: 0.1 }, { mode: 'max' });
  const state = JSON.parse(JSON.stringify(sched.stateDict())) as SchedulerState;
  assert.equal(state.best, '-Infinity');
  const other = new ReduceLROnPlateau({ lr: 0.1 }, { mode: 'max' });
  other.best = 5;
  other.loadStateDict(state);
  assert.equal(other.best, -Infinity);
});

test('schedules validate their options and states', () => {
  const target = { lr: 0.1 };
  assert.throws(() => new StepLR(target, { stepSize: 0 }), { message: 'StepLR: stepSize must be an integer ≥ 1, got 0' });
  assert.throws(() => new ExponentialLR(target, { gamma: -0.5 }), { message: 'ExponentialLR: gamma must be a finite number ≥ 0, got -0.5' });
  assert.throws(() => new CosineAnnealingLR(target, { tMax: 0 }), { message: 'CosineAnnealingLR: tMax must be a finite number > 0, got 0' });
  assert.throws(() => new ReduceLROnPlateau(target, { factor: 1 }), { message: 'ReduceLROnPlateau: factor must be in [0, 1), got 1' });
  assert.throws(() => new ReduceLROnPlateau(target, { mode: 'maximum' as never }), /mode must be 'min' or 'max', got maximum/);
  assert.throws(() => new ReduceLROnPlateau(target, { thresholdMode: 'relative' as never }), /thresholdMode must be 'rel' or 'abs'/);
  assert.throws(() => new ReduceLROnPlateau(target, { patience: 1.5 }), /patience must be an integer ≥ 0, got 1\.5/);
  assert.throws(() => new StepLR({ lr: Number.NaN }, { stepSize: 3 }), /StepLR: the optimiser's lr is NaN/);
  assert.throws(() => new ReduceLROnPlateau(target).step(Number.NaN), { message: 'ReduceLROnPlateau.step: metric is NaN; expected a number' });
  const step = new StepLR(target, { stepSize: 3 });
  assert.throws(() => step.loadStateDict(new ExponentialLR(target, { gamma: 0.5 }).stateDict()), {
    message: 'StepLR.loadStateDict: state is from ExponentialLR, not StepLR',
  });
});
