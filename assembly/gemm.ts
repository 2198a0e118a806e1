/**
 * General matrix product `C = alpha · op(A) · op(B) + beta · C` on float32
 * row-major matrices in this module's memory (arguments are byte addresses;
 * leading dimensions are in elements). `op(A)` is `m×k`, `op(B)` is `k×n`.
 *
 * Three strategies, chosen by shape:
 *  - the general one, blocked in the manner of Goto & van de Geijn (2008),
 *    "Anatomy of high-performance matrix multiplication": a `KC`-deep slice
 *    of `op(B)` is packed into `NR`-column panels and a `MC×KC` block of
 *    `op(A)` into `MR`-row panels, so the `MR×NR` micro-kernel (eight v128
 *    accumulators) reads both operands contiguously whatever the transposes;
 *    the transposing packs use 4×4 register transposes;
 *  - `A·Bᵀ` with `k ≥ DOT_MIN_K` (the recurrent step `h W_hhᵀ`): 2×4 tiles of
 *    dot products vectorised along k, reading A and B in place — the packing
 *    of B would cost about a tenth of the product at batch 32;
 *  - `A·B` with few rows (`m ≤ NN_MAX_M`, the backward step `dh W_hh`): 4×8
 *    tiles reading B in place, row by row — packing the whole of B for a
 *    product this flat would move more data than the product reads;
 *  - fewer than `MR` rows (batch-1 steps): unpacked row axpys or dot products.
 */
import { loadN, madd, storeN } from './simd';

/** Rows of the micro-tile. */
const MR = 4;
/** Columns of the micro-tile (two v128). */
const NR = 8;
/** Depth of a packed slice. */
const KC = 384;
/** Rows of op(A) packed at once. */
const MC = 128;
/** Columns of op(B) packed at once. */
const NC = 2048;
/** Depth from which A·Bᵀ runs as unpacked dot products ({@link dotNT}). */
const DOT_MIN_K = 128;
/** Most rows for which A·B runs unpacked ({@link flatNN}). */
const NN_MAX_M = 64;
/** Depth of the slices of B that {@link flatNN} keeps in L1 (8 columns × 256 rows: 256 lines). */
const FLAT_KB = 256;
/** Bytes of A that {@link dotNT} keeps cached (in L2) per row block while B streams past it. */
const DOT_A_BYTES = 192 * 1024;

const A_PACK_BYTES: i32 = MC * KC * 4;
const B_PACK_BYTES: i32 = NC * KC * 4;
const TILE_BYTES: i32 = MR * NR * 4;

/** Bytes of scratch {@link gemm} needs at `work` (independent of the shape). */
export function gemmWorkspaceBytes(): i32 {
  return A_PACK_BYTES + B_PACK_BYTES + TILE_BYTES;
}

/** Transposes four rows of four lanes: returns column `q` of the 4×4 block (r0..r3 rows). */
// @ts-ignore: decorator
@inline function column(r0: v128, r1: v128, r2: v128, r3: v128, q: i32): v128 {
  if (q == 0) return v128.shuffle<f32>(v128.shuffle<f32>(r0, r1, 0, 4, 1, 5), v128.shuffle<f32>(r2, r3, 0, 4, 1, 5), 0, 1, 4, 5);
  if (q == 1) return v128.shuffle<f32>(v128.shuffle<f32>(r0, r1, 0, 4, 1, 5), v128.shuffle<f32>(r2, r3, 0, 4, 1, 5), 2, 3, 6, 7);
  if (q == 2) return v128.shuffle<f32>(v128.shuffle<f32>(r0, r1, 2, 6, 3, 7), v128.shuffle<f32>(r2, r3, 2, 6, 3, 7), 0, 1, 4, 5);
  return v128.shuffle<f32>(v128.shuffle<f32>(r0, r1, 2, 6, 3, 7), v128.shuffle<f32>(r2, r3, 2, 6, 3, 7), 2, 3, 6, 7);
}

/**
 * Packs `count` (≤ `width`) strided vectors of length `kc` as columns of a
 * `kc × width` panel: `dst[p·width + q] = src[q·ld + p]`, zero for `q ≥ count`.
 * This is the transposing pack (op(B) for transB, op(A) for !transA).
 */
