package longlive.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The register tiles and row operations {@link VectorAttention} is built from: {@code S = A . B^T} tiles for
 * the scores, {@code dst += P . B} tiles for P.V and the gradients, packing of a key/query block transposed,
 * and the vectorised exp/max/sum rows of the online softmax.
 *
 * <p>Tiles are 6 rows x 2 vectors. Row counts are padded to a multiple of 6 by repeating the last valid row
 * (reads) or by zero rows of P (writes); widths of the packed operand are padded to {@link #COLS}.
 */
final class AttentionTiles {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();
    static final int MR = 6;
    static final int NR = 2 * L;
    /** Width of a packed block (keys in the forward, queries in the key-side backward); a multiple of NR. */
    static final int COLS = Math.max(64, NR);
    /** Rows of a block (queries in the forward, keys in the key-side backward); a multiple of MR. */
    static final int ROWS = 96;

    private AttentionTiles() {}

    /** Rounds up to a multiple of {@link #MR}. */
    static int padRows(int rows) {
        return (rows + MR - 1) / MR * MR;
    }

    /**
     * Packs rows {@code [r0, r0+count)} of a token-major matrix (row stride {@code rs}, the head's columns at
     * {@code base + row*rs .. + depth}) transposed into {@code bt[dst + d*COLS + c]}; columns {@code >= count} are zero.
     */
    static void packT(float[] x, int base, int rs, int r0, int count, int depth, float[] bt, int dst) {
        for (int c = 0; c < count; c++) {
            int src = base + (r0 + c) * rs;
            for (int d = 0; d < depth; d++) bt[dst + d * COLS + c] = x[src + d];
        }
        if (count < COLS)
            for (int d = 0; d < depth; d++) java.util.Arrays.fill(bt, dst + d * COLS + count, dst + d * COLS + COLS, 0f);
    }

    /**
     * Packs all {@code n} rows of one head, block by block of COLS rows: block b at {@code bt[b * depth * COLS]},
     * laid out as {@link #packT}. Parallel over blocks.
     */
    static void packHead(Parallel parallel, float[] x, int base, int rs, int n, int depth, float[] bt) {
        int blocks = (n + COLS - 1) / COLS;
        parallel.forRange(blocks, 4, (from, to) -> {
            for (int b = from; b < to; b++)
                packT(x, base, rs, b * COLS, Math.min(COLS, n - b * COLS), depth, bt, b * depth * COLS);
        });
    }

    /**
     * {@code s[r*COLS + c] = sum_d x[base + (r0+r)*rs + d] * bt[btOff + d*COLS + c]} for r in [0, rows) (padded to a
     * multiple of 6 by repeating the last row) and c in [0, COLS).
     */
    static void dotRows(int rows, int depth, float[] x, int base, int rs, int r0, float[] bt, int btOff, float[] s) {
        for (int t = 0; t < rows; t += MR) {
            int last = rows - 1;
            int a0 = base + (r0 + t) * rs, a1 = base + (r0 + Math.min(t + 1, last)) * rs;
            int a2 = base + (r0 + Math.min(t + 2, last)) * rs, a3 = base + (r0 + Math.min(t + 3, last)) * rs;
            int a4 = base + (r0 + Math.min(t + 4, last)) * rs, a5 = base + (r0 + Math.min(t + 5, last)) * rs;
            for (int c = 0; c < COLS; c += NR)
                dotTile(depth, x, a0, a1, a2, a3, a4, a5, bt, btOff + c, COLS, s, t * COLS + c, COLS);
        }
    }

    /**
     * {@code y[base + (r0+r)*ys + w] += sum_j p[r*COLS + j] * x[xBase + (c0+j)*rs + w]} for r in [0, rows),
     * j in [0, depth), w in [0, width). Rows of p from {@code rows} up to the next multiple of 6 must be zero.
     */
    static void accRows(int rows, int depth, float[] p, float[] x, int xBase, int rs, int c0,
                        float[] y, int base, int ys, int r0, int width) {
        int vecWidth = width / NR * NR;
        for (int t = 0; t < rows; t += MR) {
            int last = rows - 1;
            int d0 = base + (r0 + t) * ys, d1 = base + (r0 + Math.min(t + 1, last)) * ys;
            int d2 = base + (r0 + Math.min(t + 2, last)) * ys, d3 = base + (r0 + Math.min(t + 3, last)) * ys;
            int d4 = base + (r0 + Math.min(t + 4, last)) * ys, d5 = base + (r0 + Math.min(t + 5, last)) * ys;
            for (int w = 0; w < vecWidth; w += NR)
                accTile(depth, p, t * COLS, COLS, x, xBase + c0 * rs + w, rs, y, d0 + w, d1 + w, d2 + w, d3 + w, d4 + w, d5 + w);
        }
        if (vecWidth < width) {
            // head dims that are not a multiple of 2 vectors: the last columns in plain loops
            for (int r = 0; r < rows; r++) {
                int dst = base + (r0 + r) * ys;
                for (int j = 0; j < depth; j++) {
                    float pj = p[r * COLS + j];
                    if (pj == 0f) continue;
                    int src = xBase + (c0 + j) * rs;
                    for (int w = vecWidth; w < width; w++) y[dst + w] += pj * x[src + w];
                }
            }
        }
    }

    /** Max of {@code s[off .. off+COLS)}. */
    static float rowMax(float[] s, int off) {
        FloatVector m = FloatVector.fromArray(S, s, off);
        for (int c = L; c < COLS; c += L) m = m.max(FloatVector.fromArray(S, s, off + c));
        return m.reduceLanes(VectorOperators.MAX);
    }

    /** {@code s[i] = exp(s[i] - sub)} over one row of COLS; returns the sum. */
    static float expRow(float[] s, int off, float sub) {
        FloatVector acc = FloatVector.zero(S);
        for (int c = 0; c < COLS; c += L) {
            FloatVector e = VectorMath.exp(FloatVector.fromArray(S, s, off + c).sub(sub));
            e.intoArray(s, off + c);
            acc = acc.add(e);
        }
        return VectorMath.sum(acc);
    }

    /** {@code s[i] *= scale} over one row of COLS. */
    static void scaleRow(float[] s, int off, float scale) {
        for (int c = 0; c < COLS; c += L) FloatVector.fromArray(S, s, off + c).mul(scale).intoArray(s, off + c);
    }

    /** {@code y[i] *= f} for i in [off, off+n). */
    static void scale(float[] y, int off, int n, float f) {
        int i = 0;
        for (; i <= n - L; i += L) FloatVector.fromArray(S, y, off + i).mul(f).intoArray(y, off + i);
        for (; i < n; i++) y[off + i] *= f;
    }

    /** Backward, query side: {@code p[i] = p[i] * (dp[i] - rowDot) * scale} over one row of COLS (p becomes dS). */
    static void dsRow(float[] p, float[] dp, int off, float rowDot, float scale) {
        for (int c = 0; c < COLS; c += L) {
            FloatVector pv = FloatVector.fromArray(S, p, off + c);
            pv.mul(FloatVector.fromArray(S, dp, off + c).sub(rowDot)).mul(scale).intoArray(p, off + c);
        }
    }

    /**
     * Backward, key side, one row of COLS queries: {@code p = exp(s * scale - lse[c])} and
     * {@code ds = p * (ds - rowDot[c]) * scale} (ds holds dP^T on entry).
     */
    static void pdsRow(float[] p, float[] ds, int off, float scale, float[] lse, float[] rowDot) {
        for (int c = 0; c < COLS; c += L) {
            FloatVector pv = VectorMath.exp(
                    FloatVector.fromArray(S, p, off + c).mul(scale).sub(FloatVector.fromArray(S, lse, c)));
            pv.intoArray(p, off + c);
            pv.mul(FloatVector.fromArray(S, ds, off + c).sub(FloatVector.fromArray(S, rowDot, c))).mul(scale)
                    .intoArray(ds, off + c);
        }
    }

    /** How a (query range, key range) block relates to the mask. */
    static final int SKIP = 0, FULL = 1, PARTIAL = 2;

    /** SKIP if no query in [q0, q0+nq) sees a key in [k0, k0+nk), FULL if all see all, else PARTIAL. */
    static int blockMode(KeyMask mask, int q0, int nq, int k0, int nk) {
        if (mask == null) return FULL;
        boolean any = false, all = true;
        int k1 = k0 + nk;
        for (int i = q0; i < q0 + nq; i++) {
            int seen = Math.max(0, Math.min(mask.hi0[i], k1) - Math.max(mask.lo0[i], k0))
                    + Math.max(0, Math.min(mask.hi1[i], k1) - Math.max(mask.lo1[i], k0));
            if (seen > 0) any = true;
            if (seen < nk) all = false;
        }
        return !any ? SKIP : all ? FULL : PARTIAL;
    }

    /**
     * {@code s[r][0..2L) = sum_d a[a_r + d] * bt[d][0..2L)} for the 6 rows r, i.e. a 6 x 2L tile of
     * {@code A . B^T} with A rows read in place (at offsets a0..a5) and B^T packed {@code [depth][ldb]} at btOff.
     * Rows may repeat (padding). Branch-free so C2 keeps the 12 accumulators in registers.
     */
    static void dotTile(int depth, float[] a, int a0, int a1, int a2, int a3, int a4, int a5,
                        float[] bt, int btOff, int ldb, float[] s, int sOff, int lds) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S), c51 = FloatVector.zero(S);
        for (int d = 0; d < depth; d++) {
            int bi = btOff + d * ldb;
            FloatVector x;
            FloatVector b0 = FloatVector.fromArray(S, bt, bi + 0 * L);
            FloatVector b1 = FloatVector.fromArray(S, bt, bi + 1 * L);
            x = FloatVector.broadcast(S, a[a0 + d]);
            c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, a[a1 + d]);
            c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, a[a2 + d]);
            c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, a[a3 + d]);
            c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, a[a4 + d]);
            c40 = x.fma(b0, c40); c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(S, a[a5 + d]);
            c50 = x.fma(b0, c50); c51 = x.fma(b1, c51);
        }
        c00.intoArray(s, sOff + 0 * lds + 0 * L);
        c01.intoArray(s, sOff + 0 * lds + 1 * L);
        c10.intoArray(s, sOff + 1 * lds + 0 * L);
        c11.intoArray(s, sOff + 1 * lds + 1 * L);
        c20.intoArray(s, sOff + 2 * lds + 0 * L);
        c21.intoArray(s, sOff + 2 * lds + 1 * L);
        c30.intoArray(s, sOff + 3 * lds + 0 * L);
        c31.intoArray(s, sOff + 3 * lds + 1 * L);
        c40.intoArray(s, sOff + 4 * lds + 0 * L);
        c41.intoArray(s, sOff + 4 * lds + 1 * L);
        c50.intoArray(s, sOff + 5 * lds + 0 * L);
        c51.intoArray(s, sOff + 5 * lds + 1 * L);
    }

    /**
     * {@code dst[d_r + (0..2L)] += sum_j p[pOff + r*ldp + j] * b[bOff + j*ldb + (0..2L)]} for the 6 rows r and
     * j in [0, depth): a 6 x 2L tile of {@code P . B} with B rows read in place. Destination rows may repeat
     * (padding) as long as the repeated rows of P are zero and come last: rows are loaded, added and stored in
     * order, so a repeat adds zero to the already updated row.
     */
    static void accTile(int depth, float[] p, int pOff, int ldp, float[] b, int bOff, int ldb,
                        float[] dst, int d0, int d1, int d2, int d3, int d4, int d5) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S), c51 = FloatVector.zero(S);
        for (int j = 0; j < depth; j++) {
            int bi = bOff + j * ldb, pi = pOff + j;
            FloatVector x;
            FloatVector b0 = FloatVector.fromArray(S, b, bi + 0 * L);
            FloatVector b1 = FloatVector.fromArray(S, b, bi + 1 * L);
            x = FloatVector.broadcast(S, p[pi + 0 * ldp]);
            c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, p[pi + 1 * ldp]);
            c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, p[pi + 2 * ldp]);
            c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, p[pi + 3 * ldp]);
            c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, p[pi + 4 * ldp]);
            c40 = x.fma(b0, c40); c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(S, p[pi + 5 * ldp]);
            c50 = x.fma(b0, c50); c51 = x.fma(b1, c51);
        }
        c00.add(FloatVector.fromArray(S, dst, d0 + 0 * L)).intoArray(dst, d0 + 0 * L);
        c01.add(FloatVector.fromArray(S, dst, d0 + 1 * L)).intoArray(dst, d0 + 1 * L);
        c10.add(FloatVector.fromArray(S, dst, d1 + 0 * L)).intoArray(dst, d1 + 0 * L);
        c11.add(FloatVector.fromArray(S, dst, d1 + 1 * L)).intoArray(dst, d1 + 1 * L);
        c20.add(FloatVector.fromArray(S, dst, d2 + 0 * L)).intoArray(dst, d2 + 0 * L);
        c21.add(FloatVector.fromArray(S, dst, d2 + 1 * L)).intoArray(dst, d2 + 1 * L);
        c30.add(FloatVector.fromArray(S, dst, d3 + 0 * L)).intoArray(dst, d3 + 0 * L);
        c31.add(FloatVector.fromArray(S, dst, d3 + 1 * L)).intoArray(dst, d3 + 1 * L);
        c40.add(FloatVector.fromArray(S, dst, d4 + 0 * L)).intoArray(dst, d4 + 0 * L);
        c41.add(FloatVector.fromArray(S, dst, d4 + 1 * L)).intoArray(dst, d4 + 1 * L);
        c50.add(FloatVector.fromArray(S, dst, d5 + 0 * L)).intoArray(dst, d5 + 0 * L);
        c51.add(FloatVector.fromArray(S, dst, d5 + 1 * L)).intoArray(dst, d5 + 1 * L);
    }
}
