package longlive.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import longlive.tensor.ShapeException;

/**
 * Fast {@link MatMul}: Goto/BLIS-style blocking with packed operands and a (MR rows) x (2 vectors) register-tiled
 * FMA micro-kernel on the Vector API: 6 x 32 columns with AVX-512, 4 x 16 with AVX2 ({@link #MR}).
 *
 * <p>Loops, outermost first: column blocks of B ({@value #NC} wide), depth blocks ({@value #KC}), row blocks of A
 * ({@value #MC}), B micro-panels ({@code 2 x lanes} columns), A micro-panels (MR rows). A B depth-block is
 * packed once per (column block, depth block), in parallel, into the caller thread's buffer, then shared read-only.
 * A wide C has each worker pack its A blocks into its own buffer; a narrow one ({@link #directBlock}) has the
 * micro-kernel read A in place, bit-identically. Packing absorbs all four transpose combinations, zero-pads ragged
 * edges, and is the single place where B is read: a bf16-stored B ({@link #gemmBf16}) is widened to float there.
 *
 * <p>No allocation per call beyond a few lambdas; buffers are allocated once per thread.
 */
public final class VectorMatMul implements MatMul {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /**
     * Rows of the register tile: 6 x 2 vectors (12 accumulators) with AVX-512's 32 vector registers, 4 x 2 (8) with
     * AVX2's 16. A 6-row tile needs 15 of AVX2's 16 registers, and C2 then spilled four accumulators to the stack
     * inside the loop on some runs (the JVM's garbage collector alone decided which): ~30 GFLOP/s a core on Zen 3
     * against ~60 without the spills.
     */
    static final int MR = L >= 16 ? 6 : 4;
    private static final int NR = 2 * L;
    static final int KC = 256, MC = 120, NC = 2048;
    /** Column blocks up to this wide skip packing A ({@link #directBlock}); wider ones reuse a packed A enough. */
    static final int DIRECT_A_MAX_N = 1024;

    private final Parallel parallel;
    /** {@link #DIRECT_A_MAX_N}, or another bound for tests that compare the two paths. */
    private final int directAMaxN;
    /** {@link #MR}, or the other tile for tests, so that both tiles' kernels are tested on every machine. */
    private final int tileRows;
    /** Packed B depth-block, owned by the thread that calls gemm (workers only read it). */
    private final ThreadLocal<float[]> packedB = ThreadLocal.withInitial(() -> new float[KC * NC]);
    /** Packed A block plus an edge tile, per worker thread. */
    private final ThreadLocal<float[]> packedA = ThreadLocal.withInitial(() -> new float[MC * KC + 6 * NR]);

    public VectorMatMul(Parallel parallel) {
        this(parallel, DIRECT_A_MAX_N, MR);
    }

    /**
     * With column blocks up to {@code directAMaxN} wide read A in place (0: always pack A), and a register tile of
     * {@code tileRows} (4 or 6) rows.
     */
    VectorMatMul(Parallel parallel, int directAMaxN, int tileRows) {
        if (tileRows != 4 && tileRows != 6) throw new IllegalArgumentException("tile rows must be 4 or 6: " + tileRows);
        this.parallel = parallel;
        this.directAMaxN = directAMaxN;
        this.tileRows = tileRows;
    }

    @Override
    public void gemm(int m, int n, int k, float[] a, int aOff, boolean transA, float[] b, int bOff, boolean transB,
                     float[] bias, float[] c, int cOff, boolean accumulate) {
        GemmChecks.check(m, n, k, a, aOff, transA, b, bOff, transB, bias, c, cOff);
        run(m, n, k, a, aOff, transA, b, null, bOff, transB, bias, c, cOff, accumulate);
    }

    /** bf16 B is widened while packing, so it costs no more than the float path and never exists widened whole. */
    @Override
    public void gemmBf16(int m, int n, int k, float[] a, int aOff, boolean transA, short[] b, int bOff, boolean transB,
                         float[] bias, float[] c, int cOff, boolean accumulate) {
        checkBf16(m, n, k, a, aOff, transA, transB, bias, c, cOff, b, bOff);
        run(m, n, k, a, aOff, transA, null, b, bOff, transB, bias, c, cOff, accumulate);
    }