function packTransposed(src: usize, ldBytes: usize, count: i32, kc: i32, dst: usize, width: i32): void {
  const wb = <usize>width << 2;
  if (count == width) {
    for (let g = 0; g < width; g += 4) {
      const s0 = src + <usize>g * ldBytes;
      const s1 = s0 + ldBytes;
      const s2 = s1 + ldBytes;
      const s3 = s2 + ldBytes;
      let d = dst + (<usize>g << 2);
      let p = 0;
      for (; p + 4 <= kc; p += 4) {
        const o = <usize>p << 2;
        const r0 = v128.load(s0 + o);
        const r1 = v128.load(s1 + o);
        const r2 = v128.load(s2 + o);
        const r3 = v128.load(s3 + o);
        v128.store(d, column(r0, r1, r2, r3, 0));
        v128.store(d + wb, column(r0, r1, r2, r3, 1));
        v128.store(d + 2 * wb, column(r0, r1, r2, r3, 2));
        v128.store(d + 3 * wb, column(r0, r1, r2, r3, 3));
        d += 4 * wb;
      }
      for (; p < kc; p++) {
        const o = <usize>p << 2;
        store<f32>(d, load<f32>(s0 + o));
        store<f32>(d, load<f32>(s1 + o), 4);
        store<f32>(d, load<f32>(s2 + o), 8);
        store<f32>(d, load<f32>(s3 + o), 12);
        d += wb;
      }
    }
  } else {
    for (let p = 0; p < kc; p++) {
      const d = dst + <usize>p * wb;
      for (let q = 0; q < width; q++) {
        store<f32>(d + (<usize>q << 2), q < count ? load<f32>(src + <usize>q * ldBytes + (<usize>p << 2)) : 0);
      }
    }
  }
}

/**
 * Packs `kc` rows of `count` contiguous values into `width`-column panels
 * (`width` is `NR` for op(B) = B, `MR` for op(A) = Aᵀ):
 * `dst[jr·kc + p·width + q] = src[p·ld + jr + q]`, zero past `count`.
 * Row by row, so the source is read sequentially even when its rows are
 * 4 KiB apart (a panel-by-panel walk would thrash one L1 set).
 */
function packRows(src: usize, ldBytes: usize, count: i32, kc: i32, dst: usize, width: i32): void {
  const full = count - count % width;
  const panelBytes = <usize>kc * width * 4;
  let s = src;
  let d = dst;
  for (let p = 0; p < kc; p++) {
    let q = d;
    let j = 0;
    if (width == 8) {
      for (; j < full; j += 8) {
        const o = <usize>j << 2;
        v128.store(q, v128.load(s + o));
        v128.store(q, v128.load(s + o, 16), 16);
        q += panelBytes;
      }
    } else {
      for (; j < full; j += 4) {
        v128.store(q, v128.load(s + (<usize>j << 2)));
        q += panelBytes;
      }
    }
    if (j < count) {
      for (let r = 0; r < width; r += 4) storeN(q + (<usize>r << 2), loadN(s + (<usize>(j + r) << 2), min(4, max(0, count - j - r))), 4);
    }
    s += ldBytes;
    d += <usize>width << 2;
  }
}

/**
 * The micro-kernel: `C[0:4, 0:8] += alpha · Ap · Bp` over a packed `4×kc`
 * panel of op(A) (`Ap[p·4 + i]`) and `kc×8` panel of op(B) (`Bp[p·8 + j]`),
 * with eight v128 accumulators. `c` is the tile's address, `ldcBytes` its row stride.
 */
