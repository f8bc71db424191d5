package longlive.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Rope3d against a direct complex-number implementation in double that follows the reference literally
 * ({@code rope_params} per part, {@code cat} of the three tables, {@code split([c - 2*(c//3), c//3, c//3])},
 * adjacent pairs as complex numbers), plus the table split, the position limit and backward as the inverse.
 */
class Rope3dTest {

    private static float[] rnd(long seed, int n) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (r.nextDouble() * 4 - 2);
        return a;
    }

    /** rope_params(maxLen, dim): angle[n][k] = n / theta^(arange(0, dim, 2)[k] / dim), in double. */
    private static double[][] ropeParams(int maxLen, int dim, double theta) {
        double[][] a = new double[maxLen][dim / 2];
        for (int n = 0; n < maxLen; n++)
            for (int k = 0; k < dim / 2; k++) a[n][k] = n * (1.0 / Math.pow(theta, (double) (2 * k) / dim));
        return a;
    }

    /** The reference computation for tokens (f, h, w), f from startFrame, in double complex arithmetic. */
    private static double[] reference(float[] x, int heads, int d, int frames, int gh, int gw, int startFrame,
                                      int maxLen, double theta) {
        // freqs = cat(rope_params(1024, d - 4*(d//6)), rope_params(1024, 2*(d//6)), rope_params(1024, 2*(d//6)))
        double[][] p0 = ropeParams(maxLen, d - 4 * (d / 6), theta);
        double[][] p1 = ropeParams(maxLen, 2 * (d / 6), theta);
        double[][] p2 = ropeParams(maxLen, 2 * (d / 6), theta);
        int c = d / 2;
        double[][] freqs = new double[maxLen][];
        for (int n = 0; n < maxLen; n++) {
            freqs[n] = new double[p0[n].length + p1[n].length + p2[n].length];
            System.arraycopy(p0[n], 0, freqs[n], 0, p0[n].length);
            System.arraycopy(p1[n], 0, freqs[n], p0[n].length, p1[n].length);
            System.arraycopy(p2[n], 0, freqs[n], p0[n].length + p1[n].length, p2[n].length);
        }
        assertEquals(c, freqs[0].length, "table columns");
        int s0 = c - 2 * (c / 3), s1 = c / 3;
        double[] y = new double[x.length];
        int t = 0;
        for (int f = 0; f < frames; f++)
            for (int h = 0; h < gh; h++)
                for (int w = 0; w < gw; w++, t++)
                    for (int head = 0; head < heads; head++)
                        for (int j = 0; j < c; j++) {
                            double angle = j < s0 ? freqs[startFrame + f][j]
                                    : j < s0 + s1 ? freqs[h][j] : freqs[w][j];
                            int at = (t * heads + head) * d + 2 * j;
                            double re = x[at], im = x[at + 1], cs = Math.cos(angle), sn = Math.sin(angle);
                            y[at] = re * cs - im * sn;
                            y[at + 1] = re * sn + im * cs;
                        }
        return y;
    }

    @ParameterizedTest(name = "headDim {0}, heads {1}, {2}x{3}x{4} from frame {5}")
    @CsvSource({
            "128, 2, 2, 3, 4, 0",
            "128, 1, 1, 30, 52, 17",
            "128, 3, 3, 2, 2, 1021",
            "64, 2, 2, 3, 3, 40",
            "36, 2, 2, 2, 3, 5",
            "12, 3, 2, 2, 2, 7",
            "8, 1, 3, 2, 2, 2",
            "2, 2, 2, 2, 2, 3",
    })
    void scalarAndVectorMatchComplexDouble(int headDim, int heads, int frames, int gh, int gw, int startFrame) {
        RopeTable table = RopeTable.wan(headDim);
        int n = frames * gh * gw * heads * headDim;
        float[] x = rnd(headDim * 7L + startFrame, n);
        double[] expected = reference(x, heads, headDim, frames, gh, gw, startFrame, 1024, 10000);
        for (Rope3d rope : new Rope3d[] {Rope3d.scalar(), Rope3d.vector()}) {
            float[] y = new float[n];
            rope.forward(Parallel.serial(), table, x, 0, y, 0, heads, frames, gh, gw, startFrame);
            double worst = 0;
            for (int i = 0; i < n; i++) worst = Math.max(worst, Math.abs(y[i] - expected[i]));
            // inputs are O(2): float32 cos/sin and float32 arithmetic stay within a few ulp of the double result
            if (worst > 2e-6) fail(rope.getClass().getSimpleName() + ": max |error| " + worst + " vs complex double");
        }
    }

    @Test
    void wanSplitIs22TemporalAnd21PlusDim21Spatial() {
        RopeTable t = RopeTable.wan(128);
        assertEquals(22, t.temporalPairs());
        assertEquals(21, t.spatialPairs());
        assertEquals(1024, t.maxPositions());
        assertEquals(128, t.headDim());
    }

    @Test
    void positionsPastTheTableThrowClearly() {
        RopeTable t = new RopeTable(12, 16, 10000);
        float[] x = new float[2 * 12];
        Rope3d.vector().forward(Parallel.serial(), t, x, 0, x, 0, 1, 2, 1, 1, 14); // frames 14, 15: the last two
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Rope3d.vector().forward(Parallel.serial(), t, x, 0, x, 0, 1, 2, 1, 1, 15));
        assertTrue(e.getMessage().contains("15..16") && e.getMessage().contains("0..15"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> Rope3d.scalar().backward(Parallel.serial(), t, x, 0, x.clone(), 0, 1, 2, 1, 1, 15));
        assertThrows(IllegalArgumentException.class,
                () -> Rope3d.scalar().forward(Parallel.serial(), t, x, 0, x, 0, 1, 1, 1, 1, -1));
        assertThrows(IllegalArgumentException.class,
                () -> Rope3d.scalar().forward(Parallel.serial(), t, new float[17 * 12], 0, new float[17 * 12], 0, 1, 1, 17,
                        1, 0));
        assertThrows(IllegalArgumentException.class, () -> new RopeTable(7, 16, 10000));
    }

    @Test
    void backwardInvertsForwardAndInPlaceEqualsOutOfPlace() {
        RopeTable t = RopeTable.wan(128);
        int heads = 3, frames = 2, gh = 3, gw = 5, n = frames * gh * gw * heads * 128;
        float[] x = rnd(99, n);
        for (Rope3d rope : new Rope3d[] {Rope3d.scalar(), Rope3d.vector()}) {
            float[] y = new float[n];
            rope.forward(Parallel.serial(), t, x, 0, y, 0, heads, frames, gh, gw, 300);
            float[] inPlace = x.clone();
            rope.forward(Parallel.serial(), t, inPlace, 0, inPlace, 0, heads, frames, gh, gw, 300);
            assertArrayEquals(y, inPlace);
            float[] back = new float[n];
            rope.backward(Parallel.serial(), t, y, 0, back, 0, heads, frames, gh, gw, 300);
            for (int i = 0; i < n; i++) assertEquals(x[i], back[i], 1e-5f, "element " + i);
        }
    }
}
