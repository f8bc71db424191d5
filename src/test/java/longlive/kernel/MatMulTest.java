package longlive.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import longlive.tensor.ShapeException;
import longlive.testing.GradCheck;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** {@link VectorMatMul} against {@link ScalarMatMul} on awkward shapes, plus gradient and shape-error checks. */
class MatMulTest {
    private static final Parallel THREE = new Parallel(3);

    @AfterAll
    static void closePool() {
        THREE.close();
    }

    /** m, n, k: ones, odd sizes, and sizes that cross the MR/NR/MC/KC/NC block edges. */
    private static final int[][] SHAPES = {
            {1, 1, 1}, {1, 37, 5}, {7, 1, 13}, {5, 9, 1}, {13, 33, 17}, {6, 32, 259},
            {130, 70, 300}, {3, 2100, 4}, {61, 129, 40},
    };

    static Stream<Object[]> cases() {
        List<Object[]> out = new ArrayList<>();
        int seed = 0;
        for (int[] s : SHAPES)
            for (int trans = 0; trans < 4; trans++)
                for (int flags = 0; flags < 4; flags++) {
                    seed++;
                    // thread count and offsets vary with the case so that every combination is hit somewhere
                    out.add(new Object[] {s[0], s[1], s[2], (trans & 2) != 0, (trans & 1) != 0, (flags & 1) != 0,
                            (flags & 2) != 0, seed % 2 == 0 ? 1 : 3, seed});
                }
        return out.stream();
    }

    @ParameterizedTest(name = "m={0} n={1} k={2} tA={3} tB={4} acc={5} bias={6} threads={7}")
    @MethodSource("cases")
    void vectorMatchesScalar(int m, int n, int k, boolean transA, boolean transB, boolean accumulate, boolean withBias,
                             int threads, int seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int aOff = seed % 3, bOff = seed % 5, cOff = seed % 2;
        float[] a = random(rnd, aOff + m * k), b = random(rnd, bOff + k * n);
        float[] bias = withBias ? random(rnd, n) : null;
        float[] c0 = random(rnd, cOff + m * n + 3);
        float[] expected = c0.clone();
        Parallel par = threads == 1 ? Parallel.serial() : THREE;
        new ScalarMatMul(Parallel.serial()).gemm(m, n, k, a, aOff, transA, b, bOff, transB, bias, expected, cOff, accumulate);
        // both register tiles, whichever this machine's vector width picks by default
        for (int rows : new int[] {4, 6}) {
            float[] actual = c0.clone();
            if (!accumulate) for (int i = cOff; i < cOff + m * n; i++) actual[i] = Float.NaN;   // must be ignored
            new VectorMatMul(par, VectorMatMul.DIRECT_A_MAX_N, rows)
                    .gemm(m, n, k, a, aOff, transA, b, bOff, transB, bias, actual, cOff, accumulate);
            assertClose(expected, actual, 1e-5f * (float) Math.sqrt(k + 1),
                    "gemm " + m + "x" + n + "x" + k + ", " + rows + "-row tile");
        }
    }

