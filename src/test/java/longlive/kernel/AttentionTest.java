package longlive.kernel;

import static longlive.kernel.MatMulTest.assertClose;
import static longlive.kernel.MatMulTest.random;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import java.util.function.Supplier;
import java.util.stream.Stream;
import longlive.tensor.ShapeException;
import longlive.testing.GradCheck;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** {@link VectorAttention} against {@link ScalarAttention} (forward and backward), gradient checks, masks. */
class AttentionTest {
    private static final Parallel THREE = new Parallel(3);

    @AfterAll
    static void closePool() {
        THREE.close();
    }

    /** Rows 0..: empty; both intervals; a single key; the last key only; everything. Cycled over nq rows. */
    static KeyMask ragged(int nq, int nk) {
        int[] lo0 = new int[nq], hi0 = new int[nq], lo1 = new int[nq], hi1 = new int[nq];
        for (int i = 0; i < nq; i++) {
            switch (i % 5) {
                case 0 -> { }
                case 1 -> { hi0[i] = nk / 3; lo1[i] = nk / 2; hi1[i] = nk; }
                case 2 -> { lo0[i] = i % nk; hi0[i] = i % nk + 1; }
                case 3 -> { lo1[i] = nk - 1; hi1[i] = nk; }
                default -> hi0[i] = nk;
            }
        }
        return new KeyMask(lo0, hi0, lo1, hi1);
    }

    static Stream<Arguments> cases() {
        return Stream.of(
                Arguments.of("single", 1, 1, 1, 4, null, 1),
                Arguments.of("small", 7, 5, 2, 8, null, 3),
                Arguments.of("odd head dim", 50, 70, 3, 20, null, 3),
                Arguments.of("two vector head dim", 61, 130, 2, 64, null, 1),
                Arguments.of("head dim 40", 13, 9, 1, 40, null, 3),
                Arguments.of("one key", 9, 1, 2, 32, null, 1),
                Arguments.of("ragged mask", 53, 67, 2, 32, ragged(53, 67), 3),
                Arguments.of("ragged mask, one head", 97, 40, 1, 16, ragged(97, 40), 1),
                Arguments.of("block causal, local window", 4 * 26, 4 * 26, 2, 32,
                        KeyMask.blockCausal(4, 26, 1, 2), 3),
                Arguments.of("teacher forcing", 2 * 3 * 22, 2 * 3 * 22, 2, 24, KeyMask.teacherForcing(3, 22, 1), 3),
                Arguments.of("cross-attention window", 30, 100, 2, 32, KeyMask.window(30, 70, 100), 1));
    }

    @ParameterizedTest(name = "{0}: nq={1} nk={2} heads={3} headDim={4} threads={6}")
    @MethodSource("cases")
    void vectorMatchesScalar(String name, int nq, int nk, int heads, int hd, KeyMask mask, int threads) {
        SplittableRandom rnd = new SplittableRandom(nq * 31 + nk);
        int row = heads * hd, off = 3;
        float[] q = random(rnd, off + nq * row), k = random(rnd, off + nk * row), v = random(rnd, off + nk * row);
        for (int i = 0; i < q.length; i++) q[i] *= 2;   // sharper softmax
        float scale = (float) (1 / Math.sqrt(hd));
        Parallel par = threads == 1 ? Parallel.serial() : THREE;
        Attention ref = new ScalarAttention(Parallel.serial()), fast = new VectorAttention(par);
        float[] outRef = new float[nq * row], outFast = new float[nq * row];
        float[] lseRef = new float[heads * nq], lseFast = new float[heads * nq];
        ref.forward(nq, nk, heads, hd, scale, q, off, k, off, v, off, outRef, 0, lseRef, mask);
        fast.forward(nq, nk, heads, hd, scale, q, off, k, off, v, off, outFast, 0, lseFast, mask);
        assertClose(outRef, outFast, 2e-5f, name + " out");
        assertClose(lseRef, lseFast, 2e-5f, name + " lse");

        float[] dOut = random(rnd, nq * row);
        float[] dQ0 = random(rnd, nq * row), dK0 = random(rnd, nk * row), dV0 = random(rnd, nk * row);
        float[] dQr = dQ0.clone(), dKr = dK0.clone(), dVr = dV0.clone();
        float[] dQf = dQ0.clone(), dKf = dK0.clone(), dVf = dV0.clone();
        ref.backward(nq, nk, heads, hd, scale, q, off, k, off, v, off, outRef, 0, lseRef, dOut, 0, mask, dQr, 0, dKr, 0, dVr, 0);
        fast.backward(nq, nk, heads, hd, scale, q, off, k, off, v, off, outRef, 0, lseRef, dOut, 0, mask, dQf, 0, dKf, 0, dVf, 0);
        assertClose(dQr, dQf, 1e-4f, name + " dQ");
        assertClose(dKr, dKf, 1e-4f, name + " dK");
        assertClose(dVr, dVf, 1e-4f, name + " dV");
    }