function kernel4x8(kc: i32, pa: usize, pb: usize, c: usize, ldcBytes: usize, alpha: f32): void {
  let c00 = f32x4.splat(0);
  let c01 = c00;
  let c10 = c00;
  let c11 = c00;
  let c20 = c00;
  let c21 = c00;
  let c30 = c00;
  let c31 = c00;
  const end = pb + (<usize>kc << 5);
  while (pb < end) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    let a = v128.load32_splat(pa);
    c00 = madd(a, b0, c00);
    c01 = madd(a, b1, c01);
    a = v128.load32_splat(pa, 4);
    c10 = madd(a, b0, c10);
    c11 = madd(a, b1, c11);
    a = v128.load32_splat(pa, 8);
    c20 = madd(a, b0, c20);
    c21 = madd(a, b1, c21);
    a = v128.load32_splat(pa, 12);
    c30 = madd(a, b0, c30);
    c31 = madd(a, b1, c31);
    pa += 16;
    pb += 32;
  }
  const al = f32x4.splat(alpha);
  let r = c;
  v128.store(r, madd(al, c00, v128.load(r)));
  v128.store(r, madd(al, c01, v128.load(r, 16)), 16);
  r += ldcBytes;
  v128.store(r, madd(al, c10, v128.load(r)));
  v128.store(r, madd(al, c11, v128.load(r, 16)), 16);
  r += ldcBytes;
  v128.store(r, madd(al, c20, v128.load(r)));
  v128.store(r, madd(al, c21, v128.load(r, 16)), 16);
  r += ldcBytes;
  v128.store(r, madd(al, c30, v128.load(r)));
  v128.store(r, madd(al, c31, v128.load(r, 16)), 16);
}

/** `C ← beta · C` on the `m×n` block (`beta = 0` clears, ignoring old NaNs). */
function scaleC(m: i32, n: i32, beta: f32, c: usize, ldcBytes: usize): void {
  if (beta == 1) return;
  const vb = f32x4.splat(beta);
  for (let i = 0; i < m; i++) {
    const row = c + <usize>i * ldcBytes;
    if (beta == 0) {
      memory.fill(row, 0, <usize>n << 2);
      continue;
    }
    let j = 0;
    for (; j + 4 <= n; j += 4) v128.store(row + (<usize>j << 2), f32x4.mul(v128.load(row + (<usize>j << 2)), vb));
    if (j < n) storeN(row + (<usize>j << 2), f32x4.mul(loadN(row + (<usize>j << 2), n - j), vb), n - j);
  }
}

/**
 * Few rows, op(B) = B (rows of B contiguous): `C[i, :] += Σ_p (alpha·op(A)[i,p]) · B[p, :]`,
 * 32, then 4 columns at a time. `op(A)[i,p]` is at `a + i·sai + p·sap` (bytes).
 */
function axpyRows(m: i32, n: i32, k: i32, alpha: f32, a: usize, sai: usize, sap: usize, b: usize, ldbBytes: usize, c: usize, ldcBytes: usize): void {
  for (let i = 0; i < m; i++) {
    const aRow = a + <usize>i * sai;
    const cRow = c + <usize>i * ldcBytes;
    let j = 0;
    for (; j + 32 <= n; j += 32) {
      const cp = cRow + (<usize>j << 2);
      let c0 = v128.load(cp);
      let c1 = v128.load(cp, 16);
      let c2 = v128.load(cp, 32);
      let c3 = v128.load(cp, 48);
      let c4 = v128.load(cp, 64);
      let c5 = v128.load(cp, 80);
      let c6 = v128.load(cp, 96);
      let c7 = v128.load(cp, 112);
      let bp = b + (<usize>j << 2);
      let ap = aRow;
      for (let p = 0; p < k; p++) {
        const s = f32x4.splat(alpha * load<f32>(ap));
        c0 = madd(s, v128.load(bp), c0);
        c1 = madd(s, v128.load(bp, 16), c1);
        c2 = madd(s, v128.load(bp, 32), c2);
        c3 = madd(s, v128.load(bp, 48), c3);
        c4 = madd(s, v128.load(bp, 64), c4);
        c5 = madd(s, v128.load(bp, 80), c5);
        c6 = madd(s, v128.load(bp, 96), c6);
        c7 = madd(s, v128.load(bp, 112), c7);
        bp += ldbBytes;
        ap += sap;
      }
      v128.store(cp, c0);
      v128.store(cp, c1, 16);
      v128.store(cp, c2, 32);
      v128.store(cp, c3, 48);
      v128.store(cp, c4, 64);
      v128.store(cp, c5, 80);
      v128.store(cp, c6, 96);
      v128.store(cp, c7, 112);
    }
    for (; j < n; j += 4) {
      const w = min(4, n - j);
      const cp = cRow + (<usize>j << 2);
      let acc = loadN(cp, w);
      let bp = b + (<usize>j << 2);
      let ap = aRow;
      for (let p = 0; p < k; p++) {
        acc = madd(f32x4.splat(alpha * load<f32>(ap)), loadN(bp, w), acc);
        bp += ldbBytes;
        ap += sap;
      }
      storeN(cp, acc, w);
    }
  }
}