    /** Exactly one of {@code bf} (float B) and {@code bh} (bf16 B) is non-null. */
    private void run(int m, int n, int k, float[] a, int aOff, boolean transA, float[] bf, short[] bh, int bOff,
                     boolean transB, float[] bias, float[] c, int cOff, boolean accumulate) {
        if (m == 0 || n == 0) return;
        // C is first set to bias/zero (or has bias added): the micro-kernel then only ever does C += A.B
        if (!accumulate || bias != null) {
            parallel.forRange(m, 64, (from, to) -> {
                for (int i = from; i < to; i++) {
                    int row = cOff + i * n;
                    for (int j = 0; j < n; j++) {
                        float add = bias == null ? 0f : bias[j];
                        c[row + j] = accumulate ? c[row + j] + add : add;
                    }
                }
            });
        }
        if (k == 0) return;
        float[] bp = packedB.get();
        int threads = parallel.threads();
        for (int jc = 0; jc < n; jc += NC) {
            int nc = Math.min(NC, n - jc);
            int nPanels = (nc + NR - 1) / NR;
            int rows = tileRows, mPanels = (m + rows - 1) / rows;
            boolean splitRows = mPanels >= 2 * threads || nPanels < threads;
            for (int pc = 0; pc < k; pc += KC) {
                int kc = Math.min(KC, k - pc);
                final int jc0 = jc, pc0 = pc;
                parallel.forRange(nPanels, 4, (from, to) -> {
                    for (int jp = from; jp < to; jp++) {
                        if (bh == null) packB(bf, bOff, transB, n, k, pc0, kc, jc0 + jp * NR, bp, jp * kc * NR);
                        else packBBf16(bh, bOff, transB, n, k, pc0, kc, jc0 + jp * NR, bp, jp * kc * NR);
                    }
                });
                boolean directA = nc <= directAMaxN;
                if (splitRows) {
                    parallel.forRange(mPanels, 1, (from, to) -> block(m, n, k, a, aOff, transA, bp, c, cOff,
                            from * rows, Math.min(m, to * rows), 0, nPanels, jc0, nc, pc0, kc, directA));
                } else {
                    parallel.forRange(nPanels, 1, (from, to) -> block(m, n, k, a, aOff, transA, bp, c, cOff,
                            0, m, from, to, jc0, nc, pc0, kc, directA));
                }
            }
        }
    }

    /** The bf16 twin of {@link GemmChecks#check}: checks the bf16 B, then A, C and bias. */
    static void checkBf16(int m, int n, int k, float[] a, int aOff, boolean transA, boolean transB, float[] bias,
                          float[] c, int cOff, short[] bh, int bOff) {
        int[] shapeA = transA ? new int[] {k, m} : new int[] {m, k};
        int[] shapeB = transB ? new int[] {n, k} : new int[] {k, n};
        if (m < 0 || n < 0 || k < 0)
            throw ShapeException.of("gemmBf16", "A", shapeA, "B (bf16)", shapeB, "negative dimension");
        if (bh == null || bOff < 0 || bOff + (long) k * n > bh.length)
            throw ShapeException.of("gemmBf16", "A", shapeA, "B (bf16)", shapeB,
                    "B needs " + (long) k * n + " bf16 values from offset " + bOff + " but its array has "
                            + (bh == null ? "null" : bh.length));
        // the float checks for A, C and bias, with an empty float B of zero depth standing in
        GemmChecks.check(m, n, 0, a, aOff, transA, NO_B, 0, transB, bias, c, cOff);
        if (a == null || aOff < 0 || aOff + (long) m * k > a.length)
            throw ShapeException.of("gemmBf16", "A", shapeA, "B (bf16)", shapeB, "A needs " + (long) m * k
                    + " floats from offset " + aOff + " but its array has " + (a == null ? "null" : a.length));
    }

    private static final float[] NO_B = new float[0];

