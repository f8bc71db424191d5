package longlive.kernel;

import static longlive.kernel.AttentionTiles.COLS;
import static longlive.kernel.AttentionTiles.FULL;
import static longlive.kernel.AttentionTiles.PARTIAL;
import static longlive.kernel.AttentionTiles.ROWS;
import static longlive.kernel.AttentionTiles.SKIP;

import java.util.Arrays;

/**
 * Fast {@link Attention}: FlashAttention-2 style tiling on the Vector API. Heads run one after the other; for each
 * head K^T is packed once (block by block of {@code COLS} keys, in parallel), then blocks of
 * {@value AttentionTiles#ROWS} queries run in parallel: for each key block the score tile comes from 6 x 2-vector
 * register tiles, the online softmax updates the running max and sum per query, and P.V is added into a
 * per-thread output tile. Memory: one head's packed K^T ({@code nk x headDim}) plus O(threads * ROWS * headDim)
 * tiles; no {@code [nq x nk]} matrix exists. Key blocks a query block cannot see (block-causal / local-window
 * masks) are skipped without computing anything.
 *
 * <p>The backward recomputes P from the saved log-sum-exp in two race-free passes per head: one parallel over
 * query blocks that accumulates dQ, one parallel over key blocks that accumulates dK and dV (each pass owns the
 * rows it writes, so no atomics and no per-thread gradient copies). The price is computing Q.K^T and dO.V^T
 * twice.
 */
public final class VectorAttention implements Attention {
    private final Parallel parallel;
    private final ThreadLocal<Scratch> scratch = ThreadLocal.withInitial(Scratch::new);
    /** Per caller: D_i = dO_i . O_i for every (head, query) of the current backward. */
    private final ThreadLocal<float[]> rowDots = ThreadLocal.withInitial(() -> new float[0]);
    /** Per caller: one head's K^T / V^T (or Q^T / dO^T) packed block by block, shared read-only by the workers. */
    private final ThreadLocal<float[][]> packed = ThreadLocal.withInitial(() -> new float[][] {new float[0], new float[0]});

    public VectorAttention(Parallel parallel) {
        this.parallel = parallel;
    }

    /** Per-thread tiles, grown to the largest head dim seen (allocation only when it grows). */
    private static final class Scratch {
        final float[] s = new float[ROWS * COLS], s2 = new float[ROWS * COLS];
        final float[] m = new float[ROWS], l = new float[ROWS], vecA = new float[COLS], vecB = new float[COLS];
        float[] o = new float[0];

        Scratch ensure(int headDim) {
            if (o.length < ROWS * headDim) o = new float[ROWS * headDim];
            return this;
        }
    }

    /** The caller's two packing buffers, grown to hold {@code n} rows of one head. */
    private float[][] packBuffers(int n, int headDim) {
        float[][] b = packed.get();
        int need = (n + COLS - 1) / COLS * COLS * headDim;
        if (b[0].length < need) {
            b[0] = new float[need];
            b[1] = new float[need];
        }
        return b;
    }

    @Override
    public void forward(int nq, int nk, int heads, int headDim, float scale, float[] q, int qOff, float[] k, int kOff,
                        float[] v, int vOff, float[] out, int outOff, float[] lse, KeyMask mask) {
        AttentionChecks.check("attention", nq, nk, heads, headDim, q, qOff, k, kOff, v, vOff, mask);
        AttentionChecks.need("attention", "out", "out", out, outOff, (long) nq * heads * headDim);
        AttentionChecks.needLse("attention", nq, heads, lse);
        if (nq == 0) return;
        int qBlocks = (nq + ROWS - 1) / ROWS, rs = heads * headDim;
        float[] kt = packBuffers(nk, headDim)[0];
        // head by head: K^T of the head is packed once (in parallel), then the query blocks run in parallel
        for (int h = 0; h < heads; h++) {
            final int head = h;
            AttentionTiles.packHead(parallel, k, kOff + h * headDim, rs, nk, headDim, kt);
            parallel.forRange(qBlocks, 1, (from, to) -> {
                Scratch sc = scratch.get().ensure(headDim);
                for (int b = from; b < to; b++)
                    forwardBlock(head, b * ROWS, nq, nk, heads, headDim, scale, q, qOff, kt, v, vOff, out, outOff, lse,
                            mask, sc);
            });
        }
    }

