package longlive.kernel;

import static longlive.kernel.PointwiseChecks.SPECIES;

import jdk.incubator.vector.FloatVector;

/**
 * The adaLN pieces of a Wan block (wan/modules/model.py {@code WanAttentionBlock}, causal_model.py): modulation
 * {@code y = x * (1 + scale) + shift} and the gated residual {@code x += y * gate}, with the modulation vectors
 * broadcast PER FRAME: rows {@code [f * tokensPerFrame, (f + 1) * tokensPerFrame)} use modulation row f (Wan's
 * {@code e0} has one row per latent frame).
 *
 * <p>Layout: {@code x, y [frames * tokensPerFrame, dim]} row-major from an offset. A modulation operand is
 * {@code frames} rows of {@code dim} floats, row f starting at {@code off + f * modStride}: with Wan's
 * {@code e0 [frames, 6, dim]} pass {@code modStride = 6 * dim} and offsets {@code k * dim} for the k-th chunk
 * (shift_msa, scale_msa, gate_msa, shift_ffn, scale_ffn, gate_ffn); with separate {@code [frames, dim]} arrays
 * pass {@code modStride = dim}. Gradients of modulation operands use the same stride (they mirror the layout)
 * and ACCUMULATE, like every backward here; each gradient may be null.
 *
 * <p>Two implementations: {@link #scalar()} (the reference) and {@link #vector()}.
 */
public abstract sealed class AdaLn permits AdaLn.Scalar, AdaLn.Vector {
    private static final AdaLn SCALAR = new Scalar();
    private static final AdaLn VECTOR = new Vector();

    AdaLn() {}

    public static AdaLn scalar() {
        return SCALAR;
    }

    public static AdaLn vector() {
        return VECTOR;
    }

    /** {@code y = x * (1 + scale[f]) + shift[f]}; y may be x at the same offset (in place). */
    public final void modulate(Parallel par, float[] x, int xOff, float[] y, int yOff, int frames, int tokensPerFrame,
                               int dim, float[] shift, int shiftOff, float[] scale, int scaleOff, int modStride) {
        String op = "adaLnModulate";
        int rows = checkRows(op, frames, tokensPerFrame, dim);
        PointwiseChecks.requireView(op, "x", x, xOff, (long) rows * dim, rows, dim);
        PointwiseChecks.requireView(op, "y", y, yOff, (long) rows * dim, rows, dim);
        PointwiseChecks.requireStrided(op, "shift", shift, shiftOff, frames, dim, modStride);
        PointwiseChecks.requireStrided(op, "scale", scale, scaleOff, frames, dim, modStride);
        par.forRange(rows, PointwiseChecks.rowGrain(dim), (from, to) -> {
            for (int r = from; r < to; r++) {
                int f = r / tokensPerFrame;
                modulateRow(x, xOff + r * dim, y, yOff + r * dim, dim,
                        shift, shiftOff + f * modStride, scale, scaleOff + f * modStride);
            }
        });
    }

    /**
     * Backward of {@link #modulate}: {@code dx += dy * (1 + scale[f])}, {@code dscale[f] += sum_rows(f) dy * x},
     * {@code dshift[f] += sum_rows(f) dy}.
     *
     * @param x the forward input
     */
    public final void modulateBackward(Parallel par, float[] x, int xOff, float[] dy, int dyOff, float[] dx, int dxOff,
                                       int frames, int tokensPerFrame, int dim, float[] scale, int scaleOff,
                                       int modStride, float[] dshift, int dshiftOff, float[] dscale, int dscaleOff) {
        String op = "adaLnModulateBackward";
        int rows = checkRows(op, frames, tokensPerFrame, dim);
        long n = (long) rows * dim;
        PointwiseChecks.requireView(op, "x", x, xOff, n, rows, dim);
        PointwiseChecks.requireView(op, "dy", dy, dyOff, n, rows, dim);
        PointwiseChecks.optionalView(op, "dx", dx, dxOff, n, rows, dim);
        PointwiseChecks.requireStrided(op, "scale", scale, scaleOff, frames, dim, modStride);
        if (dshift != null) PointwiseChecks.requireStrided(op, "dshift", dshift, dshiftOff, frames, dim, modStride);
        if (dscale != null) PointwiseChecks.requireStrided(op, "dscale", dscale, dscaleOff, frames, dim, modStride);
        if (dx != null) par.forRange(rows, PointwiseChecks.rowGrain(dim), (from, to) -> {
            for (int r = from; r < to; r++)
                mulAddRow(dy, dyOff + r * dim, scale, scaleOff + (r / tokensPerFrame) * modStride, true,
                        dx, dxOff + r * dim, dim);
        });
        if (dshift != null || dscale != null)
            frameSums(par, dy, dyOff, x, xOff, frames, tokensPerFrame, dim, modStride, dscale, dscaleOff,
                    dshift, dshiftOff);
    }

