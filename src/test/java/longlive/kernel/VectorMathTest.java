package longlive.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import java.util.function.DoubleUnaryOperator;
import java.util.function.UnaryOperator;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;

/** {@link VectorMath} against {@link Math} (accuracy) and against its own scalar twins (bit equality). */
class VectorMathTest {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    /** Arguments: a dense sweep of [lo, hi], random values in it, and values near the given points. */
    private static float[] sample(float lo, float hi, float... near) {
        SplittableRandom rnd = new SplittableRandom(5);
        int sweep = 200_000, random = 100_000;
        float[] x = new float[sweep + random + near.length * 41];
        int n = 0;
        for (int i = 0; i < sweep; i++) x[n++] = lo + (hi - lo) * i / (sweep - 1);
        for (int i = 0; i < random; i++) x[n++] = (float) (lo + (hi - lo) * rnd.nextDouble());
        for (float p : near) {
            float f = p;
            for (int i = 0; i < 20; i++) f = Math.nextDown(f);
            for (int i = 0; i < 41; i++, f = Math.nextUp(f)) x[n++] = f;
        }
        return x;
    }

    /** Largest error in ulps of the correctly rounded float result (subnormal results: in units of MIN_VALUE). */
    private static double maxUlpError(float[] xs, UnaryOperator<Float> f, DoubleUnaryOperator ref) {
        double worst = 0;
        for (float x : xs) {
            double exact = ref.applyAsDouble(x);
            float got = f.apply(x);
            if (Float.isInfinite((float) exact) || Double.isNaN(exact)) {
                assertEquals(Float.floatToIntBits((float) exact), Float.floatToIntBits(got), "x=" + x);
                continue;
            }
            double err = Math.abs(got - exact) / Math.ulp((float) exact);
            assertTrue(err <= 8, "x=" + x + " got " + got + " want " + exact);
            worst = Math.max(worst, err);
        }
        return worst;
    }

    @Test
    void expWithin2UlpOverFloatRange() {
        float[] xs = sample(-104f, 89f, 0f, -87.3f, -103.3f, 88.7228f, 1f, -1f, 0.3466f, -0.3466f);
        double worst = maxUlpError(xs, VectorMath::exp, Math::exp);
        assertTrue(worst <= 2, "exp max error " + worst + " ulp");
    }

    @Test
    void tanhWithin3UlpOverReals() {
        float[] xs = sample(-12f, 12f, 0.625f, -0.625f, 0f, 1e-3f, 9.01f);
        double worst = maxUlpError(xs, VectorMath::tanh, Math::tanh);
        assertTrue(worst <= 3, "tanh max error " + worst + " ulp");
        float[] tiny = {1e-30f, -1e-20f, 1e-10f, Float.MIN_VALUE, -Float.MIN_NORMAL, 1e-5f};
        assertTrue(maxUlpError(tiny, VectorMath::tanh, Math::tanh) <= 1);
    }

    @Test
    void sigmoidClose() {
        float[] xs = sample(-87f, 90f, 0f);    // below -87.3 e^-x overflows: 0 instead of a subnormal
        double worst = maxUlpError(xs, VectorMath::sigmoid, x -> 1 / (1 + Math.exp(-x)));
        assertTrue(worst <= 3, "sigmoid max error " + worst + " ulp");
    }

    @Test
    void edgeCases() {
        assertEquals(0f, VectorMath.exp(Float.NEGATIVE_INFINITY));
        assertEquals(Float.POSITIVE_INFINITY, VectorMath.exp(Float.POSITIVE_INFINITY));
        assertEquals(Float.POSITIVE_INFINITY, VectorMath.exp(88.73f));
        assertEquals(Float.POSITIVE_INFINITY, VectorMath.exp(1000f));
        assertEquals(0f, VectorMath.exp(-104f));
        assertEquals(0f, VectorMath.exp(-1e30f));
        assertEquals(1f, VectorMath.exp(0f));
        assertEquals(1f, VectorMath.exp(-0f));
        assertEquals(Float.MIN_VALUE, VectorMath.exp(-103.2789f));    // e^x ~ 1.4e-45: the smallest subnormal
        assertTrue(Float.isNaN(VectorMath.exp(Float.NaN)));
        assertEquals(1f, VectorMath.tanh(Float.POSITIVE_INFINITY));
        assertEquals(-1f, VectorMath.tanh(Float.NEGATIVE_INFINITY));
        assertEquals(1f, VectorMath.tanh(30f));
        assertEquals(Float.floatToIntBits(-0f), Float.floatToIntBits(VectorMath.tanh(-0f)));
        assertEquals(0f, VectorMath.tanh(0f));
        assertTrue(Float.isNaN(VectorMath.tanh(Float.NaN)));
        assertEquals(0f, VectorMath.sigmoid(-200f));
        assertEquals(1f, VectorMath.sigmoid(200f));
        assertEquals(0.5f, VectorMath.sigmoid(0f));
    }

    /**
     * Every lane of the vector versions equals the scalar twin bit for bit, edge cases included (any NaN equals
     * any NaN: IEEE does not fix the payload of a NaN result).
     */
    @Test
    void vectorLanesEqualScalarTwins() {
        float[] xs = sample(-110f, 95f, 0f, 0.625f, -0.625f, 88.7228f, -103.97f);
        float[] special = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -0f, Float.MIN_VALUE,
                Float.MAX_VALUE, -Float.MAX_VALUE};
        float[] all = new float[xs.length + special.length + S.length()];
        System.arraycopy(xs, 0, all, 0, xs.length);
        System.arraycopy(special, 0, all, xs.length, special.length);
        int n = S.loopBound(all.length);
        float[] e = new float[n], t = new float[n], g = new float[n];
        for (int i = 0; i < n; i += S.length()) {
            FloatVector v = FloatVector.fromArray(S, all, i);
            VectorMath.exp(v).intoArray(e, i);
            VectorMath.tanh(v).intoArray(t, i);
            VectorMath.sigmoid(v).intoArray(g, i);
        }
        for (int i = 0; i < n; i++) {
            float x = all[i];
            assertEquals(Float.floatToIntBits(VectorMath.exp(x)), Float.floatToIntBits(e[i]), "exp x=" + x);
            assertEquals(Float.floatToIntBits(VectorMath.tanh(x)), Float.floatToIntBits(t[i]), "tanh x=" + x);
            assertEquals(Float.floatToIntBits(VectorMath.sigmoid(x)), Float.floatToIntBits(g[i]),
                    "sigmoid x=" + x);
        }
    }

    @Test
    void sumAddsLanesLeftToRight() {
        float[] a = new float[S.length()];
        for (int i = 0; i < a.length; i++) a[i] = (i % 2 == 0 ? 1e8f : 1f) * (1 + i * 0.1f);
        float want = 0;
        for (float f : a) want += f;
        assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(VectorMath.sum(FloatVector.fromArray(S, a, 0))));
    }
}