    /**
     * Rows [rowFrom, rowTo) x B micro-panels [panelFrom, panelTo) of the current (jc, pc) block. With {@code directA}
     * the micro-kernel reads A where it lies instead of a packed copy.
     */
    private void block(int m, int n, int k, float[] a, int aOff, boolean transA, float[] bp,
                       float[] c, int cOff, int rowFrom, int rowTo, int panelFrom, int panelTo,
                       int jc, int nc, int pc, int kc, boolean directA) {
        float[] ap = packedA.get();
        int tile = MC * KC;
        if (directA) {
            directBlock(m, n, k, a, aOff, transA, bp, c, cOff, rowFrom, rowTo, panelFrom, panelTo, jc, nc, pc, kc, ap,
                    tile, tileRows);
            return;
        }
        int rows = tileRows;
        for (int ic = rowFrom; ic < rowTo; ic += MC) {
            int mc = Math.min(MC, rowTo - ic);
            packA(a, aOff, transA, m, k, ic, mc, pc, kc, ap, rows);
            for (int jp = panelFrom; jp < panelTo; jp++) {
                int j0 = jc + jp * NR, nr = Math.min(NR, jc + nc - j0);
                int bIdx = jp * kc * NR;
                for (int ir = 0; ir < mc; ir += rows) {
                    int i0 = ic + ir, mr = Math.min(rows, mc - ir);
                    int aIdx = ir * kc;
                    if (mr == rows && nr == NR) {
                        if (rows == 6) kernel(kc, ap, aIdx, bp, bIdx, c, cOff + i0 * n + j0, n);
                        else kernel4(kc, ap, aIdx, bp, bIdx, c, cOff + i0 * n + j0, n);
                    } else {
                        // ragged edge: full tile into a zeroed scratch tile, then add the valid part
                        java.util.Arrays.fill(ap, tile, tile + rows * NR, 0f);
                        if (rows == 6) kernel(kc, ap, aIdx, bp, bIdx, ap, tile, NR);
                        else kernel4(kc, ap, aIdx, bp, bIdx, ap, tile, NR);
                        for (int r = 0; r < mr; r++) {
                            int row = cOff + (i0 + r) * n + j0;
                            for (int j = 0; j < nr; j++) c[row + j] += ap[tile + r * NR + j];
                        }
                    }
                }
            }
        }
    }

    /**
     * {@link #block} without packing A. Packing A costs one scalar gather per element of A and pays back once per B
     * micro-panel the packed block is reused against: when C is narrow (the small model's 128- to 512-wide layers)
     * that is only 8 to 32 panels (packing A and B was 29 % of the GEMM time in a teacher-training profile). Both
     * layouts of A already give the micro-kernel what it needs, MR row values per depth step at fixed strides: op(A)
     * row r, depth p lies at {@code r * k + p} (A stored [m x k]) or {@code p * m + r} (transA, stored [k x m]).
     * Rows past the end of a ragged tile read the tile's last real row again and go to the scratch tile, so nothing
     * outside A is read.
     */
    private static void directBlock(int m, int n, int k, float[] a, int aOff, boolean transA, float[] bp, float[] c,
                                    int cOff, int rowFrom, int rowTo, int panelFrom, int panelTo,
                                    int jc, int nc, int pc, int kc, float[] scratch, int tile, int rows) {
        int rowStride = transA ? 1 : k, depthStride = transA ? m : 1;
        // the packed path's loop order (a B micro-panel stays in L1 while the rows of A stream past it from L2)
        for (int ic = rowFrom; ic < rowTo; ic += MC) {
            int icEnd = Math.min(rowTo, ic + MC);
            for (int jp = panelFrom; jp < panelTo; jp++) {
                int j0 = jc + jp * NR, nr = Math.min(NR, jc + nc - j0);
                int bIdx = jp * kc * NR;
                for (int i0 = ic; i0 < icEnd; i0 += rows) {
                    int mr = Math.min(rows, icEnd - i0);
                    int aIdx = aOff + (transA ? pc * m + i0 : i0 * k + pc);
                    // rows past a ragged tile's end read its last real row again (and land in the scratch tile)
                    int last = mr - 1, o1 = Math.min(1, last) * rowStride, o2 = Math.min(2, last) * rowStride;
                    int o3 = Math.min(3, last) * rowStride, o4 = Math.min(4, last) * rowStride;
                    int o5 = Math.min(5, last) * rowStride;
                    boolean full = mr == rows && nr == NR;
                    float[] out = full ? c : scratch;
                    int outIdx = full ? cOff + i0 * n + j0 : tile, ldOut = full ? n : NR;
                    if (!full) java.util.Arrays.fill(scratch, tile, tile + rows * NR, 0f);
                    if (rows == 6) {
                        if (transA)
                            directKernel(kc, a, aIdx, depthStride, o1, o2, o3, o4, o5, bp, bIdx, out, outIdx, ldOut);
                        else directKernelRows(kc, a, aIdx, o1, o2, o3, o4, o5, bp, bIdx, out, outIdx, ldOut);
                    } else {
                        if (transA) directKernel4(kc, a, aIdx, depthStride, o1, o2, o3, bp, bIdx, out, outIdx, ldOut);
                        else directKernelRows4(kc, a, aIdx, o1, o2, o3, bp, bIdx, out, outIdx, ldOut);
                    }
                    if (!full) {
                        for (int r = 0; r < mr; r++) {
                            int row = cOff + (i0 + r) * n + j0;
                            for (int j = 0; j < nr; j++) c[row + j] += scratch[tile + r * NR + j];
                        }
                    }
                }
            }
        }
    }