    /** {@code x += y * gate[f]} (the residual stream x is updated in place). */
    public final void gatedResidual(Parallel par, float[] x, int xOff, float[] y, int yOff, int frames,
                                    int tokensPerFrame, int dim, float[] gate, int gateOff, int modStride) {
        String op = "adaLnGatedResidual";
        int rows = checkRows(op, frames, tokensPerFrame, dim);
        PointwiseChecks.requireView(op, "x", x, xOff, (long) rows * dim, rows, dim);
        PointwiseChecks.requireView(op, "y", y, yOff, (long) rows * dim, rows, dim);
        PointwiseChecks.requireStrided(op, "gate", gate, gateOff, frames, dim, modStride);
        par.forRange(rows, PointwiseChecks.rowGrain(dim), (from, to) -> {
            for (int r = from; r < to; r++)
                mulAddRow(y, yOff + r * dim, gate, gateOff + (r / tokensPerFrame) * modStride, false,
                        x, xOff + r * dim, dim);
        });
    }

    /**
     * Backward of {@link #gatedResidual}, given {@code dOut}, the gradient of the updated residual stream:
     * {@code dy += dOut * gate[f]}, {@code dgate[f] += sum_rows(f) dOut * y}. The gradient of the incoming x is
     * {@code dOut} itself (passes through), so nothing is written for it.
     *
     * @param y the forward branch output
     */
    public final void gatedResidualBackward(Parallel par, float[] y, int yOff, float[] dOut, int dOutOff,
                                            float[] dy, int dyOff, int frames, int tokensPerFrame, int dim,
                                            float[] gate, int gateOff, int modStride, float[] dgate, int dgateOff) {
        String op = "adaLnGatedResidualBackward";
        int rows = checkRows(op, frames, tokensPerFrame, dim);
        long n = (long) rows * dim;
        PointwiseChecks.requireView(op, "y", y, yOff, n, rows, dim);
        PointwiseChecks.requireView(op, "dOut", dOut, dOutOff, n, rows, dim);
        PointwiseChecks.optionalView(op, "dy", dy, dyOff, n, rows, dim);
        PointwiseChecks.requireStrided(op, "gate", gate, gateOff, frames, dim, modStride);
        if (dgate != null) PointwiseChecks.requireStrided(op, "dgate", dgate, dgateOff, frames, dim, modStride);
        if (dy != null) par.forRange(rows, PointwiseChecks.rowGrain(dim), (from, to) -> {
            for (int r = from; r < to; r++)
                mulAddRow(dOut, dOutOff + r * dim, gate, gateOff + (r / tokensPerFrame) * modStride, false,
                        dy, dyOff + r * dim, dim);
        });
        if (dgate != null)
            frameSums(par, dOut, dOutOff, y, yOff, frames, tokensPerFrame, dim, modStride, dgate, dgateOff, null, 0);
    }

    private static int checkRows(String op, int frames, int tokensPerFrame, int dim) {
        if (frames < 0 || tokensPerFrame < 1 || dim < 1)
            throw new longlive.tensor.ShapeException(op + ": frames " + frames + " x tokensPerFrame " + tokensPerFrame
                    + " x dim " + dim + " needs frames >= 0, tokensPerFrame >= 1, dim >= 1");
        long rows = (long) frames * tokensPerFrame;
        if (rows * dim > Integer.MAX_VALUE)
            throw new longlive.tensor.ShapeException(op + ": [" + rows + ", " + dim + "] is larger than a Java array");
        return (int) rows;
    }

    /** Per frame and column: {@code prod[f] += sum a * b}, {@code sum[f] += sum a}; split by column blocks. */
    private void frameSums(Parallel par, float[] a, int aOff, float[] b, int bOff, int frames, int tokensPerFrame,
                           int dim, int modStride, float[] prod, int prodOff, float[] sum, int sumOff) {
        int blocks = (dim + PointwiseChecks.COLUMN_BLOCK - 1) / PointwiseChecks.COLUMN_BLOCK;
        par.forRange(blocks, 1, (b0, b1) -> {
            int c0 = b0 * PointwiseChecks.COLUMN_BLOCK, c1 = Math.min(dim, b1 * PointwiseChecks.COLUMN_BLOCK);
            for (int f = 0; f < frames; f++) {
                int r0 = f * tokensPerFrame;
                frameColumnSums(a, aOff + r0 * dim, b, bOff + r0 * dim, tokensPerFrame, dim, c0, c1,
                        prod, prodOff + f * modStride, sum, sumOff + f * modStride);
            }
        });
    }

