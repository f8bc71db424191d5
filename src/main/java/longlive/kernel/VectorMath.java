package longlive.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

/**
 * Bit-reproducible {@code exp}, {@code tanh} and lane sums for {@link FloatVector}s, with scalar twins.
 *
 * <p>Why: {@code lanewise(EXP/TANH)} and {@code reduceLanes(ADD)} round differently when a method runs
 * interpreted or C1-compiled (Java fallback) and when C2 compiles it (SVML stubs, another reduction tree), so
 * the same call could give different bits within one run. Everything here is built only from operations whose
 * result IEEE 754 fixes exactly (add, mul, fused fma, min, max, compares, blends, integer bit operations and
 * reinterpretation), so interpreted, C1 and C2 code agree bit for bit, and the scalar twins (same operations in
 * the same order, {@link Math#fma}) agree with the vector lanes bit for bit too.
 *
 * <p>Accuracy (measured by VectorMathTest against {@link Math#exp}/{@link Math#tanh}): {@code exp} within 2 ulp
 * on normal results, {@code tanh} within 3 ulp; subnormal results of {@code exp} are within 1 ulp of the
 * smallest subnormal.
 */
public final class VectorMath {
    private VectorMath() {
    }

    private static final float LOG2E = 1.44269504088896341f;
    // Cody-Waite split of ln 2: LN2_HI has 16 significant bits, so n * LN2_HI is exact for |n| <= 256.
    private static final float LN2_HI = 0.693145751953125f;
    private static final float LN2_LO = 1.428606765330187045e-6f;
    // Adding 1.5 * 2^23 rounds a float of magnitude < 2^22 to an integer (ties to even) kept in the low bits.
    private static final float SHIFTER = 12582912f;
    private static final int SHIFTER_BITS = 0x4B400000;
    // exp(x) overflows above ~88.7228 and rounds to 0 below ~-103.97: clamping keeps 2^n within two normal halves.
    private static final float EXP_HI = 89f, EXP_LO = -104f;
    // e^r = 1 + r + r^2 P(r) on |r| <= ln2/2, P a degree-5 minimax polynomial (Cephes expf coefficients).
    private static final float P0 = 1.9875691500e-4f, P1 = 1.3981999507e-3f, P2 = 8.3334519073e-3f,
            P3 = 4.1665795894e-2f, P4 = 1.6666665459e-1f, P5 = 5.0000001201e-1f;
    // tanh: odd minimax polynomial below 0.625 (Cephes tanhf), (1 - e) / (1 + e) with e = exp(-2|x|) above.
    private static final float TANH_SMALL = 0.625f;
    private static final float T1 = -3.33332819422e-1f, T2 = 1.33314422036e-1f, T3 = -5.37397155531e-2f,
            T4 = 2.06390887954e-2f, T5 = -5.70498872745e-3f;
    private static final int SIGN = 0x80000000, ABS = 0x7FFFFFFF;

    /** Lanewise {@code e^x}; -inf gives 0, +inf gives +inf, NaN gives NaN. */
    public static FloatVector exp(FloatVector x) {
        FloatVector xc = x.max(EXP_LO).min(EXP_HI);
        FloatVector z = xc.fma(LOG2E, SHIFTER);
        FloatVector n = z.sub(SHIFTER);
        FloatVector r = n.neg().fma(xc.broadcast(LN2_HI), xc);
        r = n.neg().fma(xc.broadcast(LN2_LO), r);
        FloatVector p = r.fma(P0, P1);
        p = p.fma(r, r.broadcast(P2));
        p = p.fma(r, r.broadcast(P3));
        p = p.fma(r, r.broadcast(P4));
        p = p.fma(r, r.broadcast(P5));
        p = p.fma(r.mul(r), r).add(1f);
        // 2^n as 2^n1 * 2^n2 with both halves normal, so that subnormal results are rounded only once.
        IntVector ni = ((IntVector) z.reinterpretAsInts()).sub(SHIFTER_BITS);
        IntVector n1 = ni.lanewise(VectorOperators.ASHR, 1);
        IntVector n2 = ni.sub(n1);
        FloatVector s1 = n1.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector s2 = n2.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        return p.mul(s1).mul(s2);
    }