/** Sums of the lanes of four vectors: `[Σx0, Σx1, Σx2, Σx3]`. */
// @ts-ignore: decorator
@inline function hsum4(x0: v128, x1: v128, x2: v128, x3: v128): v128 {
  const s01 = f32x4.add(v128.shuffle<f32>(x0, x1, 0, 4, 1, 5), v128.shuffle<f32>(x0, x1, 2, 6, 3, 7));
  const s23 = f32x4.add(v128.shuffle<f32>(x2, x3, 0, 4, 1, 5), v128.shuffle<f32>(x2, x3, 2, 6, 3, 7));
  return f32x4.add(v128.shuffle<f32>(s01, s23, 0, 1, 4, 5), v128.shuffle<f32>(s01, s23, 2, 3, 6, 7));
}

/**
 * Few rows, op(A) = A and op(B) = Bᵀ (both contiguous along k):
 * `C[i, j] += alpha · ⟨A[i, :], B[j, :]⟩`, four columns at a time with two
 * accumulators each, reduced across lanes at the end.
 */
function dotRows(m: i32, n: i32, k: i32, alpha: f32, a: usize, ldaBytes: usize, b: usize, ldbBytes: usize, c: usize, ldcBytes: usize): void {
  const al = f32x4.splat(alpha);
  const kt = k & 7; // tail past the 8-wide main loop
  const kMain = k - kt;
  for (let i = 0; i < m; i++) {
    const aRow = a + <usize>i * ldaBytes;
    const cRow = c + <usize>i * ldcBytes;
    for (let j = 0; j < n; j += 4) {
      const w = min(4, n - j);
      const b0 = b + <usize>j * ldbBytes;
      const b1 = w > 1 ? b0 + ldbBytes : b0;
      const b2 = w > 2 ? b1 + ldbBytes : b1;
      const b3 = w > 3 ? b2 + ldbBytes : b2;
      let x0 = f32x4.splat(0);
      let x1 = x0;
      let x2 = x0;
      let x3 = x0;
      let y0 = x0;
      let y1 = x0;
      let y2 = x0;
      let y3 = x0;
      let o: usize = 0;
      const end = <usize>kMain << 2;
      for (; o < end; o += 32) {
        const av = v128.load(aRow + o);
        const aw = v128.load(aRow + o, 16);
        x0 = madd(av, v128.load(b0 + o), x0);
        y0 = madd(aw, v128.load(b0 + o, 16), y0);
        x1 = madd(av, v128.load(b1 + o), x1);
        y1 = madd(aw, v128.load(b1 + o, 16), y1);
        x2 = madd(av, v128.load(b2 + o), x2);
        y2 = madd(aw, v128.load(b2 + o, 16), y2);
        x3 = madd(av, v128.load(b3 + o), x3);
        y3 = madd(aw, v128.load(b3 + o, 16), y3);
      }
      if (kt > 0) {
        const n0 = min(4, kt);
        const av = loadN(aRow + o, n0);
        x0 = madd(av, loadN(b0 + o, n0), x0);
        x1 = madd(av, loadN(b1 + o, n0), x1);
        x2 = madd(av, loadN(b2 + o, n0), x2);
        x3 = madd(av, loadN(b3 + o, n0), x3);
        if (kt > 4) {
          const aw = loadN(aRow + o + 16, kt - 4);
          y0 = madd(aw, loadN(b0 + o + 16, kt - 4), y0);
          y1 = madd(aw, loadN(b1 + o + 16, kt - 4), y1);
          y2 = madd(aw, loadN(b2 + o + 16, kt - 4), y2);
          y3 = madd(aw, loadN(b3 + o + 16, kt - 4), y3);
        }
      }
      const s = hsum4(f32x4.add(x0, y0), f32x4.add(x1, y1), f32x4.add(x2, y2), f32x4.add(x3, y3));
      const cp = cRow + (<usize>j << 2);
      storeN(cp, madd(al, s, loadN(cp, w)), w);
    }
  }
}

