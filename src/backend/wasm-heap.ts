/**
 * The heap of the WebAssembly backend: a size-class allocator over the one
 * memory the kernels run on, above the module's static data.
 *
 * Free lists by size class (64-byte multiples up to 1 KiB, then four
 * classes per power of two: at most 25 % slack) and a bump pointer. Blocks
 * come back by {@link Heap.release} where the library knows a lifetime is
 * over, and otherwise when their array is garbage-collected (a
 * `FinalizationRegistry`, which runs only between event-loop turns).
 * Recycled blocks are zeroed in WebAssembly; fresh pages already are zero.
 *
 * A shared memory grows on demand (every existing view stays valid); an
 * unshared one never grows, since growing would detach every view handed
 * out — {@link Heap.allocF32} then returns null and the caller falls back
 * to an ordinary array.
 */
import type { FloatArray } from '../tensor.js';
import { MAX_PAGES, PAGE, type WasmMemory } from './wasm-loader.js';

/** What the allocator holds, in bytes. */
export interface WasmMemoryStats {
  /** Whether the memory is shared (threads possible, grows in place). */
  shared: boolean;
  /** Current size of the memory. */
  memoryBytes: number;
  /** Bytes ever handed out (the high-water mark of the heap). */
  heapBytes: number;
  /** Bytes in live blocks. */
  liveBytes: number;
  /** Live blocks. */
  liveBlocks: number;
  /** Bytes waiting in free lists. */
  freeBytes: number;
  /** Allocations that did not fit and became ordinary arrays. */
  fallbackAllocations: number;
}

/** Bytes of the size class holding `bytes`: 64-byte steps to 1 KiB, then four classes per power of two. */
function sizeClass(bytes: number): number {
  if (bytes <= 1024) return Math.max(64, Math.ceil(bytes / 64) * 64);
  const step = 2 ** (Math.ceil(Math.log2(bytes)) - 3);
  return Math.ceil(bytes / step) * step;
}

export class Heap {
  /** Every buffer object the memory has had (a shared memory gets a new one per grow; all stay valid). */
  private readonly buffers = new Set<ArrayBufferLike>();
  /** The memory's current buffer. */
  buf: ArrayBufferLike;
  private top: number;
  private readonly free = new Map<number, number[]>();
  /** Live blocks: address → allocation id (guards the finalizer against reuse). */
  private readonly live = new Map<number, number>();
  private readonly classOf = new Map<number, number>();
  private nextId = 1;
  private readonly registry: FinalizationRegistry<{ at: number; id: number }>;
  private liveBytes = 0;
  private freeBytes = 0;
  /** Allocations the caller had to make elsewhere (counted by {@link noteFallback}). */
  private fallbacks = 0;

  /**
   * @param base first byte free for the host.
   * @param zero clears `bytes` bytes from address `p` (in WebAssembly).
   */
  constructor(private readonly memory: WasmMemory, base: number, readonly shared: boolean, private readonly zero: (p: number, bytes: number) => void) {
    this.buf = memory.buffer;
    this.buffers.add(this.buf);
    this.top = Math.ceil(base / 64) * 64;
    this.registry = new FinalizationRegistry(({ at, id }) => {
      if (this.live.get(at) === id) this.freeBlock(at);
    });
  }

  /** Whether `a` is a view of this memory. */
  owns(a: FloatArray | Int32Array): boolean {
    return a.buffer === this.buf || this.buffers.has(a.buffer);
  }

  /** A block of at least `bytes` bytes (64-aligned, contents undefined), or −1 when the memory is full. */
  alloc(bytes: number): number {
    const cls = sizeClass(bytes);
    const list = this.free.get(cls);
    let at: number;
    if (list && list.length > 0) {
      at = list.pop() as number;
      this.freeBytes -= cls;
    } else {
      at = this.top;
      if (at + cls > this.buf.byteLength && !this.grow(at + cls)) return -1;
      this.top = at + cls;
    }
    this.live.set(at, this.nextId++);
    this.classOf.set(at, cls);
    this.liveBytes += cls;
    return at;
  }

  /** {@link alloc}, throwing when the memory is full. */
  mustAlloc(bytes: number): number {
    const at = this.alloc(bytes);
    if (at < 0) throw new RangeError(`wasm backend: out of WebAssembly memory (needed ${bytes} more bytes)`);
    return at;
  }

  /** Returns a block to its free list. */
  freeBlock(at: number): void {
    const cls = this.classOf.get(at);
    if (cls === undefined || !this.live.has(at)) return;
    this.live.delete(at);
    this.liveBytes -= cls;
    this.freeBytes += cls;
    let list = this.free.get(cls);
    if (!list) this.free.set(cls, (list = []));
    list.push(at);
  }

  /** A zeroed float32 array of `n` elements in the memory, tracked for release; null if full. */
  allocF32(n: number): Float32Array | null {
    const fresh = this.top;
    const at = this.alloc(n * 4);
    if (at < 0) return null;
    if (at < fresh && n > 0) this.zero(at, n * 4); // recycled: clear; fresh pages are zero
    const a = new Float32Array(this.buf, at, n);
    this.registry.register(a, { at, id: this.live.get(at) as number }, a);
    return a;
  }

  /** Releases an array returned by {@link allocF32}; anything else is ignored. */
  release(a: FloatArray): void {
    if (!this.owns(a)) return;
    // unregister succeeds only for the very array allocF32 returned (not a view of it)
    if (this.registry.unregister(a)) this.freeBlock(a.byteOffset);
  }

  /** Counts an allocation that did not fit and was made outside the memory. */
  noteFallback(): void {
    this.fallbacks++;
  }

  stats(): WasmMemoryStats {
    return {
      shared: this.shared, memoryBytes: this.buf.byteLength, heapBytes: this.top, liveBytes: this.liveBytes,
      liveBlocks: this.live.size, freeBytes: this.freeBytes, fallbackAllocations: this.fallbacks,
    };
  }

  private grow(end: number): boolean {
    if (!this.shared) return false;
    const have = this.buf.byteLength / PAGE;
    const need = Math.ceil(end / PAGE) - have;
    const pages = Math.min(MAX_PAGES - have, Math.max(need, Math.ceil(have / 8)));
    if (pages < need) return false;
    try {
      this.memory.grow(pages);
    } catch {
      return false;
    }
    this.buf = this.memory.buffer;
    this.buffers.add(this.buf);
    return true;
  }
}
