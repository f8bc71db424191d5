package longlive.kernel;

import static longlive.kernel.PointwiseChecks.SPECIES;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;

/**
 * Small element-wise helpers over {@code n} contiguous floats from an offset: add, accumulate, axpy, scale,
 * multiply, row-broadcast add (bias), copy, zero, sum of squares. Outputs may alias inputs at the same offset.
 *
 * <p>Two implementations: {@link #scalar()} (the reference) and {@link #vector()}.
 */
public abstract sealed class Elementwise permits Elementwise.Scalar, Elementwise.Vector {
    private static final Elementwise SCALAR = new Scalar();
    private static final Elementwise VECTOR = new Vector();

    Elementwise() {}

    public static Elementwise scalar() {
        return SCALAR;
    }

    public static Elementwise vector() {
        return VECTOR;
    }

    /** {@code out = a + b}. */
    public final void add(Parallel par, float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int n) {
        check3("add", n, a, aOff, "a", b, bOff, "b", out, outOff, "out");
        par.forRange(n, PointwiseChecks.flatGrain(), (s, e) -> addRange(a, aOff + s, b, bOff + s, out, outOff + s, e - s));
    }

    /** {@code out = a * b}. */
    public final void mul(Parallel par, float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int n) {
        check3("mul", n, a, aOff, "a", b, bOff, "b", out, outOff, "out");
        par.forRange(n, PointwiseChecks.flatGrain(), (s, e) -> mulRange(a, aOff + s, b, bOff + s, out, outOff + s, e - s));
    }

    /** {@code dst += src} (gradient accumulation, residual add). */
    public final void accumulate(Parallel par, float[] src, int srcOff, float[] dst, int dstOff, int n) {
        axpy(par, 1f, src, srcOff, dst, dstOff, n);
    }

    /** {@code y += alpha * x}. */
    public final void axpy(Parallel par, float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        check2("axpy", n, x, xOff, "x", y, yOff, "y");
        par.forRange(n, PointwiseChecks.flatGrain(), (s, e) -> axpyRange(alpha, x, xOff + s, y, yOff + s, e - s));
    }

    /** {@code y = alpha * x}. */
    public final void scale(Parallel par, float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        check2("scale", n, x, xOff, "x", y, yOff, "y");
        par.forRange(n, PointwiseChecks.flatGrain(), (s, e) -> scaleRange(alpha, x, xOff + s, y, yOff + s, e - s));
    }

    /** {@code x[r] += v} for every row r of {@code x [rows, dim]}; {@code v [dim]} from {@code vOff} (a bias). */
    public final void addRowVector(Parallel par, float[] x, int xOff, int rows, int dim, float[] v, int vOff) {
        String op = "addRowVector";
        PointwiseChecks.requireDims(op, "x", rows, dim);
        PointwiseChecks.requireView(op, "x", x, xOff, (long) rows * dim, rows, dim);
        PointwiseChecks.requireView(op, "v", v, vOff, dim, dim);
        par.forRange(rows, PointwiseChecks.rowGrain(dim), (from, to) -> {
            for (int r = from; r < to; r++) axpyRange(1f, v, vOff, x, xOff + r * dim, dim);
        });
    }

    /** {@code dst[0, n) = src[0, n)}; overlapping ranges behave as if copied through a temporary. */
    public final void copy(float[] src, int srcOff, float[] dst, int dstOff, int n) {
        check2("copy", n, src, srcOff, "src", dst, dstOff, "dst");
        System.arraycopy(src, srcOff, dst, dstOff, n);
    }

    /** {@code x[0, n) = 0}: the explicit zeroing before a backward pass accumulates. */
    public final void zero(float[] x, int xOff, int n) {
        if (n < 0) throw new longlive.tensor.ShapeException("zero: negative element count " + n);
        PointwiseChecks.requireView("zero", "x", x, xOff, n, n);
        Arrays.fill(x, xOff, xOff + n, 0f);
    }

    /** {@code sum x^2} in double over {@code n} elements (for norms and gradient clipping). */
    public final double sumOfSquares(Parallel par, float[] x, int xOff, int n) {
        if (n < 0) throw new longlive.tensor.ShapeException("sumOfSquares: negative element count " + n);
        PointwiseChecks.requireView("sumOfSquares", "x", x, xOff, n, n);
        int parts = Math.max(1, Math.min(par.threads(), n / PointwiseChecks.flatGrain()));
        double[] partial = new double[parts];
        par.forEach(parts, p -> {
            int s = (int) ((long) n * p / parts), e = (int) ((long) n * (p + 1) / parts);
            partial[p] = sumSquaresRange(x, xOff + s, e - s);
        });
        double total = 0;
        for (double v : partial) total += v;
        return total;
    }

