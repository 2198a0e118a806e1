/**
 * Timing for the microbenchmarks: the median of batches of calls, each
 * batch about `sampleMs` long, after a warm-up and a calibration of the
 * batch size; measured in wall time or in the process's CPU time (user +
 * system), which does not count time the process was descheduled by
 * other load on the machine.
 */

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1] as number;
}

/** CPU seconds (user + system, all threads) of this process so far. */
export function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** Wall seconds since an arbitrary origin. */
export function wallSeconds(): number {
  return performance.now() / 1000;
}

export interface SecondsPerCallOptions {
  /** Length of one timed batch of calls (default 60 ms). */
  readonly sampleMs?: number;
  /** Timed batches; their median is the result (default 7). */
  readonly samples?: number;
  /** The clock of the timed batches (default wall time). */
  readonly clock?: () => number;
}

/** Median seconds per call of `fn`. */
export function secondsPerCall(fn: () => void, o: SecondsPerCallOptions = {}): number {
  const sampleMs = o.sampleMs ?? 60;
  const clock = o.clock ?? wallSeconds;
  for (let i = 0; i < 3; i++) fn();
  let reps = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) fn();
    const dt = performance.now() - t0;
    if (dt > sampleMs / 4) {
      reps = Math.max(1, Math.round((reps * sampleMs) / dt));
      break;
    }
    reps *= 2;
  }
  const samples: number[] = [];
  for (let s = 0; s < (o.samples ?? 7); s++) {
    const t0 = clock();
    for (let i = 0; i < reps; i++) fn();
    samples.push((clock() - t0) / reps);
  }
  return median(samples);
}