    /**
     * Reading A in place (narrow C) and packing it (wide C) feed the micro-kernel the same values in the same order,
     * so they must agree to the bit on every shape and transpose, ragged tiles and several threads included.
     */
    @ParameterizedTest(name = "m={0} n={1} k={2} tA={3} tB={4} acc={5} bias={6} threads={7}")
    @MethodSource("cases")
    void readingAInPlaceIsBitIdenticalToPackingIt(int m, int n, int k, boolean transA, boolean transB,
                                                  boolean accumulate, boolean withBias, int threads, int seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] a = random(rnd, m * k), b = random(rnd, k * n), bias = withBias ? random(rnd, n) : null;
        float[] c0 = random(rnd, m * n);
        short[] bh = new short[b.length];
        for (int i = 0; i < b.length; i++) bh[i] = (short) (Float.floatToRawIntBits(b[i]) >>> 16);
        Parallel par = threads == 1 ? Parallel.serial() : THREE;
        for (int rows : new int[] {4, 6}) {
            VectorMatMul packing = new VectorMatMul(par, 0, rows), inPlace = new VectorMatMul(par, Integer.MAX_VALUE, rows);
            float[] packed = c0.clone(), direct = c0.clone();
            packing.gemm(m, n, k, a, 0, transA, b, 0, transB, bias, packed, 0, accumulate);
            inPlace.gemm(m, n, k, a, 0, transA, b, 0, transB, bias, direct, 0, accumulate);
            assertArrayEquals(packed, direct, "gemm " + m + "x" + n + "x" + k + ", " + rows + "-row tile");
            packed = c0.clone();
            direct = c0.clone();
            packing.gemmBf16(m, n, k, a, 0, transA, bh, 0, transB, bias, packed, 0, accumulate);
            inPlace.gemmBf16(m, n, k, a, 0, transA, bh, 0, transB, bias, direct, 0, accumulate);
            assertArrayEquals(packed, direct, "gemmBf16 " + m + "x" + n + "x" + k + ", " + rows + "-row tile");
        }
    }

    @Test
    void zeroDepthGivesBiasOrKeepsC() {
        float[] c = {5, 5, 5, 5};
        new VectorMatMul(Parallel.serial()).gemm(2, 2, 0, new float[0], 0, false, new float[0], 0, true,
                new float[] {1, 2}, c, 0, false);
        assertClose(new float[] {1, 2, 1, 2}, c, 0, "k=0");
        new VectorMatMul(Parallel.serial()).gemm(2, 2, 0, new float[0], 0, false, new float[0], 0, true, null, c, 0, true);
        assertClose(new float[] {1, 2, 1, 2}, c, 0, "k=0 accumulate");
    }

    @Test
    void linearBackwardMatchesFiniteDifferences() {
        for (MatMul mm : new MatMul[] {new ScalarMatMul(Parallel.serial()), new VectorMatMul(THREE)}) {
            int rows = 5, in = 7, out = 4;
            SplittableRandom rnd = new SplittableRandom(7);
            float[] x = random(rnd, rows * in), w = random(rnd, out * in), bias = random(rnd, out), probe = random(rnd, rows * out);
            float[] y = new float[rows * out];
            java.util.function.Supplier<Double> loss = () -> {
                mm.linear(rows, in, out, x, 0, w, 0, bias, y, 0);
                return GradCheck.dot(y, probe);
            };
            float[] dX = new float[x.length], dW = new float[w.length], dB = new float[out];
            mm.linearBackward(rows, in, out, x, 0, w, 0, probe, 0, dX, 0, dW, 0, dB);
            String name = mm.getClass().getSimpleName();
            GradCheck.check(name + " dX", x, dX, loss, 1e-2, 1e-3, 100);
            GradCheck.check(name + " dW", w, dW, loss, 1e-2, 1e-3, 100);
            GradCheck.check(name + " dB", bias, dB, loss, 1e-2, 1e-3, 100);
            // backward accumulates: a second call doubles every gradient
            float[] dX2 = dX.clone();
            mm.linearBackward(rows, in, out, x, 0, w, 0, probe, 0, dX2, 0, null, 0, null);
            for (int i = 0; i < dX.length; i++) assertEquals(2 * dX[i], dX2[i], 1e-5f, "dX accumulates");
        }
    }

    @Test
    void shapeErrorsNameTheOperationAndShapes() {
        for (MatMul mm : new MatMul[] {new ScalarMatMul(Parallel.serial()), new VectorMatMul(Parallel.serial())}) {
            ShapeException e = assertThrows(ShapeException.class, () ->
                    mm.gemm(4, 7, 5, new float[20], 3, false, new float[35], 0, false, null, new float[28], 0, false));
            assertTrue(e.getMessage().contains("gemm") && e.getMessage().contains("[4, 5]")
                    && e.getMessage().contains("[5, 7]") && e.getMessage().contains("offset 3"), e.getMessage());
            e = assertThrows(ShapeException.class, () ->
                    mm.gemm(4, 7, 5, new float[20], 0, false, new float[35], 0, true, new float[6], new float[28], 0, false));
            assertTrue(e.getMessage().contains("bias") && e.getMessage().contains("[7, 5]"), e.getMessage());
            assertThrows(ShapeException.class, () ->
                    mm.gemm(-1, 7, 5, new float[20], 0, false, new float[35], 0, false, null, new float[28], 0, false));
        }
    }

    static float[] random(SplittableRandom rnd, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (rnd.nextDouble() * 2 - 1);
        return x;
    }

    static void assertClose(float[] expected, float[] actual, float tol, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        for (int i = 0; i < expected.length; i++) {
            float e = expected[i], a = actual[i];
            if (Float.isNaN(a) || Math.abs(e - a) > tol * Math.max(1f, Math.abs(e)))
                fail(what + ": element " + i + " expected " + e + " but was " + a + " (tol " + tol + ")");
        }
    }
}