    abstract void modulateRow(float[] x, int xo, float[] y, int yo, int dim, float[] shift, int so, float[] scale, int sco);

    /** {@code dst += src * (m + (plusOne ? 1 : 0))} over one row. */
    abstract void mulAddRow(float[] src, int so, float[] m, int mo, boolean plusOne, float[] dst, int dsto, int dim);

    /** Over {@code rows} rows and columns {@code [c0, c1)}: {@code prod[c] += sum a*b}, {@code sum[c] += sum a}. */
    abstract void frameColumnSums(float[] a, int ao, float[] b, int bo, int rows, int dim, int c0, int c1,
                                  float[] prod, int po, float[] sum, int so);

    static final class Scalar extends AdaLn {
        @Override
        void modulateRow(float[] x, int xo, float[] y, int yo, int dim, float[] shift, int so, float[] scale, int sco) {
            for (int i = 0; i < dim; i++) y[yo + i] = x[xo + i] * (1 + scale[sco + i]) + shift[so + i];
        }

        @Override
        void mulAddRow(float[] src, int so, float[] m, int mo, boolean plusOne, float[] dst, int dsto, int dim) {
            float one = plusOne ? 1 : 0;
            for (int i = 0; i < dim; i++) dst[dsto + i] += src[so + i] * (m[mo + i] + one);
        }

        @Override
        void frameColumnSums(float[] a, int ao, float[] b, int bo, int rows, int dim, int c0, int c1,
                             float[] prod, int po, float[] sum, int so) {
            for (int c = c0; c < c1; c++) {
                double sp = 0, ss = 0;
                for (int r = 0; r < rows; r++) {
                    float av = a[ao + r * dim + c];
                    sp += (double) av * b[bo + r * dim + c];
                    ss += av;
                }
                if (prod != null) prod[po + c] += (float) sp;
                if (sum != null) sum[so + c] += (float) ss;
            }
        }
    }

    static final class Vector extends AdaLn {
        @Override
        void modulateRow(float[] x, int xo, float[] y, int yo, int dim, float[] shift, int so, float[] scale, int sco) {
            int L = SPECIES.length(), ub = SPECIES.loopBound(dim), i = 0;
            for (; i < ub; i += L) {
                FloatVector s = FloatVector.fromArray(SPECIES, scale, sco + i).add(1f);
                FloatVector.fromArray(SPECIES, x, xo + i).fma(s, FloatVector.fromArray(SPECIES, shift, so + i))
                        .intoArray(y, yo + i);
            }
            for (; i < dim; i++) y[yo + i] = x[xo + i] * (1 + scale[sco + i]) + shift[so + i];
        }

        @Override
        void mulAddRow(float[] src, int so, float[] m, int mo, boolean plusOne, float[] dst, int dsto, int dim) {
            float one = plusOne ? 1 : 0;
            int L = SPECIES.length(), ub = SPECIES.loopBound(dim), i = 0;
            for (; i < ub; i += L) {
                FloatVector mv = FloatVector.fromArray(SPECIES, m, mo + i).add(one);
                FloatVector.fromArray(SPECIES, src, so + i).fma(mv, FloatVector.fromArray(SPECIES, dst, dsto + i))
                        .intoArray(dst, dsto + i);
            }
            for (; i < dim; i++) dst[dsto + i] += src[so + i] * (m[mo + i] + one);
        }

        @Override
        void frameColumnSums(float[] a, int ao, float[] b, int bo, int rows, int dim, int c0, int c1,
                             float[] prod, int po, float[] sum, int so) {
            int L = SPECIES.length();
            for (int r = 0; r < rows; r++) {
                int ar = ao + r * dim, br = bo + r * dim;
                int c = c0;
                for (; c + L <= c1; c += L) {
                    FloatVector av = FloatVector.fromArray(SPECIES, a, ar + c);
                    if (prod != null)
                        av.fma(FloatVector.fromArray(SPECIES, b, br + c), FloatVector.fromArray(SPECIES, prod, po + c))
                                .intoArray(prod, po + c);
                    if (sum != null) av.add(FloatVector.fromArray(SPECIES, sum, so + c)).intoArray(sum, so + c);
                }
                for (; c < c1; c++) {
                    float av = a[ar + c];
                    if (prod != null) prod[po + c] += av * b[br + c];
                    if (sum != null) sum[so + c] += av;
                }
            }
        }
    }
}