    /** Scalar twin of {@link #exp(FloatVector)}: the same operations in the same order (bit-identical). */
    public static float exp(float x) {
        float xc = Math.min(Math.max(x, EXP_LO), EXP_HI);
        float z = Math.fma(xc, LOG2E, SHIFTER);
        float n = z - SHIFTER;
        float r = Math.fma(-n, LN2_HI, xc);
        r = Math.fma(-n, LN2_LO, r);
        float p = Math.fma(r, P0, P1);
        p = Math.fma(p, r, P2);
        p = Math.fma(p, r, P3);
        p = Math.fma(p, r, P4);
        p = Math.fma(p, r, P5);
        p = Math.fma(p, r * r, r) + 1f;
        int ni = Float.floatToRawIntBits(z) - SHIFTER_BITS;
        int n1 = ni >> 1, n2 = ni - n1;
        return p * Float.intBitsToFloat((n1 + 127) << 23) * Float.intBitsToFloat((n2 + 127) << 23);
    }

    /** Lanewise {@code tanh(x)}; +-inf gives +-1, NaN gives NaN. */
    public static FloatVector tanh(FloatVector x) {
        IntVector bits = (IntVector) x.reinterpretAsInts();
        FloatVector ax = bits.and(ABS).reinterpretAsFloats();
        FloatVector s = ax.mul(ax);
        FloatVector q = s.fma(T5, T4);
        q = q.fma(s, s.broadcast(T3));
        q = q.fma(s, s.broadcast(T2));
        q = q.fma(s, s.broadcast(T1));
        FloatVector small = q.mul(s).fma(ax, ax);
        FloatVector e = exp(ax.mul(-2f));
        FloatVector large = e.neg().add(1f).div(e.add(1f));
        VectorMask<Float> isSmall = ax.compare(VectorOperators.LT, TANH_SMALL);
        FloatVector abs = large.blend(small, isSmall);
        return ((IntVector) abs.reinterpretAsInts()).or(bits.and(SIGN)).reinterpretAsFloats();
    }

    /** Scalar twin of {@link #tanh(FloatVector)} (bit-identical). */
    public static float tanh(float x) {
        int bits = Float.floatToRawIntBits(x);
        float ax = Float.intBitsToFloat(bits & ABS);
        float abs;
        if (ax < TANH_SMALL) {
            float s = ax * ax;
            float q = Math.fma(s, T5, T4);
            q = Math.fma(q, s, T3);
            q = Math.fma(q, s, T2);
            q = Math.fma(q, s, T1);
            abs = Math.fma(q * s, ax, ax);
        } else {
            float e = exp(ax * -2f);
            abs = (1f - e) / (e + 1f);
        }
        return Float.intBitsToFloat(Float.floatToRawIntBits(abs) | (bits & SIGN));
    }

    /** Lanewise {@code 1 / (1 + e^-x)}. */
    public static FloatVector sigmoid(FloatVector x) {
        FloatVector d = exp(x.neg()).add(1f);
        return d.broadcast(1f).div(d);
    }

    /** Scalar twin of {@link #sigmoid(FloatVector)} (bit-identical). */
    public static float sigmoid(float x) {
        return 1f / (exp(-x) + 1f);
    }

    /**
     * Sum of the lanes in a fixed order, {@code ((v0 + v1) + v2) + ...}: unlike {@code reduceLanes(ADD)},
     * whose association differs between the Java fallback and C2's reduction tree, this gives the same bits
     * in every compilation mode.
     */
    public static float sum(FloatVector v) {
        float s = v.lane(0);
        for (int i = 1; i < v.length(); i++) s += v.lane(i);
        return s;
    }
}