    private static void check2(String op, int n, float[] p, int pOff, String pn, float[] q, int qOff, String qn) {
        if (n < 0) throw new longlive.tensor.ShapeException(op + ": negative element count " + n);
        PointwiseChecks.requireView(op, pn, p, pOff, n, n);
        PointwiseChecks.requireView(op, qn, q, qOff, n, n);
    }

    private static void check3(String op, int n, float[] p, int pOff, String pn, float[] q, int qOff, String qn,
                               float[] r, int rOff, String rn) {
        check2(op, n, p, pOff, pn, q, qOff, qn);
        PointwiseChecks.requireView(op, rn, r, rOff, n, n);
    }

    abstract void addRange(float[] a, int ao, float[] b, int bo, float[] out, int oo, int n);

    abstract void mulRange(float[] a, int ao, float[] b, int bo, float[] out, int oo, int n);

    abstract void axpyRange(float alpha, float[] x, int xo, float[] y, int yo, int n);

    abstract void scaleRange(float alpha, float[] x, int xo, float[] y, int yo, int n);

    abstract double sumSquaresRange(float[] x, int xo, int n);

    static final class Scalar extends Elementwise {
        @Override
        void addRange(float[] a, int ao, float[] b, int bo, float[] out, int oo, int n) {
            for (int i = 0; i < n; i++) out[oo + i] = a[ao + i] + b[bo + i];
        }

        @Override
        void mulRange(float[] a, int ao, float[] b, int bo, float[] out, int oo, int n) {
            for (int i = 0; i < n; i++) out[oo + i] = a[ao + i] * b[bo + i];
        }

        @Override
        void axpyRange(float alpha, float[] x, int xo, float[] y, int yo, int n) {
            for (int i = 0; i < n; i++) y[yo + i] += alpha * x[xo + i];
        }

        @Override
        void scaleRange(float alpha, float[] x, int xo, float[] y, int yo, int n) {
            for (int i = 0; i < n; i++) y[yo + i] = alpha * x[xo + i];
        }

        @Override
        double sumSquaresRange(float[] x, int xo, int n) {
            double s = 0;
            for (int i = 0; i < n; i++) s += (double) x[xo + i] * x[xo + i];
            return s;
        }
    }

    static final class Vector extends Elementwise {
        @Override
        void addRange(float[] a, int ao, float[] b, int bo, float[] out, int oo, int n) {
            int L = SPECIES.length(), ub = SPECIES.loopBound(n), i = 0;
            for (; i < ub; i += L)
                FloatVector.fromArray(SPECIES, a, ao + i).add(FloatVector.fromArray(SPECIES, b, bo + i))
                        .intoArray(out, oo + i);
            for (; i < n; i++) out[oo + i] = a[ao + i] + b[bo + i];
        }

        @Override
        void mulRange(float[] a, int ao, float[] b, int bo, float[] out, int oo, int n) {
            int L = SPECIES.length(), ub = SPECIES.loopBound(n), i = 0;
            for (; i < ub; i += L)
                FloatVector.fromArray(SPECIES, a, ao + i).mul(FloatVector.fromArray(SPECIES, b, bo + i))
                        .intoArray(out, oo + i);
            for (; i < n; i++) out[oo + i] = a[ao + i] * b[bo + i];
        }

        @Override
        void axpyRange(float alpha, float[] x, int xo, float[] y, int yo, int n) {
            int L = SPECIES.length(), ub = SPECIES.loopBound(n), i = 0;
            FloatVector va = FloatVector.broadcast(SPECIES, alpha);
            for (; i < ub; i += L)
                FloatVector.fromArray(SPECIES, x, xo + i).fma(va, FloatVector.fromArray(SPECIES, y, yo + i))
                        .intoArray(y, yo + i);
            for (; i < n; i++) y[yo + i] += alpha * x[xo + i];
        }

        @Override
        void scaleRange(float alpha, float[] x, int xo, float[] y, int yo, int n) {
            int L = SPECIES.length(), ub = SPECIES.loopBound(n), i = 0;
            for (; i < ub; i += L) FloatVector.fromArray(SPECIES, x, xo + i).mul(alpha).intoArray(y, yo + i);
            for (; i < n; i++) y[yo + i] = alpha * x[xo + i];
        }

        @Override
        double sumSquaresRange(float[] x, int xo, int n) {
            // float lanes summed over blocks of 4096 elements, blocks summed in double: bounded rounding error
            int L = SPECIES.length();
            double total = 0;
            for (int b = 0; b < n; b += 4096) {
                int len = Math.min(4096, n - b), ub = SPECIES.loopBound(len), i = 0;
                FloatVector acc = FloatVector.zero(SPECIES);
                for (; i < ub; i += L) {
                    FloatVector v = FloatVector.fromArray(SPECIES, x, xo + b + i);
                    acc = v.fma(v, acc);
                }
                double s = VectorMath.sum(acc);
                for (; i < len; i++) s += (double) x[xo + b + i] * x[xo + b + i];
                total += s;
            }
            return total;
        }
    }
}