/**
 * op(A) = A, op(B) = Bᵀ, any number of rows: `C[i, j] += alpha · ⟨A[i, :], B[j, :]⟩`
 * by 2×4 tiles of dot products, vectorised along k (both operands are read
 * in place, nothing is packed), one v128 accumulator per output reduced
 * across lanes at the end. Row blocks of A that fit in L2 outermost, then
 * column blocks, then row pairs, so the four rows of B stay in L1 while the
 * block of A streams past them, and B is read once per row block.
 */
function dotNT(m: i32, n: i32, k: i32, alpha: f32, a: usize, ldaBytes: usize, b: usize, ldbBytes: usize, c: usize, ldcBytes: usize): void {
  const al = f32x4.splat(alpha);
  const kt = k & 3;
  const end = <usize>(k - kt) << 2;
  const m2 = m & ~1;
  // Row blocks of A that stay in L2 while all of B streams past (once per block).
  const block = max(2, (DOT_A_BYTES / (max(k, 1) << 2)) & ~1);
  for (let i0 = 0; i0 < m2; i0 += block) {
    const i1 = min(m2, i0 + block);
    for (let j = 0; j < n; j += 4) {
      const w = min(4, n - j);
      const b0 = b + <usize>j * ldbBytes;
      const b1 = w > 1 ? b0 + ldbBytes : b0;
      const b2 = w > 2 ? b1 + ldbBytes : b1;
      const b3 = w > 3 ? b2 + ldbBytes : b2;
      for (let i = i0; i < i1; i += 2) {
        const a0 = a + <usize>i * ldaBytes;
        const a1 = a0 + ldaBytes;
        let x0 = f32x4.splat(0);
        let x1 = x0;
        let x2 = x0;
        let x3 = x0;
        let y0 = x0;
        let y1 = x0;
        let y2 = x0;
        let y3 = x0;
        let o: usize = 0;
        for (; o < end; o += 16) {
          const u = v128.load(a0 + o);
          const v = v128.load(a1 + o);
          let q = v128.load(b0 + o);
          x0 = madd(u, q, x0);
          y0 = madd(v, q, y0);
          q = v128.load(b1 + o);
          x1 = madd(u, q, x1);
          y1 = madd(v, q, y1);
          q = v128.load(b2 + o);
          x2 = madd(u, q, x2);
          y2 = madd(v, q, y2);
          q = v128.load(b3 + o);
          x3 = madd(u, q, x3);
          y3 = madd(v, q, y3);
        }
        if (kt > 0) {
          const u = loadN(a0 + o, kt);
          const v = loadN(a1 + o, kt);
          let q = loadN(b0 + o, kt);
          x0 = madd(u, q, x0);
          y0 = madd(v, q, y0);
          q = loadN(b1 + o, kt);
          x1 = madd(u, q, x1);
          y1 = madd(v, q, y1);
          q = loadN(b2 + o, kt);
          x2 = madd(u, q, x2);
          y2 = madd(v, q, y2);
          q = loadN(b3 + o, kt);
          x3 = madd(u, q, x3);
          y3 = madd(v, q, y3);
        }
        const c0 = c + <usize>i * ldcBytes + (<usize>j << 2);
        const c1 = c0 + ldcBytes;
        storeN(c0, madd(al, hsum4(x0, x1, x2, x3), loadN(c0, w)), w);
        storeN(c1, madd(al, hsum4(y0, y1, y2, y3), loadN(c1, w)), w);
      }
    }
  }
  if (m2 < m) dotRows(1, n, k, alpha, a + <usize>m2 * ldaBytes, ldaBytes, b, ldbBytes, c + <usize>m2 * ldcBytes, ldcBytes);
}