    /** Packs op(A)[ic..ic+mc, pc..pc+kc] as {@code rows}-row panels, each laid out [kc][rows]; rows past the end: 0. */
    private static void packA(float[] a, int aOff, boolean transA, int m, int k, int ic, int mc, int pc, int kc,
                              float[] ap, int rows) {
        for (int ir = 0; ir < mc; ir += rows) {
            int base = ir * kc, mr = Math.min(rows, mc - ir);
            if (transA) {
                // A stored [k x m]: the rows of one depth index are contiguous
                for (int p = 0; p < kc; p++) {
                    int src = aOff + (pc + p) * m + ic + ir, dst = base + p * rows;
                    for (int r = 0; r < mr; r++) ap[dst + r] = a[src + r];
                    for (int r = mr; r < rows; r++) ap[dst + r] = 0f;
                }
            } else {
                for (int r = 0; r < mr; r++) {
                    int src = aOff + (ic + ir + r) * k + pc, dst = base + r;
                    for (int p = 0; p < kc; p++) ap[dst + p * rows] = a[src + p];
                }
                for (int r = mr; r < rows; r++)
                    for (int p = 0; p < kc; p++) ap[base + r + p * rows] = 0f;
            }
        }
    }

    /** Packs op(B)[pc..pc+kc, j0..j0+NR] laid out [kc][NR] at bp[dst]; columns past n are zero. */
    private static void packB(float[] b, int bOff, boolean transB, int n, int k, int pc, int kc, int j0, float[] bp, int dst) {
        int nr = Math.min(NR, n - j0);
        if (transB) {
            // B stored [n x k] (Linear weight): each column j of op(B) is a contiguous row of storage
            for (int j = 0; j < nr; j++) {
                int src = bOff + (j0 + j) * k + pc;
                for (int p = 0; p < kc; p++) bp[dst + p * NR + j] = b[src + p];
            }
            if (nr < NR)
                for (int p = 0; p < kc; p++)
                    for (int j = nr; j < NR; j++) bp[dst + p * NR + j] = 0f;
        } else if (nr == NR) {
            for (int p = 0; p < kc; p++) System.arraycopy(b, bOff + (pc + p) * n + j0, bp, dst + p * NR, NR);
        } else {
            for (int p = 0; p < kc; p++) {
                System.arraycopy(b, bOff + (pc + p) * n + j0, bp, dst + p * NR, nr);
                for (int j = nr; j < NR; j++) bp[dst + p * NR + j] = 0f;
            }
        }
    }

