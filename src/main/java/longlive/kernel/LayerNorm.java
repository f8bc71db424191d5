package longlive.kernel;

import static longlive.kernel.PointwiseChecks.SPECIES;

import jdk.incubator.vector.FloatVector;

/**
 * LayerNorm over the last dimension, as {@code torch.nn.LayerNorm} (biased variance, eps inside the square root),
 * with an optional affine weight and bias. Mirrors Wan's {@code WanLayerNorm}: norm1/norm2 and the head norm
 * have no affine, norm3 (cross_attn_norm) has one; all eps 1e-6, computed in float32.
 *
 * <p>Layout: {@code x, y, dy, dx [rows, dim]} row-major from an element offset; {@code weight, bias [dim]};
 * the per-row statistics {@code mean, rstd [rows]} from {@code statOff}. Backward ACCUMULATES into dx, dweight,
 * dbias; each may be null (not wanted).
 *
 * <p>Two implementations: {@link #scalar()} (plain loops, double accumulators: the reference) and
 * {@link #vector()} (Vector API).
 */
public abstract sealed class LayerNorm permits LayerNorm.Scalar, LayerNorm.Vector {
    private static final LayerNorm SCALAR = new Scalar();
    private static final LayerNorm VECTOR = new Vector();

    LayerNorm() {}

    /** The reference implementation. */
    public static LayerNorm scalar() {
        return SCALAR;
    }

    /** The Vector API implementation. */
    public static LayerNorm vector() {
        return VECTOR;
    }

    /**
     * {@code y = (x - mean) * rstd * weight + bias} for every row, {@code rstd = 1 / sqrt(var + eps)}.
     *
     * @param y      may be {@code x} at the same offset (in place; backward then needs a copy of x)
     * @param weight {@code [dim]}, or null for no affine scale
     * @param bias   {@code [dim]}, or null for no affine shift
     * @param mean   {@code [rows]} from {@code statOff}: written when not null (backward needs it)
     * @param rstd   {@code [rows]} from {@code statOff}: written when not null (backward needs it)
     */
    public final void forward(Parallel par, float[] x, int xOff, float[] y, int yOff, int rows, int dim,
                              float[] weight, float[] bias, float eps, float[] mean, float[] rstd, int statOff) {
        String op = "layerNorm";
        PointwiseChecks.requireDims(op, "x", rows, dim);
        long n = (long) rows * dim;
        PointwiseChecks.requireView(op, "x", x, xOff, n, rows, dim);
        PointwiseChecks.requireView(op, "y", y, yOff, n, rows, dim);
        PointwiseChecks.optionalView(op, "weight", weight, 0, dim, dim);
        PointwiseChecks.optionalView(op, "bias", bias, 0, dim, dim);
        PointwiseChecks.optionalView(op, "mean", mean, statOff, rows, rows);
        PointwiseChecks.optionalView(op, "rstd", rstd, statOff, rows, rows);
        if ((mean == null) != (rstd == null))
            throw new IllegalArgumentException(op + ": pass both mean and rstd, or neither");
        if (!(eps >= 0)) throw new IllegalArgumentException(op + ": eps must be >= 0, got " + eps);
        par.forRange(rows, PointwiseChecks.rowGrain(dim), (from, to) -> {
            for (int r = from; r < to; r++)
                forwardRow(x, xOff + r * dim, y, yOff + r * dim, dim, weight, bias, eps, mean, rstd, statOff + r);
        });
    }

    /**
     * Backward of {@link #forward}, from the saved {@code mean} and {@code rstd}:
     * {@code dx += rstd * (g - mean(g) - xhat * mean(g * xhat))} with {@code g = dy * weight},
     * {@code dweight += sum_rows dy * xhat}, {@code dbias += sum_rows dy}.
     *
     * @param x       the forward input {@code [rows, dim]}
     * @param weight  the forward weight, or null when there was none
     * @param dx      nullable
     * @param dweight nullable, {@code [dim]}
     * @param dbias   nullable, {@code [dim]}
     */
    public final void backward(Parallel par, float[] x, int xOff, float[] dy, int dyOff, float[] dx, int dxOff,
                               int rows, int dim, float[] weight, float[] mean, float[] rstd, int statOff,
                               float[] dweight, float[] dbias) {
        String op = "layerNormBackward";
        PointwiseChecks.requireDims(op, "x", rows, dim);
        long n = (long) rows * dim;
        PointwiseChecks.requireView(op, "x", x, xOff, n, rows, dim);
        PointwiseChecks.requireView(op, "dy", dy, dyOff, n, rows, dim);
        PointwiseChecks.optionalView(op, "dx", dx, dxOff, n, rows, dim);
        PointwiseChecks.optionalView(op, "weight", weight, 0, dim, dim);
        PointwiseChecks.requireView(op, "mean", mean, statOff, rows, rows);
        PointwiseChecks.requireView(op, "rstd", rstd, statOff, rows, rows);
        PointwiseChecks.optionalView(op, "dweight", dweight, 0, dim, dim);
        PointwiseChecks.optionalView(op, "dbias", dbias, 0, dim, dim);
        if (dx != null) par.forRange(rows, PointwiseChecks.rowGrain(dim), (from, to) -> {
            for (int r = from; r < to; r++)
                backwardRow(x, xOff + r * dim, dy, dyOff + r * dim, dx, dxOff + r * dim, dim, weight,
                        mean[statOff + r], rstd[statOff + r]);
        });
        if (dweight != null || dbias != null) {
            // Reduced over rows, split by column blocks: each task owns its columns, so no two threads add into
            // the same gradient element and no per-thread partial buffers are needed.
            int blocks = (dim + PointwiseChecks.COLUMN_BLOCK - 1) / PointwiseChecks.COLUMN_BLOCK;
            par.forRange(blocks, 1, (b0, b1) -> paramGrad(x, xOff, dy, dyOff, rows, dim,
                    b0 * PointwiseChecks.COLUMN_BLOCK, Math.min(dim, b1 * PointwiseChecks.COLUMN_BLOCK),
                    mean, rstd, statOff, dweight, dbias));
        }
    }

