package longlive.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * A stride-1 convolution of channels-last frames read in place from a zero-padded input: no im2col copy.
 *
 * <p>Why it works: in a padded channels-last row, output position x's receptive field in one (frame, row) tap pair
 * is the contiguous run of {@code kw * cin} floats that starts at {@code x * cin}. The runs of neighbouring
 * positions overlap, so MR neighbours form an {@code MR x kw*cin} matrix with leading dimension {@code cin} that
 * the micro-kernel reads where it lies. One output tile is then
 * {@code bias + sum over the kt * kh (frame, row) pairs of A_pair[MR x kw*cin] . W_pair[kw*cin x panel]}.
 * The im2col route copies every input value {@code kt * kh * kw} times (27 for the VAE's 3x3x3 convs) and packs it
 * again for the GEMM; with the VAE's narrow layers (8 to 32 channels) that copying, not the arithmetic, was most of
 * the decoder's time.
 *
 * <p>Weights are packed by the caller ({@link #pack}) into column panels of {@code 2 x lanes} (or {@code lanes} for
 * a last panel that fits in one vector, so an 8-channel layer on AVX2 wastes nothing), each {@code [depth][width]}
 * followed by its bias row; the accumulators start from the bias, so the output is written, never read.
 */
public final class DirectConv {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /** Output positions per tile of the two-vector kernel (8 accumulators: fits AVX2's 16 registers with room). */
    static final int MR_WIDE = 4;
    /** Output positions per tile of the one-vector kernel. */
    static final int MR_NARROW = 8;

    private DirectConv() {}

    /** Columns of the panel that starts {@code remaining} columns before the end. */
    private static int panelWidth(int remaining) {
        return remaining > L ? 2 * L : L;
    }

    /** Floats {@link #pack} writes for {@code cout} outputs of {@code depth} inputs each. */
    public static int packedSize(int cout, int depth) {
        int size = 0;
        for (int j0 = 0; j0 < cout; ) {
            int width = panelWidth(cout - j0);
            size += (depth + 1) * width;
            j0 += width;
        }
        return size;
    }

    /** Floats of the per-thread tile {@link #row} needs for ragged edges. */
    public static int tileSize() {
        return MR_NARROW * 2 * L;
    }

    /** Floats a padded input needs past its last row: the ragged last tile of a row reads that far beyond it. */
    public static int slack(int cin, int kw) {
        return (MR_NARROW + kw) * cin;
    }

    /**
     * Packs {@code weight[cout][depth]} (from {@code wOff}) and {@code bias[cout]} into {@code dst} in panels;
     * columns past {@code cout} are zero.
     */
    public static void pack(float[] weight, int wOff, int cout, int depth, float[] bias, float[] dst) {
        int d = 0;
        for (int j0 = 0; j0 < cout; ) {
            int width = panelWidth(cout - j0), valid = Math.min(width, cout - j0);
            for (int p = 0; p < depth; p++, d += width)
                for (int j = 0; j < width; j++) dst[d + j] = j < valid ? weight[wOff + (j0 + j) * depth + p] : 0f;
            for (int j = 0; j < width; j++) dst[d + j] = j < valid ? bias[j0 + j] : 0f;
            d += width;
            j0 += width;
        }
    }

    /**
     * One output row: {@code out[outOff + x * cout + j]} for x in [0, wo), j in [0, cout).
     *
     * @param in       the padded input
     * @param pairBase for each (frame, row) tap pair, the offset in {@code in} of the padded row's first position
     * @param pairs    how many entries of {@code pairBase} are used ({@code kt * kh})
     * @param run      floats of one pair's receptive field ({@code kw * cin}); the depth is {@code pairs * run}
     * @param cin      floats between neighbouring positions
     * @param packed   the output of {@link #pack} for this conv
     * @param tile     scratch of {@link #tileSize()} floats
     */
    public static void row(float[] in, int[] pairBase, int pairs, int run, int cin, int wo, float[] packed, int cout,
                           float[] out, int outOff, float[] tile) {
        int depth = pairs * run, pOff = 0;
        for (int j0 = 0; j0 < cout; ) {
            int width = panelWidth(cout - j0), valid = Math.min(width, cout - j0);
            int mr = width == L ? MR_NARROW : MR_WIDE;
            for (int x0 = 0; x0 < wo; x0 += mr) {
                int rows = Math.min(mr, wo - x0);
                boolean whole = rows == mr && valid == width;
                float[] c = whole ? out : tile;
                int cIdx = whole ? outOff + x0 * cout + j0 : 0, ldc = whole ? cout : width;
                if (width == L) narrow(in, pairBase, pairs, run, cin, x0, packed, pOff, depth, c, cIdx, ldc);
                else wide(in, pairBase, pairs, run, cin, x0, packed, pOff, depth, c, cIdx, ldc);
                if (!whole)
                    for (int r = 0; r < rows; r++)
                        System.arraycopy(tile, r * width, out, outOff + (x0 + r) * cout + j0, valid);
            }
            pOff += (depth + 1) * width;
            j0 += width;
        }
    }

    /**
     * {@code C[4 x 2L] = bias + A . B}: written out by hand and branch-free inside, as {@link VectorMatMul}'s kernel
     * is, so C2 keeps the accumulators in registers.
     */
    private static void wide(float[] in, int[] pairBase, int pairs, int run, int cin, int x0, float[] bp, int pOff,
                             int depth, float[] c, int cIdx, int ldc) {
        int w = 2 * L, biasIdx = pOff + depth * w;
        FloatVector c00 = FloatVector.fromArray(S, bp, biasIdx), c01 = FloatVector.fromArray(S, bp, biasIdx + L);
        FloatVector c10 = c00, c11 = c01, c20 = c00, c21 = c01, c30 = c00, c31 = c01;
        int bi = pOff;
        for (int pair = 0; pair < pairs; pair++) {
            int a0 = pairBase[pair] + x0 * cin, a1 = a0 + cin, a2 = a1 + cin, a3 = a2 + cin;
            for (int q = 0; q < run; q++, bi += w) {
                FloatVector b0 = FloatVector.fromArray(S, bp, bi), b1 = FloatVector.fromArray(S, bp, bi + L);
                FloatVector x = FloatVector.broadcast(S, in[a0 + q]);
                c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
                x = FloatVector.broadcast(S, in[a1 + q]);
                c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
                x = FloatVector.broadcast(S, in[a2 + q]);
                c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
                x = FloatVector.broadcast(S, in[a3 + q]);
                c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
            }
        }
        c00.intoArray(c, cIdx); c01.intoArray(c, cIdx + L);
        c10.intoArray(c, cIdx + ldc); c11.intoArray(c, cIdx + ldc + L);
        c20.intoArray(c, cIdx + 2 * ldc); c21.intoArray(c, cIdx + 2 * ldc + L);
        c30.intoArray(c, cIdx + 3 * ldc); c31.intoArray(c, cIdx + 3 * ldc + L);
    }

    /** {@code C[8 x L] = bias + A . B}, for panels of one vector. */
    private static void narrow(float[] in, int[] pairBase, int pairs, int run, int cin, int x0, float[] bp, int pOff,
                               int depth, float[] c, int cIdx, int ldc) {
        FloatVector c0 = FloatVector.fromArray(S, bp, pOff + depth * L);
        FloatVector c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;
        int bi = pOff;
        for (int pair = 0; pair < pairs; pair++) {
            int a0 = pairBase[pair] + x0 * cin;
            for (int q = 0; q < run; q++, bi += L) {
                FloatVector b = FloatVector.fromArray(S, bp, bi);
                int a = a0 + q;
                c0 = FloatVector.broadcast(S, in[a]).fma(b, c0);
                c1 = FloatVector.broadcast(S, in[a + cin]).fma(b, c1);
                c2 = FloatVector.broadcast(S, in[a + 2 * cin]).fma(b, c2);
                c3 = FloatVector.broadcast(S, in[a + 3 * cin]).fma(b, c3);
                c4 = FloatVector.broadcast(S, in[a + 4 * cin]).fma(b, c4);
                c5 = FloatVector.broadcast(S, in[a + 5 * cin]).fma(b, c5);
                c6 = FloatVector.broadcast(S, in[a + 6 * cin]).fma(b, c6);
                c7 = FloatVector.broadcast(S, in[a + 7 * cin]).fma(b, c7);
            }
        }
        c0.intoArray(c, cIdx);
        c1.intoArray(c, cIdx + ldc);
        c2.intoArray(c, cIdx + 2 * ldc);
        c3.intoArray(c, cIdx + 3 * ldc);
        c4.intoArray(c, cIdx + 4 * ldc);
        c5.intoArray(c, cIdx + 5 * ldc);
        c6.intoArray(c, cIdx + 6 * ldc);
        c7.intoArray(c, cIdx + 7 * ldc);
    }
}