    /** {@link #packB} for bf16 storage: each element widened exactly (bf16 bits are the top half of a float). */
    private static void packBBf16(short[] b, int bOff, boolean transB, int n, int k, int pc, int kc, int j0, float[] bp, int dst) {
        int nr = Math.min(NR, n - j0);
        if (transB) {
            // B stored [n x k] (Linear weight): read each storage row contiguously, as packB does (reading the
            // NR rows interleaved, one element of each per depth step, made short prompts 2x slower than float32)
            for (int j = 0; j < nr; j++) {
                int src = bOff + (j0 + j) * k + pc;
                for (int p = 0; p < kc; p++) bp[dst + p * NR + j] = Float.intBitsToFloat(b[src + p] << 16);
            }
            if (nr < NR)
                for (int p = 0; p < kc; p++)
                    for (int j = nr; j < NR; j++) bp[dst + p * NR + j] = 0f;
        } else {
            for (int p = 0; p < kc; p++) {
                int row = dst + p * NR, src = bOff + (pc + p) * n + j0;
                for (int j = 0; j < nr; j++) bp[row + j] = Float.intBitsToFloat(b[src + j] << 16);
                for (int j = nr; j < NR; j++) bp[row + j] = 0f;
            }
        }
    }

    /**
     * The register tile: {@code C[6 x 2L] += Ap panel . Bp panel} with C at {@code c[cIdx]}, leading dimension
     * {@code ldc}. Written out by hand (generated) and kept branch-free: C2 only keeps the 12 accumulators in
     * registers when no vector value crosses a call or a branch; a variant with 16 accumulators and a "load C
     * or not" branch got its vectors boxed on the heap and ran 7x slower.
     */
    private static void kernel(int kc, float[] ap, int aIdx, float[] bp, int bIdx, float[] c, int cIdx, int ldc) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S), c51 = FloatVector.zero(S);
        for (int p = 0; p < kc; p++) {
            int ai = aIdx + p * 6, bi = bIdx + p * NR;
            FloatVector x;
            FloatVector b0 = FloatVector.fromArray(S, bp, bi + 0 * L);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + 1 * L);
            x = FloatVector.broadcast(S, ap[ai + 0]);
            c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, ap[ai + 1]);
            c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, ap[ai + 2]);
            c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, ap[ai + 3]);
            c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, ap[ai + 4]);
            c40 = x.fma(b0, c40); c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(S, ap[ai + 5]);
            c50 = x.fma(b0, c50); c51 = x.fma(b1, c51);
        }
        c00.add(FloatVector.fromArray(S, c, cIdx + 0 * ldc + 0 * L)).intoArray(c, cIdx + 0 * ldc + 0 * L);
        c01.add(FloatVector.fromArray(S, c, cIdx + 0 * ldc + 1 * L)).intoArray(c, cIdx + 0 * ldc + 1 * L);
        c10.add(FloatVector.fromArray(S, c, cIdx + 1 * ldc + 0 * L)).intoArray(c, cIdx + 1 * ldc + 0 * L);
        c11.add(FloatVector.fromArray(S, c, cIdx + 1 * ldc + 1 * L)).intoArray(c, cIdx + 1 * ldc + 1 * L);
        c20.add(FloatVector.fromArray(S, c, cIdx + 2 * ldc + 0 * L)).intoArray(c, cIdx + 2 * ldc + 0 * L);
        c21.add(FloatVector.fromArray(S, c, cIdx + 2 * ldc + 1 * L)).intoArray(c, cIdx + 2 * ldc + 1 * L);
        c30.add(FloatVector.fromArray(S, c, cIdx + 3 * ldc + 0 * L)).intoArray(c, cIdx + 3 * ldc + 0 * L);
        c31.add(FloatVector.fromArray(S, c, cIdx + 3 * ldc + 1 * L)).intoArray(c, cIdx + 3 * ldc + 1 * L);
        c40.add(FloatVector.fromArray(S, c, cIdx + 4 * ldc + 0 * L)).intoArray(c, cIdx + 4 * ldc + 0 * L);
        c41.add(FloatVector.fromArray(S, c, cIdx + 4 * ldc + 1 * L)).intoArray(c, cIdx + 4 * ldc + 1 * L);
        c50.add(FloatVector.fromArray(S, c, cIdx + 5 * ldc + 0 * L)).intoArray(c, cIdx + 5 * ldc + 0 * L);
        c51.add(FloatVector.fromArray(S, c, cIdx + 5 * ldc + 1 * L)).intoArray(c, cIdx + 5 * ldc + 1 * L);
    }

    /** {@link #kernel} reading A in place: row r of the tile at {@code a[aIdx + p * depthStride + o_r]} (o0 = 0). */
    private static void directKernel(int kc, float[] a, int aIdx, int depthStride, int o1, int o2, int o3,
                                     int o4, int o5, float[] bp, int bIdx, float[] c, int cIdx, int ldc) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S), c51 = FloatVector.zero(S);
        for (int p = 0; p < kc; p++) {
            int ai = aIdx + p * depthStride, bi = bIdx + p * NR;
            FloatVector x;
            FloatVector b0 = FloatVector.fromArray(S, bp, bi + 0 * L);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + 1 * L);
            x = FloatVector.broadcast(S, a[ai]);
            c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, a[ai + o1]);
            c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, a[ai + o2]);
            c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, a[ai + o3]);
            c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, a[ai + o4]);
            c40 = x.fma(b0, c40); c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(S, a[ai + o5]);
            c50 = x.fma(b0, c50); c51 = x.fma(b1, c51);
        }
        c00.add(FloatVector.fromArray(S, c, cIdx + 0 * ldc + 0 * L)).intoArray(c, cIdx + 0 * ldc + 0 * L);
        c01.add(FloatVector.fromArray(S, c, cIdx + 0 * ldc + 1 * L)).intoArray(c, cIdx + 0 * ldc + 1 * L);
        c10.add(FloatVector.fromArray(S, c, cIdx + 1 * ldc + 0 * L)).intoArray(c, cIdx + 1 * ldc + 0 * L);
        c11.add(FloatVector.fromArray(S, c, cIdx + 1 * ldc + 1 * L)).intoArray(c, cIdx + 1 * ldc + 1 * L);
        c20.add(FloatVector.fromArray(S, c, cIdx + 2 * ldc + 0 * L)).intoArray(c, cIdx + 2 * ldc + 0 * L);
        c21.add(FloatVector.fromArray(S, c, cIdx + 2 * ldc + 1 * L)).intoArray(c, cIdx + 2 * ldc + 1 * L);
        c30.add(FloatVector.fromArray(S, c, cIdx + 3 * ldc + 0 * L)).intoArray(c, cIdx + 3 * ldc + 0 * L);
        c31.add(FloatVector.fromArray(S, c, cIdx + 3 * ldc + 1 * L)).intoArray(c, cIdx + 3 * ldc + 1 * L);
        c40.add(FloatVector.fromArray(S, c, cIdx + 4 * ldc + 0 * L)).intoArray(c, cIdx + 4 * ldc + 0 * L);
        c41.add(FloatVector.fromArray(S, c, cIdx + 4 * ldc + 1 * L)).intoArray(c, cIdx + 4 * ldc + 1 * L);
        c50.add(FloatVector.fromArray(S, c, cIdx + 5 * ldc + 0 * L)).intoArray(c, cIdx + 5 * ldc + 0 * L);
        c51.add(FloatVector.fromArray(S, c, cIdx + 5 * ldc + 1 * L)).intoArray(c, cIdx + 5 * ldc + 1 * L);
    }

    /** {@link #directKernel} for A stored [m x k] (depth stride 1: an index C2 can range-check once per loop). */
    private static void directKernelRows(int kc, float[] a, int aIdx, int o1, int o2, int o3,
                                     int o4, int o5, float[] bp, int bIdx, float[] c, int cIdx, int ldc) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S), c51 = FloatVector.zero(S);
        for (int p = 0; p < kc; p++) {
            int ai = aIdx + p, bi = bIdx + p * NR;
            FloatVector x;
            FloatVector b0 = FloatVector.fromArray(S, bp, bi + 0 * L);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + 1 * L);
            x = FloatVector.broadcast(S, a[ai]);
            c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, a[ai + o1]);
            c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, a[ai + o2]);
            c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, a[ai + o3]);
            c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, a[ai + o4]);
            c40 = x.fma(b0, c40); c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(S, a[ai + o5]);
            c50 = x.fma(b0, c50); c51 = x.fma(b1, c51);
        }
        c00.add(FloatVector.fromArray(S, c, cIdx + 0 * ldc + 0 * L)).intoArray(c, cIdx + 0 * ldc + 0 * L);
        c01.add(FloatVector.fromArray(S, c, cIdx + 0 * ldc + 1 * L)).intoArray(c, cIdx + 0 * ldc + 1 * L);
        c10.add(FloatVector.fromArray(S, c, cIdx + 1 * ldc + 0 * L)).intoArray(c, cIdx + 1 * ldc + 0 * L);
        c11.add(FloatVector.fromArray(S, c, cIdx + 1 * ldc + 1 * L)).intoArray(c, cIdx + 1 * ldc + 1 * L);
        c20.add(FloatVector.fromArray(S, c, cIdx + 2 * ldc + 0 * L)).intoArray(c, cIdx + 2 * ldc + 0 * L);
        c21.add(FloatVector.fromArray(S, c, cIdx + 2 * ldc + 1 * L)).intoArray(c, cIdx + 2 * ldc + 1 * L);
        c30.add(FloatVector.fromArray(S, c, cIdx + 3 * ldc + 0 * L)).intoArray(c, cIdx + 3 * ldc + 0 * L);
        c31.add(FloatVector.fromArray(S, c, cIdx + 3 * ldc + 1 * L)).intoArray(c, cIdx + 3 * ldc + 1 * L);
        c40.add(FloatVector.fromArray(S, c, cIdx + 4 * ldc + 0 * L)).intoArray(c, cIdx + 4 * ldc + 0 * L);
        c41.add(FloatVector.fromArray(S, c, cIdx + 4 * ldc + 1 * L)).intoArray(c, cIdx + 4 * ldc + 1 * L);
        c50.add(FloatVector.fromArray(S, c, cIdx + 5 * ldc + 0 * L)).intoArray(c, cIdx + 5 * ldc + 0 * L);
        c51.add(FloatVector.fromArray(S, c, cIdx + 5 * ldc + 1 * L)).intoArray(c, cIdx + 5 * ldc + 1 * L);
    }

    // The 4-row twins of the three kernels above, for 8-lane (AVX2) machines: see MR. The three differ only in how
    // the tile's A values are indexed, and stay separate on purpose: a constant depth stride (packed panel: MR;
    // A stored [m x k]: 1) lets C2 range-check A once per loop, and feeding packed panels to the strided kernel
    // instead cost 15-20 % on wide GEMMs (docs/kernels-gemm-attention.md).

    private static void kernel4(int kc, float[] ap, int aIdx, float[] bp, int bIdx, float[] c, int cIdx, int ldc) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        for (int p = 0; p < kc; p++) {
            int ai = aIdx + p * 4, bi = bIdx + p * NR;
            FloatVector x;
            FloatVector b0 = FloatVector.fromArray(S, bp, bi + 0 * L);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + 1 * L);
            x = FloatVector.broadcast(S, ap[ai + 0]);
            c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, ap[ai + 1]);
            c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, ap[ai + 2]);
            c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, ap[ai + 3]);
            c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
        }
        c00.add(FloatVector.fromArray(S, c, cIdx + 0 * ldc + 0 * L)).intoArray(c, cIdx + 0 * ldc + 0 * L);
        c01.add(FloatVector.fromArray(S, c, cIdx + 0 * ldc + 1 * L)).intoArray(c, cIdx + 0 * ldc + 1 * L);
        c10.add(FloatVector.fromArray(S, c, cIdx + 1 * ldc + 0 * L)).intoArray(c, cIdx + 1 * ldc + 0 * L);
        c11.add(FloatVector.fromArray(S, c, cIdx + 1 * ldc + 1 * L)).intoArray(c, cIdx + 1 * ldc + 1 * L);
        c20.add(FloatVector.fromArray(S, c, cIdx + 2 * ldc + 0 * L)).intoArray(c, cIdx + 2 * ldc + 0 * L);
        c21.add(FloatVector.fromArray(S, c, cIdx + 2 * ldc + 1 * L)).intoArray(c, cIdx + 2 * ldc + 1 * L);
        c30.add(FloatVector.fromArray(S, c, cIdx + 3 * ldc + 0 * L)).intoArray(c, cIdx + 3 * ldc + 0 * L);
        c31.add(FloatVector.fromArray(S, c, cIdx + 3 * ldc + 1 * L)).intoArray(c, cIdx + 3 * ldc + 1 * L);
    }

    private static void directKernel4(int kc, float[] a, int aIdx, int depthStride, int o1, int o2, int o3,
                                      float[] bp, int bIdx, float[] c, int cIdx, int ldc) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        for (int p = 0; p < kc; p++) {
            int ai = aIdx + p * depthStride, bi = bIdx + p * NR;
            FloatVector x;
            FloatVector b0 = FloatVector.fromArray(S, bp, bi + 0 * L);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + 1 * L);
            x = FloatVector.broadcast(S, a[ai]);
            c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, a[ai + o1]);
            c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, a[ai + o2]);
            c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, a[ai + o3]);
            c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
        }
        c00.add(FloatVector.fromArray(S, c, cIdx + 0 * ldc + 0 * L)).intoArray(c, cIdx + 0 * ldc + 0 * L);
        c01.add(FloatVector.fromArray(S, c, cIdx + 0 * ldc + 1 * L)).intoArray(c, cIdx + 0 * ldc + 1 * L);
        c10.add(FloatVector.fromArray(S, c, cIdx + 1 * ldc + 0 * L)).intoArray(c, cIdx + 1 * ldc + 0 * L);
        c11.add(FloatVector.fromArray(S, c, cIdx + 1 * ldc + 1 * L)).intoArray(c, cIdx + 1 * ldc + 1 * L);
        c20.add(FloatVector.fromArray(S, c, cIdx + 2 * ldc + 0 * L)).intoArray(c, cIdx + 2 * ldc + 0 * L);
        c21.add(FloatVector.fromArray(S, c, cIdx + 2 * ldc + 1 * L)).intoArray(c, cIdx + 2 * ldc + 1 * L);
        c30.add(FloatVector.fromArray(S, c, cIdx + 3 * ldc + 0 * L)).intoArray(c, cIdx + 3 * ldc + 0 * L);
        c31.add(FloatVector.fromArray(S, c, cIdx + 3 * ldc + 1 * L)).intoArray(c, cIdx + 3 * ldc + 1 * L);
    }

    private static void directKernelRows4(int kc, float[] a, int aIdx, int o1, int o2, int o3,
                                          float[] bp, int bIdx, float[] c, int cIdx, int ldc) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        for (int p = 0; p < kc; p++) {
            int ai = aIdx + p, bi = bIdx + p * NR;
            FloatVector x;
            FloatVector b0 = FloatVector.fromArray(S, bp, bi + 0 * L);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + 1 * L);
            x = FloatVector.broadcast(S, a[ai]);
            c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, a[ai + o1]);
            c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, a[ai + o2]);
            c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, a[ai + o3]);
            c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
        }
        c00.add(FloatVector.fromArray(S, c, cIdx + 0 * ldc + 0 * L)).intoArray(c, cIdx + 0 * ldc + 0 * L);
        c01.add(FloatVector.fromArray(S, c, cIdx + 0 * ldc + 1 * L)).intoArray(c, cIdx + 0 * ldc + 1 * L);
        c10.add(FloatVector.fromArray(S, c, cIdx + 1 * ldc + 0 * L)).intoArray(c, cIdx + 1 * ldc + 0 * L);
        c11.add(FloatVector.fromArray(S, c, cIdx + 1 * ldc + 1 * L)).intoArray(c, cIdx + 1 * ldc + 1 * L);
        c20.add(FloatVector.fromArray(S, c, cIdx + 2 * ldc + 0 * L)).intoArray(c, cIdx + 2 * ldc + 0 * L);
        c21.add(FloatVector.fromArray(S, c, cIdx + 2 * ldc + 1 * L)).intoArray(c, cIdx + 2 * ldc + 1 * L);
        c30.add(FloatVector.fromArray(S, c, cIdx + 3 * ldc + 0 * L)).intoArray(c, cIdx + 3 * ldc + 0 * L);
        c31.add(FloatVector.fromArray(S, c, cIdx + 3 * ldc + 1 * L)).intoArray(c, cIdx + 3 * ldc + 1 * L);
    }
}