    abstract void forwardRow(float[] x, int xo, float[] y, int yo, int dim, float[] w, float[] b, float eps,
                             float[] mean, float[] rstd, int si);

    abstract void backwardRow(float[] x, int xo, float[] dy, int dyo, float[] dx, int dxo, int dim, float[] w,
                              float m, float rs);

    /** dweight/dbias for columns {@code [c0, c1)}, summed over all rows. */
    abstract void paramGrad(float[] x, int xOff, float[] dy, int dyOff, int rows, int dim, int c0, int c1,
                            float[] mean, float[] rstd, int statOff, float[] dw, float[] db);

    static final class Scalar extends LayerNorm {
        @Override
        void forwardRow(float[] x, int xo, float[] y, int yo, int dim, float[] w, float[] b, float eps,
                        float[] mean, float[] rstd, int si) {
            double sum = 0;
            for (int i = 0; i < dim; i++) sum += x[xo + i];
            double mu = sum / dim;
            double var = 0;
            for (int i = 0; i < dim; i++) {
                double d = x[xo + i] - mu;
                var += d * d;
            }
            float m = (float) mu;
            float rs = (float) (1.0 / Math.sqrt(var / dim + eps));
            for (int i = 0; i < dim; i++) {
                float v = (x[xo + i] - m) * rs;
                if (w != null) v *= w[i];
                if (b != null) v += b[i];
                y[yo + i] = v;
            }
            if (mean != null) {
                mean[si] = m;
                rstd[si] = rs;
            }
        }

        @Override
        void backwardRow(float[] x, int xo, float[] dy, int dyo, float[] dx, int dxo, int dim, float[] w,
                         float m, float rs) {
            double sumG = 0, sumGx = 0;
            for (int i = 0; i < dim; i++) {
                double g = w == null ? dy[dyo + i] : (double) dy[dyo + i] * w[i];
                sumG += g;
                sumGx += g * ((x[xo + i] - m) * rs);
            }
            float meanG = (float) (sumG / dim), meanGx = (float) (sumGx / dim);
            for (int i = 0; i < dim; i++) {
                float g = w == null ? dy[dyo + i] : dy[dyo + i] * w[i];
                float xhat = (x[xo + i] - m) * rs;
                dx[dxo + i] += rs * (g - meanG - xhat * meanGx);
            }
        }

        @Override
        void paramGrad(float[] x, int xOff, float[] dy, int dyOff, int rows, int dim, int c0, int c1,
                       float[] mean, float[] rstd, int statOff, float[] dw, float[] db) {
            for (int c = c0; c < c1; c++) {
                double sw = 0, sb = 0;
                for (int r = 0; r < rows; r++) {
                    float g = dy[dyOff + r * dim + c];
                    sw += g * ((x[xOff + r * dim + c] - mean[statOff + r]) * rstd[statOff + r]);
                    sb += g;
                }
                if (dw != null) dw[c] += (float) sw;
                if (db != null) db[c] += (float) sb;
            }
        }
    }

