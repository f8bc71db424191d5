package longlive.kernel;

import static longlive.kernel.PointwiseChecks.SPECIES;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Softmax over the last dimension of {@code [rows, dim]}, max-subtracted for stability. (The attention kernel has
 * its own fused online softmax; this one serves everything else.)
 *
 * <p>Backward reads the forward OUTPUT y and ACCUMULATES: {@code dx += y * (dy - sum(dy * y))}.
 *
 * <p>Two implementations: {@link #scalar()} (the reference, float64 math) and {@link #vector()}.
 */
public abstract sealed class Softmax permits Softmax.Scalar, Softmax.Vector {
    private static final Softmax SCALAR = new Scalar();
    private static final Softmax VECTOR = new Vector();

    Softmax() {}

    public static Softmax scalar() {
        return SCALAR;
    }

    public static Softmax vector() {
        return VECTOR;
    }

    /** @param y may be {@code x} at the same offset (in place) */
    public final void forward(Parallel par, float[] x, int xOff, float[] y, int yOff, int rows, int dim) {
        String op = "softmax";
        PointwiseChecks.requireDims(op, "x", rows, dim);
        long n = (long) rows * dim;
        PointwiseChecks.requireView(op, "x", x, xOff, n, rows, dim);
        PointwiseChecks.requireView(op, "y", y, yOff, n, rows, dim);
        par.forRange(rows, PointwiseChecks.rowGrain(dim), (from, to) -> {
            for (int r = from; r < to; r++) forwardRow(x, xOff + r * dim, y, yOff + r * dim, dim);
        });
    }

    /** @param y the forward output; dx must not overlap y or dy */
    public final void backward(Parallel par, float[] y, int yOff, float[] dy, int dyOff, float[] dx, int dxOff,
                               int rows, int dim) {
        String op = "softmaxBackward";
        PointwiseChecks.requireDims(op, "y", rows, dim);
        long n = (long) rows * dim;
        PointwiseChecks.requireView(op, "y", y, yOff, n, rows, dim);
        PointwiseChecks.requireView(op, "dy", dy, dyOff, n, rows, dim);
        PointwiseChecks.requireView(op, "dx", dx, dxOff, n, rows, dim);
        par.forRange(rows, PointwiseChecks.rowGrain(dim), (from, to) -> {
            for (int r = from; r < to; r++) backwardRow(y, yOff + r * dim, dy, dyOff + r * dim, dx, dxOff + r * dim, dim);
        });
    }

    abstract void forwardRow(float[] x, int xo, float[] y, int yo, int dim);

    abstract void backwardRow(float[] y, int yo, float[] dy, int dyo, float[] dx, int dxo, int dim);

    static final class Scalar extends Softmax {
        @Override
        void forwardRow(float[] x, int xo, float[] y, int yo, int dim) {
            float max = Float.NEGATIVE_INFINITY;
            for (int i = 0; i < dim; i++) max = Math.max(max, x[xo + i]);
            double sum = 0;
            for (int i = 0; i < dim; i++) {
                float e = (float) Math.exp(x[xo + i] - max);
                y[yo + i] = e;
                sum += e;
            }
            float inv = (float) (1 / sum);
            for (int i = 0; i < dim; i++) y[yo + i] *= inv;
        }

        @Override
        void backwardRow(float[] y, int yo, float[] dy, int dyo, float[] dx, int dxo, int dim) {
            double dot = 0;
            for (int i = 0; i < dim; i++) dot += (double) dy[dyo + i] * y[yo + i];
            float d = (float) dot;
            for (int i = 0; i < dim; i++) dx[dxo + i] += y[yo + i] * (dy[dyo + i] - d);
        }
    }

    static final class Vector extends Softmax {
        @Override
        void forwardRow(float[] x, int xo, float[] y, int yo, int dim) {
            int L = SPECIES.length(), ub = SPECIES.loopBound(dim), i = 0;
            FloatVector vmax = FloatVector.broadcast(SPECIES, Float.NEGATIVE_INFINITY);
            for (; i < ub; i += L) vmax = vmax.max(FloatVector.fromArray(SPECIES, x, xo + i));
            float max = vmax.reduceLanes(VectorOperators.MAX);
            for (; i < dim; i++) max = Math.max(max, x[xo + i]);
            FloatVector acc = FloatVector.zero(SPECIES);
            for (i = 0; i < ub; i += L) {
                FloatVector e = VectorMath.exp(FloatVector.fromArray(SPECIES, x, xo + i).sub(max));
                e.intoArray(y, yo + i);
                acc = acc.add(e);
            }
            float sum = VectorMath.sum(acc);
            for (; i < dim; i++) {
                float e = VectorMath.exp(x[xo + i] - max);
                y[yo + i] = e;
                sum += e;
            }
            float inv = 1 / sum;
            for (i = 0; i < ub; i += L) FloatVector.fromArray(SPECIES, y, yo + i).mul(inv).intoArray(y, yo + i);
            for (; i < dim; i++) y[yo + i] *= inv;
        }

        @Override
        void backwardRow(float[] y, int yo, float[] dy, int dyo, float[] dx, int dxo, int dim) {
            int L = SPECIES.length(), ub = SPECIES.loopBound(dim), i = 0;
            FloatVector acc = FloatVector.zero(SPECIES);
            for (; i < ub; i += L)
                acc = FloatVector.fromArray(SPECIES, dy, dyo + i).fma(FloatVector.fromArray(SPECIES, y, yo + i), acc);
            float d = VectorMath.sum(acc);
            for (; i < dim; i++) d += dy[dyo + i] * y[yo + i];
            for (i = 0; i < ub; i += L) {
                FloatVector yv = FloatVector.fromArray(SPECIES, y, yo + i);
                FloatVector g = FloatVector.fromArray(SPECIES, dy, dyo + i).sub(d);
                yv.fma(g, FloatVector.fromArray(SPECIES, dx, dxo + i)).intoArray(dx, dxo + i);
            }
            for (; i < dim; i++) dx[dxo + i] += y[yo + i] * (dy[dyo + i] - d);
        }
    }
}
