package longlive.kernel;

import static longlive.kernel.PointwiseChecks.SPECIES;

import jdk.incubator.vector.FloatVector;

/**
 * RMSNorm over the last dimension: {@code y = x * rsqrt(mean(x^2) + eps) * weight}. The form of Wan's
 * {@code WanRMSNorm} (q/k norm over the FULL model dim before the head split, float32) and of T5's layer norm.
 *
 * <p>Layout: {@code x, y, dy, dx [rows, dim]} row-major from an element offset; {@code weight [dim]}; the saved
 * per-row {@code rstd [rows]} from {@code statOff}. Backward ACCUMULATES into dx and dweight; each may be null.
 *
 * <p>Two implementations: {@link #scalar()} (the reference, double accumulators) and {@link #vector()}.
 */
public abstract sealed class RmsNorm permits RmsNorm.Scalar, RmsNorm.Vector {
    private static final RmsNorm SCALAR = new Scalar();
    private static final RmsNorm VECTOR = new Vector();

    RmsNorm() {}

    public static RmsNorm scalar() {
        return SCALAR;
    }

    public static RmsNorm vector() {
        return VECTOR;
    }

    /**
     * {@code y = x * rstd * weight}, {@code rstd = 1 / sqrt(mean(x^2) + eps)} per row.
     *
     * @param y      may be {@code x} at the same offset (in place)
     * @param weight {@code [dim]}, or null for none
     * @param rstd   {@code [rows]} from {@code statOff}, written when not null (backward needs it)
     */
    public final void forward(Parallel par, float[] x, int xOff, float[] y, int yOff, int rows, int dim,
                              float[] weight, float eps, float[] rstd, int statOff) {
        String op = "rmsNorm";
        PointwiseChecks.requireDims(op, "x", rows, dim);
        long n = (long) rows * dim;
        PointwiseChecks.requireView(op, "x", x, xOff, n, rows, dim);
        PointwiseChecks.requireView(op, "y", y, yOff, n, rows, dim);
        PointwiseChecks.optionalView(op, "weight", weight, 0, dim, dim);
        PointwiseChecks.optionalView(op, "rstd", rstd, statOff, rows, rows);
        if (!(eps >= 0)) throw new IllegalArgumentException(op + ": eps must be >= 0, got " + eps);
        par.forRange(rows, PointwiseChecks.rowGrain(dim), (from, to) -> {
            for (int r = from; r < to; r++) {
                float rs = forwardRow(x, xOff + r * dim, y, yOff + r * dim, dim, weight, eps);
                if (rstd != null) rstd[statOff + r] = rs;
            }
        });
    }

    /**
     * Backward of {@link #forward}: with {@code xhat = x * rstd}, {@code g = dy * weight}:
     * {@code dx += rstd * (g - xhat * mean(g * xhat))}, {@code dweight += sum_rows dy * xhat}.
     *
     * @param x       the forward input
     * @param weight  the forward weight, or null when there was none
     * @param dx      nullable
     * @param dweight nullable, {@code [dim]}
     */
    public final void backward(Parallel par, float[] x, int xOff, float[] dy, int dyOff, float[] dx, int dxOff,
                               int rows, int dim, float[] weight, float[] rstd, int statOff, float[] dweight) {
        String op = "rmsNormBackward";
        PointwiseChecks.requireDims(op, "x", rows, dim);
        long n = (long) rows * dim;
        PointwiseChecks.requireView(op, "x", x, xOff, n, rows, dim);
        PointwiseChecks.requireView(op, "dy", dy, dyOff, n, rows, dim);
        PointwiseChecks.optionalView(op, "dx", dx, dxOff, n, rows, dim);
        PointwiseChecks.optionalView(op, "weight", weight, 0, dim, dim);
        PointwiseChecks.requireView(op, "rstd", rstd, statOff, rows, rows);
        PointwiseChecks.optionalView(op, "dweight", dweight, 0, dim, dim);
        if (dx != null) par.forRange(rows, PointwiseChecks.rowGrain(dim), (from, to) -> {
            for (int r = from; r < to; r++)
                backwardRow(x, xOff + r * dim, dy, dyOff + r * dim, dx, dxOff + r * dim, dim, weight, rstd[statOff + r]);
        });
        if (dweight != null) {
            // split by column blocks so each task owns its gradient columns (no races, no partial buffers)
            int blocks = (dim + PointwiseChecks.COLUMN_BLOCK - 1) / PointwiseChecks.COLUMN_BLOCK;
            par.forRange(blocks, 1, (b0, b1) -> weightGrad(x, xOff, dy, dyOff, rows, dim,
                    b0 * PointwiseChecks.COLUMN_BLOCK, Math.min(dim, b1 * PointwiseChecks.COLUMN_BLOCK),
                    rstd, statOff, dweight));
        }
    }

    /** Normalizes one row and returns its rstd. */
    abstract float forwardRow(float[] x, int xo, float[] y, int yo, int dim, float[] w, float eps);

    abstract void backwardRow(float[] x, int xo, float[] dy, int dyo, float[] dx, int dxo, int dim, float[] w, float rs);

    abstract void weightGrad(float[] x, int xOff, float[] dy, int dyOff, int rows, int dim, int c0, int c1,
                             float[] rstd, int statOff, float[] dw);

    static final class Scalar extends RmsNorm {
        @Override
        float forwardRow(float[] x, int xo, float[] y, int yo, int dim, float[] w, float eps) {
            double ss = 0;
            for (int i = 0; i < dim; i++) ss += (double) x[xo + i] * x[xo + i];
            float rs = (float) (1.0 / Math.sqrt(ss / dim + eps));
            for (int i = 0; i < dim; i++) {
                float v = x[xo + i] * rs;
                y[yo + i] = w == null ? v : v * w[i];
            }
            return rs;
        }

