package longlive.kernel;

import static longlive.kernel.PointwiseChecks.SPECIES;

import jdk.incubator.vector.FloatVector;

/**
 * Element-wise activations over {@code n} contiguous floats from an offset: GELU with the tanh approximation
 * ({@code nn.GELU(approximate='tanh')}: Wan's text-embedding MLP and FFN, T5's gated FFN), SiLU (Wan's time
 * embedding / projection), and T5's gated product {@code gelu(a) * b} (umT5 {@code T5FeedForward}:
 * {@code gelu(x W0) * (x W1)}).
 *
 * <p>Outputs may alias inputs at the same offset. Backward methods ACCUMULATE (+=) into their gradients and
 * read the forward INPUT (not the output).
 *
 * <p>Two implementations: {@link #scalar()} (the reference, float64 math) and {@link #vector()}.
 */
public abstract sealed class Activations permits Activations.Scalar, Activations.Vector {
    private static final Activations SCALAR = new Scalar();
    private static final Activations VECTOR = new Vector();

    /** sqrt(2 / pi), the tanh-GELU constant. */
    static final double GELU_K = 0.7978845608028654;
    /** The cubic coefficient of the tanh-GELU. */
    static final double GELU_C = 0.044715;

    Activations() {}

    public static Activations scalar() {
        return SCALAR;
    }

    public static Activations vector() {
        return VECTOR;
    }

    /** {@code y = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))}. */
    public final void gelu(Parallel par, float[] x, int xOff, float[] y, int yOff, int n) {
        check("gelu", n, x, xOff, "x", y, yOff, "y");
        par.forRange(n, PointwiseChecks.flatGrain(), (a, b) -> geluRange(x, xOff + a, y, yOff + a, b - a));
    }

    /** {@code dx += dy * gelu'(x)}. */
    public final void geluBackward(Parallel par, float[] x, int xOff, float[] dy, int dyOff, float[] dx, int dxOff, int n) {
        check("geluBackward", n, x, xOff, "x", dy, dyOff, "dy");
        PointwiseChecks.requireView("geluBackward", "dx", dx, dxOff, n, n);
        par.forRange(n, PointwiseChecks.flatGrain(),
                (a, b) -> geluBackwardRange(x, xOff + a, dy, dyOff + a, dx, dxOff + a, b - a));
    }

    /** {@code y = x * sigmoid(x)}. */
    public final void silu(Parallel par, float[] x, int xOff, float[] y, int yOff, int n) {
        check("silu", n, x, xOff, "x", y, yOff, "y");
        par.forRange(n, PointwiseChecks.flatGrain(), (a, b) -> siluRange(x, xOff + a, y, yOff + a, b - a));
    }

    /** {@code dx += dy * s (1 + x (1 - s))}, {@code s = sigmoid(x)}. */
    public final void siluBackward(Parallel par, float[] x, int xOff, float[] dy, int dyOff, float[] dx, int dxOff, int n) {
        check("siluBackward", n, x, xOff, "x", dy, dyOff, "dy");
        PointwiseChecks.requireView("siluBackward", "dx", dx, dxOff, n, n);
        par.forRange(n, PointwiseChecks.flatGrain(),
                (a, b) -> siluBackwardRange(x, xOff + a, dy, dyOff + a, dx, dxOff + a, b - a));
    }

    /** {@code y = gelu(a) * b} (T5 gated FFN); y may alias a or b at the same offset. */
    public final void geluGated(Parallel par, float[] a, int aOff, float[] b, int bOff, float[] y, int yOff, int n) {
        check("geluGated", n, a, aOff, "a", b, bOff, "b");
        PointwiseChecks.requireView("geluGated", "y", y, yOff, n, n);
        par.forRange(n, PointwiseChecks.flatGrain(),
                (s, e) -> geluGatedRange(a, aOff + s, b, bOff + s, y, yOff + s, e - s));
    }

    /** {@code da += dy * b * gelu'(a)}, {@code db += dy * gelu(a)}; da and db are nullable. */
    public final void geluGatedBackward(Parallel par, float[] a, int aOff, float[] b, int bOff, float[] dy, int dyOff,
                                        float[] da, int daOff, float[] db, int dbOff, int n) {
        String op = "geluGatedBackward";
        check(op, n, a, aOff, "a", b, bOff, "b");
        PointwiseChecks.requireView(op, "dy", dy, dyOff, n, n);
        PointwiseChecks.optionalView(op, "da", da, daOff, n, n);
        PointwiseChecks.optionalView(op, "db", db, dbOff, n, n);
        par.forRange(n, PointwiseChecks.flatGrain(), (s, e) ->
                geluGatedBackwardRange(a, aOff + s, b, bOff + s, dy, dyOff + s, da, daOff + s, db, dbOff + s, e - s));
    }

