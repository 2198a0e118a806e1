/**
 * Seeded pseudo-random numbers: xoshiro128** (Blackman & Vigna 2018), seeded
 * through splitmix32. Every source of randomness in the library takes one of
 * these, so runs are reproducible and the state can be checkpointed.
 */
export class Random {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  /** Second normal deviate left over from the last Box–Muller pair, or NaN. */
  private spareNormal = Number.NaN;

  constructor(seed = 0) {
    this.seed(seed);
  }

  /** Resets the generator from a 32-bit seed. */
  seed(seed: number): void {
    let x = seed >>> 0;
    const next = (): number => {
      // splitmix32
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    this.spareNormal = Number.NaN;
  }

  /** Next unsigned 32-bit integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 = (this.s2 ^ this.s0) >>> 0;
    this.s3 = (this.s3 ^ this.s1) >>> 0;
    this.s1 = (this.s1 ^ this.s2) >>> 0;
    this.s0 = (this.s0 ^ this.s3) >>> 0;
    this.s2 = (this.s2 ^ t) >>> 0;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  next(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform in [low, high). */
  uniform(low: number, high: number): number {
    return low + (high - low) * this.next();
  }

  /** Standard normal deviate (Box–Muller). */
  normal(mean = 0, std = 1): number {
    if (!Number.isNaN(this.spareNormal)) {
      const z = this.spareNormal;
      this.spareNormal = Number.NaN;
      return mean + std * z;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return mean + std * r * Math.cos(2 * Math.PI * v);
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Serialisable state, for checkpoints. */
  getState(): RandomState {
    return { s: [this.s0, this.s1, this.s2, this.s3], spareNormal: Number.isNaN(this.spareNormal) ? null : this.spareNormal };
  }

  /** Restores a state from {@link getState}. */
  setState(state: RandomState): void {
    const s = state.s;
    if (!Array.isArray(s) || s.length !== 4 || s.some((v) => !Number.isInteger(v) || v < 0 || v > 0xffffffff)) {
      throw new Error('Random.setState: expected { s: four unsigned 32-bit integers }');
    }
    [this.s0, this.s1, this.s2, this.s3] = s as [number, number, number, number];
    this.spareNormal = state.spareNormal ?? Number.NaN;
  }
}

/** The state of a {@link Random}, as plain JSON. */
export interface RandomState {
  s: number[];
  spareNormal: number | null;
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/**
 * The generator that seeds modules built without an explicit `seed`, like
 * PyTorch's default generator: each such module draws its own seed from it, so
 * two same-shaped layers start different, and a program that builds its
 * modules in the same order after the same {@link manualSeed} gets the same
 * weights. Explicitly seeded modules never touch it.
 */
const defaultGenerator = new Random(0);

/** Reseeds the default generator (as `torch.manual_seed`); the process starts as after `manualSeed(0)`. */
export function manualSeed(seed: number): void {
  checkSeed('manualSeed', seed);
  defaultGenerator.seed(seed);
}

/** The next seed for a module built without one. */
export function nextDefaultSeed(): number {
  return defaultGenerator.nextUint32();
}

/** Throws unless `seed` is an integer in [0, 2³²), the range a seed keeps without wrapping. */
export function checkSeed(owner: string, seed: unknown): asserts seed is number {
  if (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new Error(`${owner}: seed must be an integer in [0, 4294967295], got ${String(seed)}`);
  }
}