    /** Queries [i0, i0+ROWS) of head h against all visible keys. */
    private static void forwardBlock(int h, int i0, int nq, int nk, int heads, int hd, float scale, float[] q, int qOff,
                                     float[] kt, float[] v, int vOff, float[] out, int outOff, float[] lse,
                                     KeyMask mask, Scratch sc) {
        int rs = heads * hd, col = h * hd, rows = Math.min(ROWS, nq - i0), padded = AttentionTiles.padRows(rows);
        float[] s = sc.s, m = sc.m, l = sc.l, o = sc.o;
        Arrays.fill(m, Float.NEGATIVE_INFINITY);
        Arrays.fill(l, 0f);
        Arrays.fill(o, 0, padded * hd, 0f);
        for (int j0 = 0; j0 < nk; j0 += COLS) {
            int cols = Math.min(COLS, nk - j0);
            int mode = AttentionTiles.blockMode(mask, i0, rows, j0, cols);
            if (mode == SKIP) continue;
            AttentionTiles.dotRows(rows, hd, q, qOff + col, rs, i0, kt, j0 * hd, s);
            for (int r = 0; r < rows; r++) {
                int row = r * COLS;
                AttentionTiles.scaleRow(s, row, scale);
                if (mode == PARTIAL || cols < COLS) maskRow(s, row, mask, i0 + r, j0, cols);
                float mNew = Math.max(m[r], AttentionTiles.rowMax(s, row));
                if (mNew == Float.NEGATIVE_INFINITY) {           // nothing visible yet: contributes nothing
                    Arrays.fill(s, row, row + COLS, 0f);
                    continue;
                }
                float alpha = (float) StrictMath.exp(m[r] - mNew);     // 0 when m[r] is still -inf
                float sum = AttentionTiles.expRow(s, row, mNew);
                l[r] = l[r] * alpha + sum;
                m[r] = mNew;
                if (alpha != 1f) AttentionTiles.scale(o, r * hd, hd, alpha);
            }
            Arrays.fill(s, rows * COLS, padded * COLS, 0f);
            AttentionTiles.accRows(rows, cols, s, v, vOff + col, rs, j0, o, 0, hd, 0, hd);
        }
        for (int r = 0; r < rows; r++) {
            int dst = outOff + (i0 + r) * rs + col;
            if (l[r] == 0f) {                                   // fully masked query: zeros, lse = -inf
                Arrays.fill(out, dst, dst + hd, 0f);
                if (lse != null) lse[h * nq + i0 + r] = Float.NEGATIVE_INFINITY;
                continue;
            }
            float inv = 1f / l[r];
            for (int d = 0; d < hd; d++) out[dst + d] = o[r * hd + d] * inv;
            if (lse != null) lse[h * nq + i0 + r] = m[r] + (float) StrictMath.log(l[r]);
        }
    }

    /** Sets the scores of keys query {@code i} may not see (and padding columns >= cols) to -inf. */
    private static void maskRow(float[] s, int row, KeyMask mask, int i, int j0, int cols) {
        for (int c = 0; c < COLS; c++)
            if (c >= cols || (mask != null && !mask.allows(i, j0 + c))) s[row + c] = Float.NEGATIVE_INFINITY;
    }

