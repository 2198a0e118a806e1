/**
 * Runs a training loop written as a generator (one `yield` per step) to its
 * end, letting the event loop run every few milliseconds, so that signal
 * handlers (Ctrl-C, SIGTERM) and timers (a progress display) fire during training.
 */

/** Milliseconds of stepping between two turns of the event loop. */
const YIELD_EVERY_MS = 20;

export async function driveLoop<T>(loop: Iterator<unknown, T>): Promise<T> {
  let lastYield = performance.now();
  for (;;) {
    const r = loop.next();
    if (r.done) return r.value;
    if (performance.now() - lastYield >= YIELD_EVERY_MS) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      lastYield = performance.now();
    }
  }
}