    @Test
    void backwardMatchesFiniteDifferences() {
        for (KeyMask mask : new KeyMask[] {null, ragged(6, 7)})
            for (Attention att : new Attention[] {new ScalarAttention(Parallel.serial()), new VectorAttention(THREE)}) {
                int nq = 6, nk = 7, heads = 2, hd = 4, row = heads * hd;
                SplittableRandom rnd = new SplittableRandom(11);
                float[] q = random(rnd, nq * row), k = random(rnd, nk * row), v = random(rnd, nk * row);
                float[] probe = random(rnd, nq * row), out = new float[nq * row], lse = new float[heads * nq];
                float scale = 0.7f;
                Supplier<Double> loss = () -> {
                    att.forward(nq, nk, heads, hd, scale, q, 0, k, 0, v, 0, out, 0, null, mask);
                    return GradCheck.dot(out, probe);
                };
                att.forward(nq, nk, heads, hd, scale, q, 0, k, 0, v, 0, out, 0, lse, mask);
                float[] dQ = new float[q.length], dK = new float[k.length], dV = new float[v.length];
                att.backward(nq, nk, heads, hd, scale, q, 0, k, 0, v, 0, out, 0, lse, probe, 0, mask, dQ, 0, dK, 0, dV, 0);
                String name = att.getClass().getSimpleName() + (mask == null ? "" : " masked");
                GradCheck.check(name + " dQ", q, dQ, loss, 1e-2, 2e-3, 200);
                GradCheck.check(name + " dK", k, dK, loss, 1e-2, 2e-3, 200);
                GradCheck.check(name + " dV", v, dV, loss, 1e-2, 2e-3, 200);
            }
    }

    @Test
    void fullyMaskedQueryGivesZerosNotNaN() {
        int nq = 3, nk = 4, hd = 8;
        KeyMask mask = new KeyMask(new int[] {0, 2, 0}, new int[] {4, 2, 1}, new int[3], new int[3]);
        for (Attention att : new Attention[] {new ScalarAttention(Parallel.serial()), new VectorAttention(Parallel.serial())}) {
            SplittableRandom rnd = new SplittableRandom(3);
            float[] q = random(rnd, nq * hd), k = random(rnd, nk * hd), v = random(rnd, nk * hd);
            float[] out = random(rnd, nq * hd), lse = new float[nq];
            att.forward(nq, nk, 1, hd, 1f, q, 0, k, 0, v, 0, out, 0, lse, mask);
            for (int d = 0; d < hd; d++) assertEquals(0f, out[hd + d], att.getClass().getSimpleName());
            assertEquals(Float.NEGATIVE_INFINITY, lse[1]);
            for (int d = 0; d < hd; d++) assertEquals(v[d], out[2 * hd + d], 1e-6f, "one visible key copies its value");
            float[] dQ = new float[q.length], dK = new float[k.length], dV = new float[v.length];
            att.backward(nq, nk, 1, hd, 1f, q, 0, k, 0, v, 0, out, 0, lse, random(rnd, nq * hd), 0, mask, dQ, 0, dK, 0, dV, 0);
            for (float[] g : new float[][] {dQ, dK, dV}) for (float x : g) assertTrue(Float.isFinite(x), "finite gradients");
            for (int d = 0; d < hd; d++) assertEquals(0f, dQ[hd + d], "masked query gets no gradient");
        }
    }

    @Test
    void shapeErrorsNameTheOperation() {
        for (Attention att : new Attention[] {new ScalarAttention(Parallel.serial()), new VectorAttention(Parallel.serial())}) {
            ShapeException e = assertThrows(ShapeException.class, () -> att.forward(4, 5, 2, 8, 1f, new float[63], 0,
                    new float[80], 0, new float[80], 0, new float[64], 0, null, null));
            assertTrue(e.getMessage().contains("attention") && e.getMessage().contains("Q [4, 2*8]"), e.getMessage());
            assertThrows(ShapeException.class, () -> att.forward(4, 5, 2, 8, 1f, new float[64], 0, new float[80], 0,
                    new float[80], 0, new float[64], 0, null, KeyMask.window(4, 0, 6)));
        }
    }
}