    @Override
    public void backward(int nq, int nk, int heads, int headDim, float scale, float[] q, int qOff, float[] k, int kOff,
                         float[] v, int vOff, float[] out, int outOff, float[] lse, float[] dOut, int dOutOff,
                         KeyMask mask, float[] dQ, int dQOff, float[] dK, int dKOff, float[] dV, int dVOff) {
        String op = "attention backward", s = "out/dOut";
        AttentionChecks.check(op, nq, nk, heads, headDim, q, qOff, k, kOff, v, vOff, mask);
        long qCount = (long) nq * heads * headDim, kCount = (long) nk * heads * headDim;
        AttentionChecks.need(op, s, "out", out, outOff, qCount);
        AttentionChecks.need(op, s, "dOut", dOut, dOutOff, qCount);
        if (lse == null) throw new IllegalArgumentException(op + ": lse from the forward is required");
        AttentionChecks.needLse(op, nq, heads, lse);
        if (dQ != null) AttentionChecks.need(op, s, "dQ", dQ, dQOff, qCount);
        if (dK != null) AttentionChecks.need(op, s, "dK", dK, dKOff, kCount);
        if (dV != null) AttentionChecks.need(op, s, "dV", dV, dVOff, kCount);
        if (nq == 0 || nk == 0) return;
        int rs = heads * headDim;
        float[] dots = rowDots.get();
        if (dots.length < heads * nq) rowDots.set(dots = new float[heads * nq]);
        float[] rowDot = dots;
        // D[h, i] = dO_i . O_i  (= sum_j P_ij dP_ij, the softmax backward's row term)
        parallel.forRange(heads * nq, 256, (from, to) -> {
            for (int t = from; t < to; t++) {
                int h = t / nq, i = t % nq, a = dOutOff + i * rs + h * headDim, b = outOff + i * rs + h * headDim;
                float acc = 0;
                for (int d = 0; d < headDim; d++) acc += dOut[a + d] * out[b + d];
                rowDot[t] = acc;
            }
        });
        float[][] bufs = packBuffers(Math.max(nq, nk), headDim);
        for (int h = 0; h < heads; h++) {
            final int head = h;
            if (dQ != null) {
                AttentionTiles.packHead(parallel, k, kOff + h * headDim, rs, nk, headDim, bufs[0]);
                AttentionTiles.packHead(parallel, v, vOff + h * headDim, rs, nk, headDim, bufs[1]);
                parallel.forRange((nq + ROWS - 1) / ROWS, 1, (from, to) -> {
                    Scratch sc = scratch.get().ensure(headDim);
                    for (int b = from; b < to; b++)
                        queryBlockGrad(head, b * ROWS, nq, nk, heads, headDim, scale, q, qOff, k, kOff, bufs[0], bufs[1],
                                lse, rowDot, dOut, dOutOff, mask, dQ, dQOff, sc);
                });
            }
            if (dK != null || dV != null) {
                AttentionTiles.packHead(parallel, q, qOff + h * headDim, rs, nq, headDim, bufs[0]);
                AttentionTiles.packHead(parallel, dOut, dOutOff + h * headDim, rs, nq, headDim, bufs[1]);
                parallel.forRange((nk + ROWS - 1) / ROWS, 1, (from, to) -> {
                    Scratch sc = scratch.get().ensure(headDim);
                    for (int b = from; b < to; b++)
                        keyBlockGrad(head, b * ROWS, nq, nk, heads, headDim, scale, q, qOff, k, kOff, v, vOff, bufs[0],
                                bufs[1], lse, rowDot, dOut, dOutOff, mask, dK, dKOff, dV, dVOff, sc);
                });
            }
        }
    }