    static final class Vector extends LayerNorm {
        @Override
        void forwardRow(float[] x, int xo, float[] y, int yo, int dim, float[] w, float[] b, float eps,
                        float[] mean, float[] rstd, int si) {
            int L = SPECIES.length(), ub = SPECIES.loopBound(dim);
            FloatVector acc = FloatVector.zero(SPECIES);
            int i = 0;
            for (; i < ub; i += L) acc = acc.add(FloatVector.fromArray(SPECIES, x, xo + i));
            float sum = VectorMath.sum(acc);
            for (; i < dim; i++) sum += x[xo + i];
            float m = sum / dim;
            // Two passes (mean, then squared deviations) rather than E[x^2] - mean^2: no cancellation.
            acc = FloatVector.zero(SPECIES);
            for (i = 0; i < ub; i += L) {
                FloatVector d = FloatVector.fromArray(SPECIES, x, xo + i).sub(m);
                acc = d.fma(d, acc);
            }
            float var = VectorMath.sum(acc);
            for (; i < dim; i++) {
                float d = x[xo + i] - m;
                var += d * d;
            }
            float rs = (float) (1.0 / Math.sqrt((double) var / dim + eps));
            for (i = 0; i < ub; i += L) {
                FloatVector v = FloatVector.fromArray(SPECIES, x, xo + i).sub(m).mul(rs);
                if (w != null) v = v.mul(FloatVector.fromArray(SPECIES, w, i));
                if (b != null) v = v.add(FloatVector.fromArray(SPECIES, b, i));
                v.intoArray(y, yo + i);
            }
            for (; i < dim; i++) {
                float v = (x[xo + i] - m) * rs;
                if (w != null) v *= w[i];
                if (b != null) v += b[i];
                y[yo + i] = v;
            }
            if (mean != null) {
                mean[si] = m;
                rstd[si] = rs;
            }
        }

        @Override
        void backwardRow(float[] x, int xo, float[] dy, int dyo, float[] dx, int dxo, int dim, float[] w,
                         float m, float rs) {
            int L = SPECIES.length(), ub = SPECIES.loopBound(dim);
            FloatVector accG = FloatVector.zero(SPECIES), accGx = FloatVector.zero(SPECIES);
            int i = 0;
            for (; i < ub; i += L) {
                FloatVector g = FloatVector.fromArray(SPECIES, dy, dyo + i);
                if (w != null) g = g.mul(FloatVector.fromArray(SPECIES, w, i));
                FloatVector xhat = FloatVector.fromArray(SPECIES, x, xo + i).sub(m).mul(rs);
                accG = accG.add(g);
                accGx = g.fma(xhat, accGx);
            }
            float sumG = VectorMath.sum(accG), sumGx = VectorMath.sum(accGx);
            for (; i < dim; i++) {
                float g = w == null ? dy[dyo + i] : dy[dyo + i] * w[i];
                sumG += g;
                sumGx += g * ((x[xo + i] - m) * rs);
            }
            float meanG = sumG / dim, meanGx = sumGx / dim;
            for (i = 0; i < ub; i += L) {
                FloatVector g = FloatVector.fromArray(SPECIES, dy, dyo + i);
                if (w != null) g = g.mul(FloatVector.fromArray(SPECIES, w, i));
                FloatVector xhat = FloatVector.fromArray(SPECIES, x, xo + i).sub(m).mul(rs);
                FloatVector d = g.sub(meanG).sub(xhat.mul(meanGx)).mul(rs);
                FloatVector.fromArray(SPECIES, dx, dxo + i).add(d).intoArray(dx, dxo + i);
            }
            for (; i < dim; i++) {
                float g = w == null ? dy[dyo + i] : dy[dyo + i] * w[i];
                float xhat = (x[xo + i] - m) * rs;
                dx[dxo + i] += rs * (g - meanG - xhat * meanGx);
            }
        }

        @Override
        void paramGrad(float[] x, int xOff, float[] dy, int dyOff, int rows, int dim, int c0, int c1,
                       float[] mean, float[] rstd, int statOff, float[] dw, float[] db) {
            int L = SPECIES.length(), width = c1 - c0;
            // Rows are summed in chunks into float scratch, then each chunk's sum is added to the gradient: the
            // float rounding error grows with the chunk length plus the chunk count, not with all rows at once.
            float[] sw = new float[width], sb = new float[width];
            for (int r0 = 0; r0 < rows; r0 += PointwiseChecks.ROW_CHUNK) {
                int r1 = Math.min(rows, r0 + PointwiseChecks.ROW_CHUNK);
                java.util.Arrays.fill(sw, 0f);
                java.util.Arrays.fill(sb, 0f);
                for (int r = r0; r < r1; r++) {
                    float m = mean[statOff + r], rs = rstd[statOff + r];
                    int xr = xOff + r * dim + c0, dr = dyOff + r * dim + c0;
                    int c = 0;
                    for (; c + L <= width; c += L) {
                        FloatVector g = FloatVector.fromArray(SPECIES, dy, dr + c);
                        FloatVector xhat = FloatVector.fromArray(SPECIES, x, xr + c).sub(m).mul(rs);
                        g.fma(xhat, FloatVector.fromArray(SPECIES, sw, c)).intoArray(sw, c);
                        g.add(FloatVector.fromArray(SPECIES, sb, c)).intoArray(sb, c);
                    }
                    for (; c < width; c++) {
                        float g = dy[dr + c];
                        sw[c] += g * ((x[xr + c] - m) * rs);
                        sb[c] += g;
                    }
                }
                for (int c = 0; c < width; c++) {
                    if (dw != null) dw[c0 + c] += sw[c];
                    if (db != null) db[c0 + c] += sb[c];
                }
            }
        }
    }
}
