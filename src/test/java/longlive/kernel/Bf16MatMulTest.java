package longlive.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.SplittableRandom;
import longlive.tensor.ShapeException;
import org.junit.jupiter.api.Test;

/** bf16-B GEMM: the Vector packing path must equal the float GEMM on the exactly widened B. */
class Bf16MatMulTest {
    private static final Parallel THREE = new Parallel(3);

    @Test
    void vectorBf16EqualsFloatGemmOnWidenedB() {
        SplittableRandom rnd = new SplittableRandom(7);
        int[][] shapes = {{1, 1, 1}, {5, 37, 13}, {7, 33, 300}, {13, 70, 257}, {6, 2100, 9}, {0, 4, 3}, {3, 4, 0}};
        for (int[] s : shapes) {
            for (boolean transA : new boolean[] {false, true}) {
                for (boolean transB : new boolean[] {false, true}) {
                    int m = s[0], n = s[1], k = s[2], bOff = 3;
                    float[] a = new float[m * k];
                    for (int i = 0; i < a.length; i++) a[i] = (float) rnd.nextGaussian();
                    short[] bh = new short[bOff + n * k];
                    float[] bf = new float[bOff + n * k];
                    for (int i = 0; i < bh.length; i++) {
                        bh[i] = (short) (Float.floatToRawIntBits((float) rnd.nextGaussian()) >>> 16);
                        bf[i] = Float.intBitsToFloat(bh[i] << 16);
                    }
                    float[] bias = new float[n];
                    for (int j = 0; j < n; j++) bias[j] = j * 0.25f;
                    for (boolean acc : new boolean[] {false, true}) {
                        float[] want = new float[m * n + 2], got = new float[m * n + 2];
                        for (int i = 0; i < want.length; i++) want[i] = got[i] = i % 5;
                        new VectorMatMul(THREE).gemm(m, n, k, a, 0, transA, bf, bOff, transB, bias, want, 2, acc);
                        new VectorMatMul(THREE).gemmBf16(m, n, k, a, 0, transA, bh, bOff, transB, bias, got, 2, acc);
                        // same packed values, same kernel, same order: bit-exact
                        assertArrayEquals(want, got, 0f, m + "x" + n + "x" + k + " tA=" + transA + " tB=" + transB);
                        float[] ref = new float[m * n + 2];
                        for (int i = 0; i < ref.length; i++) ref[i] = i % 5;
                        new ScalarMatMul(Parallel.serial()).gemmBf16(m, n, k, a, 0, transA, bh, bOff, transB, bias, ref, 2, acc);
                        assertArrayEquals(ref, got, 1e-4f * (k + 1), "vs scalar " + m + "x" + n + "x" + k);
                    }
                }
            }
        }
    }

    @Test
    void linearBf16RejectsShortWeight() {
        float[] x = new float[8], y = new float[8];
        assertThrows(ShapeException.class,
                () -> new VectorMatMul(Parallel.serial()).linearBf16(2, 4, 4, x, 0, new short[15], 0, null, y, 0));
        assertThrows(ShapeException.class,
                () -> new ScalarMatMul(Parallel.serial()).linearBf16(2, 4, 4, x, 0, new short[15], 0, null, y, 0));
    }
}