    private static void check(String op, int n, float[] p, int pOff, String pName, float[] q, int qOff, String qName) {
        if (n < 0) throw new longlive.tensor.ShapeException(op + ": negative element count " + n);
        PointwiseChecks.requireView(op, pName, p, pOff, n, n);
        PointwiseChecks.requireView(op, qName, q, qOff, n, n);
    }

    abstract void geluRange(float[] x, int xo, float[] y, int yo, int n);

    abstract void geluBackwardRange(float[] x, int xo, float[] dy, int dyo, float[] dx, int dxo, int n);

    abstract void siluRange(float[] x, int xo, float[] y, int yo, int n);

    abstract void siluBackwardRange(float[] x, int xo, float[] dy, int dyo, float[] dx, int dxo, int n);

    abstract void geluGatedRange(float[] a, int ao, float[] b, int bo, float[] y, int yo, int n);

    abstract void geluGatedBackwardRange(float[] a, int ao, float[] b, int bo, float[] dy, int dyo,
                                         float[] da, int dao, float[] db, int dbo, int n);

    static final class Scalar extends Activations {
        static double gelu(double x) {
            return 0.5 * x * (1 + StrictMath.tanh(GELU_K * (x + GELU_C * x * x * x)));
        }

        static double geluGrad(double x) {
            double t = StrictMath.tanh(GELU_K * (x + GELU_C * x * x * x));
            return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * GELU_K * (1 + 3 * GELU_C * x * x);
        }

        static double sigmoid(double x) {
            return 1 / (1 + StrictMath.exp(-x));
        }

        @Override
        void geluRange(float[] x, int xo, float[] y, int yo, int n) {
            for (int i = 0; i < n; i++) y[yo + i] = (float) gelu(x[xo + i]);
        }

        @Override
        void geluBackwardRange(float[] x, int xo, float[] dy, int dyo, float[] dx, int dxo, int n) {
            for (int i = 0; i < n; i++) dx[dxo + i] += (float) (dy[dyo + i] * geluGrad(x[xo + i]));
        }

        @Override
        void siluRange(float[] x, int xo, float[] y, int yo, int n) {
            for (int i = 0; i < n; i++) y[yo + i] = (float) (x[xo + i] * sigmoid(x[xo + i]));
        }

        @Override
        void siluBackwardRange(float[] x, int xo, float[] dy, int dyo, float[] dx, int dxo, int n) {
            for (int i = 0; i < n; i++) {
                double v = x[xo + i], s = sigmoid(v);
                dx[dxo + i] += (float) (dy[dyo + i] * s * (1 + v * (1 - s)));
            }
        }

        @Override
        void geluGatedRange(float[] a, int ao, float[] b, int bo, float[] y, int yo, int n) {
            for (int i = 0; i < n; i++) y[yo + i] = (float) (gelu(a[ao + i]) * b[bo + i]);
        }

        @Override
        void geluGatedBackwardRange(float[] a, int ao, float[] b, int bo, float[] dy, int dyo,
                                    float[] da, int dao, float[] db, int dbo, int n) {
            for (int i = 0; i < n; i++) {
                double g = dy[dyo + i];
                if (da != null) da[dao + i] += (float) (g * b[bo + i] * geluGrad(a[ao + i]));
                if (db != null) db[dbo + i] += (float) (g * gelu(a[ao + i]));
            }
        }
    }

    static final class Vector extends Activations {
        private static final float K = (float) GELU_K, C = (float) GELU_C;

        /**
         * {@code 0.5 (1 + tanh(u)) = sigmoid(2u)} with {@code u = K (x + C x^3)}: one exp and one division, and
         * no cancellation in {@code 1 + tanh(u)} for very negative x.
         */
        private static FloatVector geluSigmoid(FloatVector x) {
            FloatVector x2 = x.mul(x);
            return VectorMath.sigmoid(x2.mul(C).add(1f).mul(x).mul(2 * K));
        }

        private static FloatVector gelu(FloatVector x) {
            return geluSigmoid(x).mul(x);
        }

        private static FloatVector geluGrad(FloatVector x) {
            FloatVector s = geluSigmoid(x);
            FloatVector x2 = x.mul(x);
            // 0.5 (1 + t) + 0.5 x (1 - t^2) K (1 + 3 C x^2) with t = 2s - 1: s + 2 x s (1 - s) K (1 + 3 C x^2)
            FloatVector inner = x2.mul(3 * C).add(1f).mul(2 * K);
            return s.add(x.mul(s).mul(s.neg().add(1f)).mul(inner));
        }