/**
 * op(A) = A, op(B) = B with few rows: `C[i, :] += alpha · Σ_p A[i, p] · B[p, :]`
 * by 4×8 tiles (the micro-kernel's shape) with B read in place: for each
 * strip of 8 columns (which stays in L2), every block of 4 rows runs down
 * all of k. Rows and columns past the tiles go to {@link axpyRows}.
 */
function flatNN(m: i32, n: i32, k: i32, alpha: f32, a: usize, ldaBytes: usize, b: usize, ldbBytes: usize, c: usize, ldcBytes: usize): void {
  const m4 = m & ~3;
  const n8 = n & ~7;
  const al = f32x4.splat(alpha);
  for (let j = 0; j < n8; j += 8) {
    for (let p0 = 0; p0 < k; p0 += FLAT_KB) {
      const kb = min(FLAT_KB, k - p0);
      const bj = b + <usize>p0 * ldbBytes + (<usize>j << 2);
      for (let i = 0; i < m4; i += 4) {
        let a0 = a + <usize>i * ldaBytes + (<usize>p0 << 2);
        let a1 = a0 + ldaBytes;
        let a2 = a1 + ldaBytes;
        let a3 = a2 + ldaBytes;
        let c00 = f32x4.splat(0);
        let c01 = c00;
        let c10 = c00;
        let c11 = c00;
        let c20 = c00;
        let c21 = c00;
        let c30 = c00;
        let c31 = c00;
        let bp = bj;
        const end = a0 + (<usize>kb << 2);
        while (a0 < end) {
          const b0 = v128.load(bp);
          const b1 = v128.load(bp, 16);
          let x = v128.load32_splat(a0);
          c00 = madd(x, b0, c00);
          c01 = madd(x, b1, c01);
          x = v128.load32_splat(a1);
          c10 = madd(x, b0, c10);
          c11 = madd(x, b1, c11);
          x = v128.load32_splat(a2);
          c20 = madd(x, b0, c20);
          c21 = madd(x, b1, c21);
          x = v128.load32_splat(a3);
          c30 = madd(x, b0, c30);
          c31 = madd(x, b1, c31);
          a0 += 4;
          a1 += 4;
          a2 += 4;
          a3 += 4;
          bp += ldbBytes;
        }
        let r = c + <usize>i * ldcBytes + (<usize>j << 2);
        v128.store(r, madd(al, c00, v128.load(r)));
        v128.store(r, madd(al, c01, v128.load(r, 16)), 16);
        r += ldcBytes;
        v128.store(r, madd(al, c10, v128.load(r)));
        v128.store(r, madd(al, c11, v128.load(r, 16)), 16);
        r += ldcBytes;
        v128.store(r, madd(al, c20, v128.load(r)));
        v128.store(r, madd(al, c21, v128.load(r, 16)), 16);
        r += ldcBytes;
        v128.store(r, madd(al, c30, v128.load(r)));
        v128.store(r, madd(al, c31, v128.load(r, 16)), 16);
      }
    }
  }
  if (m4 < m && n8 > 0) axpyRows(m - m4, n8, k, alpha, a + <usize>m4 * ldaBytes, ldaBytes, 4, b, ldbBytes, c + <usize>m4 * ldcBytes, ldcBytes);
  if (n8 < n) axpyRows(m, n - n8, k, alpha, a, ldaBytes, 4, b + (<usize>n8 << 2), ldbBytes, c + (<usize>n8 << 2), ldcBytes);
}

/**
 * `C = alpha · op(A) · op(B) + beta · C` with `op(A)` `m×k` (`A` stored
 * `k×m` when `transA`) and `op(B)` `k×n` (`B` stored `n×k` when `transB`).
 * With `beta = 0`, `C`'s old contents (even NaN) are ignored. `work` must
 * point at {@link gemmWorkspaceBytes} bytes of scratch.
 */