    /** dQ rows [i0, i0+ROWS) of head h: dQ_i += scale * sum_j P_ij (dP_ij - D_i) K_j. */
    private static void queryBlockGrad(int h, int i0, int nq, int nk, int heads, int hd, float scale, float[] q, int qOff,
                                       float[] k, int kOff, float[] kt, float[] vt, float[] lse, float[] rowDot,
                                       float[] dOut, int dOutOff, KeyMask mask, float[] dQ, int dQOff, Scratch sc) {
        int rs = heads * hd, col = h * hd, rows = Math.min(ROWS, nq - i0), padded = AttentionTiles.padRows(rows);
        float[] p = sc.s, dp = sc.s2;
        for (int j0 = 0; j0 < nk; j0 += COLS) {
            int cols = Math.min(COLS, nk - j0);
            int mode = AttentionTiles.blockMode(mask, i0, rows, j0, cols);
            if (mode == SKIP) continue;
            AttentionTiles.dotRows(rows, hd, q, qOff + col, rs, i0, kt, j0 * hd, p);
            AttentionTiles.dotRows(rows, hd, dOut, dOutOff + col, rs, i0, vt, j0 * hd, dp);
            for (int r = 0; r < rows; r++) {
                int row = r * COLS, i = i0 + r;
                float l = lse[h * nq + i];
                if (l == Float.NEGATIVE_INFINITY) {
                    Arrays.fill(p, row, row + COLS, 0f);
                    continue;
                }
                AttentionTiles.scaleRow(p, row, scale);
                AttentionTiles.expRow(p, row, l);
                if (mode == PARTIAL || cols < COLS)
                    for (int c = 0; c < COLS; c++)
                        if (c >= cols || (mask != null && !mask.allows(i, j0 + c))) p[row + c] = 0f;
                AttentionTiles.dsRow(p, dp, row, rowDot[h * nq + i], scale);
            }
            Arrays.fill(p, rows * COLS, padded * COLS, 0f);
            AttentionTiles.accRows(rows, cols, p, k, kOff + col, rs, j0, dQ, dQOff + col, rs, i0, hd);
        }
    }

    /** dK, dV rows [j0, j0+ROWS) of head h: dV_j += sum_i P_ij dO_i ; dK_j += scale * sum_i P_ij (dP_ij - D_i) Q_i. */
    private static void keyBlockGrad(int h, int j0, int nq, int nk, int heads, int hd, float scale, float[] q, int qOff,
                                     float[] k, int kOff, float[] v, int vOff, float[] qt, float[] ot, float[] lse,
                                     float[] rowDot, float[] dOut, int dOutOff, KeyMask mask, float[] dK, int dKOff,
                                     float[] dV, int dVOff, Scratch sc) {
        int rs = heads * hd, col = h * hd, rows = Math.min(ROWS, nk - j0), padded = AttentionTiles.padRows(rows);
        float[] p = sc.s, ds = sc.s2, lseRow = sc.vecA, dRow = sc.vecB;
        for (int i0 = 0; i0 < nq; i0 += COLS) {
            int cols = Math.min(COLS, nq - i0);
            int mode = AttentionTiles.blockMode(mask, i0, cols, j0, rows);
            if (mode == SKIP) continue;
            AttentionTiles.dotRows(rows, hd, k, kOff + col, rs, j0, qt, i0 * hd, p);     // S^T [keys x queries]
            AttentionTiles.dotRows(rows, hd, v, vOff + col, rs, j0, ot, i0 * hd, ds);    // dP^T
            for (int c = 0; c < COLS; c++) {
                // padding and fully masked queries (lse = -inf) get a huge subtrahend: exp -> 0 instead of inf
                float l = c < cols ? lse[h * nq + i0 + c] : Float.POSITIVE_INFINITY;
                lseRow[c] = l == Float.NEGATIVE_INFINITY ? Float.POSITIVE_INFINITY : l;
                dRow[c] = c < cols ? rowDot[h * nq + i0 + c] : 0f;
            }
            for (int r = 0; r < rows; r++) {
                int row = r * COLS, j = j0 + r;
                AttentionTiles.pdsRow(p, ds, row, scale, lseRow, dRow);
                if (mode == PARTIAL)
                    for (int c = 0; c < cols; c++)
                        if (!mask.allows(i0 + c, j)) {
                            p[row + c] = 0f;
                            ds[row + c] = 0f;
                        }
            }
            Arrays.fill(p, rows * COLS, padded * COLS, 0f);
            Arrays.fill(ds, rows * COLS, padded * COLS, 0f);
            if (dV != null) AttentionTiles.accRows(rows, cols, p, dOut, dOutOff + col, rs, i0, dV, dVOff + col, rs, j0, hd);
            if (dK != null) AttentionTiles.accRows(rows, cols, ds, q, qOff + col, rs, i0, dK, dKOff + col, rs, j0, hd);
        }
    }
}