        @Override
        void backwardRow(float[] x, int xo, float[] dy, int dyo, float[] dx, int dxo, int dim, float[] w, float rs) {
            double sumGx = 0;
            for (int i = 0; i < dim; i++) {
                double g = w == null ? dy[dyo + i] : (double) dy[dyo + i] * w[i];
                sumGx += g * (x[xo + i] * rs);
            }
            float meanGx = (float) (sumGx / dim);
            for (int i = 0; i < dim; i++) {
                float g = w == null ? dy[dyo + i] : dy[dyo + i] * w[i];
                dx[dxo + i] += rs * (g - x[xo + i] * rs * meanGx);
            }
        }

        @Override
        void weightGrad(float[] x, int xOff, float[] dy, int dyOff, int rows, int dim, int c0, int c1,
                        float[] rstd, int statOff, float[] dw) {
            for (int c = c0; c < c1; c++) {
                double s = 0;
                for (int r = 0; r < rows; r++) s += dy[dyOff + r * dim + c] * (x[xOff + r * dim + c] * rstd[statOff + r]);
                dw[c] += (float) s;
            }
        }
    }

    static final class Vector extends RmsNorm {
        @Override
        float forwardRow(float[] x, int xo, float[] y, int yo, int dim, float[] w, float eps) {
            int L = SPECIES.length(), ub = SPECIES.loopBound(dim);
            FloatVector acc = FloatVector.zero(SPECIES);
            int i = 0;
            for (; i < ub; i += L) {
                FloatVector v = FloatVector.fromArray(SPECIES, x, xo + i);
                acc = v.fma(v, acc);
            }
            float ss = VectorMath.sum(acc);
            for (; i < dim; i++) ss += x[xo + i] * x[xo + i];
            float rs = (float) (1.0 / Math.sqrt((double) ss / dim + eps));
            for (i = 0; i < ub; i += L) {
                FloatVector v = FloatVector.fromArray(SPECIES, x, xo + i).mul(rs);
                if (w != null) v = v.mul(FloatVector.fromArray(SPECIES, w, i));
                v.intoArray(y, yo + i);
            }
            for (; i < dim; i++) {
                float v = x[xo + i] * rs;
                y[yo + i] = w == null ? v : v * w[i];
            }
            return rs;
        }

        @Override
        void backwardRow(float[] x, int xo, float[] dy, int dyo, float[] dx, int dxo, int dim, float[] w, float rs) {
            int L = SPECIES.length(), ub = SPECIES.loopBound(dim);
            FloatVector acc = FloatVector.zero(SPECIES);
            int i = 0;
            for (; i < ub; i += L) {
                FloatVector g = FloatVector.fromArray(SPECIES, dy, dyo + i);
                if (w != null) g = g.mul(FloatVector.fromArray(SPECIES, w, i));
                acc = g.fma(FloatVector.fromArray(SPECIES, x, xo + i).mul(rs), acc);
            }
            float sumGx = VectorMath.sum(acc);
            for (; i < dim; i++) {
                float g = w == null ? dy[dyo + i] : dy[dyo + i] * w[i];
                sumGx += g * (x[xo + i] * rs);
            }
            float meanGx = sumGx / dim;
            for (i = 0; i < ub; i += L) {
                FloatVector g = FloatVector.fromArray(SPECIES, dy, dyo + i);
                if (w != null) g = g.mul(FloatVector.fromArray(SPECIES, w, i));
                FloatVector xhat = FloatVector.fromArray(SPECIES, x, xo + i).mul(rs);
                FloatVector d = g.sub(xhat.mul(meanGx)).mul(rs);
                FloatVector.fromArray(SPECIES, dx, dxo + i).add(d).intoArray(dx, dxo + i);
            }
            for (; i < dim; i++) {
                float g = w == null ? dy[dyo + i] : dy[dyo + i] * w[i];
                dx[dxo + i] += rs * (g - x[xo + i] * rs * meanGx);
            }
        }

        @Override
        void weightGrad(float[] x, int xOff, float[] dy, int dyOff, int rows, int dim, int c0, int c1,
                        float[] rstd, int statOff, float[] dw) {
            int L = SPECIES.length(), width = c1 - c0;
            // chunked row sums bound the float rounding error (see LayerNorm.Vector.paramGrad)
            float[] sw = new float[width];
            for (int r0 = 0; r0 < rows; r0 += PointwiseChecks.ROW_CHUNK) {
                int r1 = Math.min(rows, r0 + PointwiseChecks.ROW_CHUNK);
                java.util.Arrays.fill(sw, 0f);
                for (int r = r0; r < r1; r++) {
                    float rs = rstd[statOff + r];
                    int xr = xOff + r * dim + c0, dr = dyOff + r * dim + c0;
                    int c = 0;
                    for (; c + L <= width; c += L) {
                        FloatVector xhat = FloatVector.fromArray(SPECIES, x, xr + c).mul(rs);
                        FloatVector.fromArray(SPECIES, dy, dr + c).fma(xhat, FloatVector.fromArray(SPECIES, sw, c))
                                .intoArray(sw, c);
                    }
                    for (; c < width; c++) sw[c] += dy[dr + c] * (x[xr + c] * rs);
                }
                for (int c = 0; c < width; c++) dw[c0 + c] += sw[c];
            }
        }
    }
}