export function gemm(
  transA: bool, transB: bool, m: i32, n: i32, k: i32, alpha: f32,
  a: usize, lda: i32, b: usize, ldb: i32, beta: f32, c: usize, ldc: i32, work: usize,
): void {
  if (m <= 0 || n <= 0) return;
  const ldaB = <usize>lda << 2;
  const ldbB = <usize>ldb << 2;
  const ldcB = <usize>ldc << 2;
  scaleC(m, n, beta, c, ldcB);
  if (alpha == 0 || k <= 0) return;

  if (!transA && !transB && m >= MR && m <= NN_MAX_M) {
    flatNN(m, n, k, alpha, a, ldaB, b, ldbB, c, ldcB);
    return;
  }
  if (m < MR && !transB) {
    if (transA) axpyRows(m, n, k, alpha, a, 4, ldaB, b, ldbB, c, ldcB);
    else axpyRows(m, n, k, alpha, a, ldaB, 4, b, ldbB, c, ldcB);
    return;
  }
  if (transB && !transA && (m < MR || k >= DOT_MIN_K)) {
    // Dot products need no packing; below DOT_MIN_K the lane reductions cost more than packing.
    if (m < 2) dotRows(m, n, k, alpha, a, ldaB, b, ldbB, c, ldcB);
    else dotNT(m, n, k, alpha, a, ldaB, b, ldbB, c, ldcB);
    return;
  }

  const ap = work;
  const bp = work + A_PACK_BYTES;
  const tile = bp + B_PACK_BYTES;
  // Equal slices no deeper than KC (k = 320 is one slice, 400 two of 200).
  const slices = (k + KC - 1) / KC;
  const depth = (k + slices - 1) / slices;
  for (let pc = 0; pc < k; pc += depth) {
    const kc = min(depth, k - pc);
    for (let jc = 0; jc < n; jc += NC) {
      const nc = min(NC, n - jc);
      // Pack op(B)[pc:pc+kc, jc:jc+nc] into NR-column panels of kc×NR.
      if (transB) {
        for (let jr = 0; jr < nc; jr += NR) {
          const cols = min(NR, nc - jr);
          packTransposed(b + <usize>(jc + jr) * ldbB + (<usize>pc << 2), ldbB, cols, kc, bp + <usize>jr * kc * 4, NR);
        }
      } else {
        packRows(b + <usize>pc * ldbB + (<usize>jc << 2), ldbB, nc, kc, bp, NR);
      }
      for (let ic = 0; ic < m; ic += MC) {
        const mc = min(MC, m - ic);
        // Pack op(A)[ic:ic+mc, pc:pc+kc] into MR-row panels of kc×MR.
        if (transA) {
          packRows(a + <usize>pc * ldaB + (<usize>ic << 2), ldaB, mc, kc, ap, MR);
        } else {
          for (let ir = 0; ir < mc; ir += MR) {
            const rows = min(MR, mc - ir);
            packTransposed(a + <usize>(ic + ir) * ldaB + (<usize>pc << 2), ldaB, rows, kc, ap + <usize>ir * kc * 4, MR);
          }
        }
        for (let jr = 0; jr < nc; jr += NR) {
          const cols = min(NR, nc - jr);
          const pb = bp + <usize>jr * kc * 4;
          for (let ir = 0; ir < mc; ir += MR) {
            const rows = min(MR, mc - ir);
            const pa = ap + <usize>ir * kc * 4;
            const ct = c + <usize>(ic + ir) * ldcB + (<usize>(jc + jr) << 2);
            if (rows == MR && cols == NR) {
              kernel4x8(kc, pa, pb, ct, ldcB, alpha);
            } else {
              memory.fill(tile, 0, TILE_BYTES);
              kernel4x8(kc, pa, pb, tile, NR * 4, alpha);
              for (let r = 0; r < rows; r++) {
                const src = tile + <usize>r * NR * 4;
                const dst = ct + <usize>r * ldcB;
                for (let q = 0; q < cols; q++) {
                  const o = <usize>q << 2;
                  store<f32>(dst + o, load<f32>(dst + o) + load<f32>(src + o));
                }
              }
            }
          }
        }
      }
    }
  }
}