        private static FloatVector sigmoid(FloatVector x) {
            return VectorMath.sigmoid(x);
        }

        @Override
        void geluRange(float[] x, int xo, float[] y, int yo, int n) {
            int L = SPECIES.length(), ub = SPECIES.loopBound(n), i = 0;
            for (; i < ub; i += L) gelu(FloatVector.fromArray(SPECIES, x, xo + i)).intoArray(y, yo + i);
            for (; i < n; i++) y[yo + i] = (float) Scalar.gelu(x[xo + i]);
        }

        @Override
        void geluBackwardRange(float[] x, int xo, float[] dy, int dyo, float[] dx, int dxo, int n) {
            int L = SPECIES.length(), ub = SPECIES.loopBound(n), i = 0;
            for (; i < ub; i += L) {
                FloatVector g = geluGrad(FloatVector.fromArray(SPECIES, x, xo + i));
                FloatVector.fromArray(SPECIES, dy, dyo + i).fma(g, FloatVector.fromArray(SPECIES, dx, dxo + i))
                        .intoArray(dx, dxo + i);
            }
            for (; i < n; i++) dx[dxo + i] += (float) (dy[dyo + i] * Scalar.geluGrad(x[xo + i]));
        }

        @Override
        void siluRange(float[] x, int xo, float[] y, int yo, int n) {
            int L = SPECIES.length(), ub = SPECIES.loopBound(n), i = 0;
            for (; i < ub; i += L) {
                FloatVector v = FloatVector.fromArray(SPECIES, x, xo + i);
                v.mul(sigmoid(v)).intoArray(y, yo + i);
            }
            for (; i < n; i++) y[yo + i] = (float) (x[xo + i] * Scalar.sigmoid(x[xo + i]));
        }

        @Override
        void siluBackwardRange(float[] x, int xo, float[] dy, int dyo, float[] dx, int dxo, int n) {
            int L = SPECIES.length(), ub = SPECIES.loopBound(n), i = 0;
            for (; i < ub; i += L) {
                FloatVector v = FloatVector.fromArray(SPECIES, x, xo + i);
                FloatVector s = sigmoid(v);
                FloatVector grad = s.mul(v.mul(s.neg().add(1f)).add(1f));
                FloatVector.fromArray(SPECIES, dy, dyo + i).fma(grad, FloatVector.fromArray(SPECIES, dx, dxo + i))
                        .intoArray(dx, dxo + i);
            }
            for (; i < n; i++) {
                double v = x[xo + i], s = Scalar.sigmoid(v);
                dx[dxo + i] += (float) (dy[dyo + i] * s * (1 + v * (1 - s)));
            }
        }

        @Override
        void geluGatedRange(float[] a, int ao, float[] b, int bo, float[] y, int yo, int n) {
            int L = SPECIES.length(), ub = SPECIES.loopBound(n), i = 0;
            for (; i < ub; i += L)
                gelu(FloatVector.fromArray(SPECIES, a, ao + i)).mul(FloatVector.fromArray(SPECIES, b, bo + i))
                        .intoArray(y, yo + i);
            for (; i < n; i++) y[yo + i] = (float) (Scalar.gelu(a[ao + i]) * b[bo + i]);
        }

        @Override
        void geluGatedBackwardRange(float[] a, int ao, float[] b, int bo, float[] dy, int dyo,
                                    float[] da, int dao, float[] db, int dbo, int n) {
            int L = SPECIES.length(), ub = SPECIES.loopBound(n), i = 0;
            for (; i < ub; i += L) {
                FloatVector av = FloatVector.fromArray(SPECIES, a, ao + i);
                FloatVector g = FloatVector.fromArray(SPECIES, dy, dyo + i);
                if (da != null) {
                    FloatVector gb = g.mul(FloatVector.fromArray(SPECIES, b, bo + i));
                    gb.fma(geluGrad(av), FloatVector.fromArray(SPECIES, da, dao + i)).intoArray(da, dao + i);
                }
                if (db != null)
                    g.fma(gelu(av), FloatVector.fromArray(SPECIES, db, dbo + i)).intoArray(db, dbo + i);
            }
            for (; i < n; i++) {
                double g = dy[dyo + i];
                if (da != null) da[dao + i] += (float) (g * b[bo + i] * Scalar.geluGrad(a[ao + i]));
                if (db != null) db[dbo + i] += (float) (g * Scalar.gelu(a[ao + i]));
            }
        }
    }
}
