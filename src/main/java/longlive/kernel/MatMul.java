package longlive.kernel;

/**
 * Dense float32 matrix multiply, the one GEMM every layer (linear, attention projections, FFN) goes through.
 *
 * <p>Layout convention: row-major {@code float[]} with an explicit element offset; a matrix {@code [r x c]}
 * has leading dimension {@code c} (no padding between rows). Implementations never allocate per call in their
 * hot loops and split work over the {@link Parallel} they were built with.
 *
 * <p>Implementations: {@link ScalarMatMul} (obviously-correct loops, the reference) and {@link VectorMatMul}
 * (packed, register-tiled, Vector API).
 */
public interface MatMul {

    /**
     * {@code C[m x n] (+)= op(A)[m x k] . op(B)[k x n] (+ bias)}.
     *
     * @param a          A stored {@code [m x k]}, or {@code [k x m]} when {@code transA}
     * @param b          B stored {@code [k x n]}, or {@code [n x k]} when {@code transB} (PyTorch Linear
     *                   weights {@code [out, in]}: {@code y = x.W^T} is {@code transB = true})
     * @param bias       nullable; {@code bias[j]} (length >= n) is added to every row of C
     * @param c          C stored {@code [m x n]}
     * @param accumulate true: C += result; false: C = result (C's old contents are ignored, NaN included)
     * @throws longlive.tensor.ShapeException if a dimension is negative or an array is too short
     */
    void gemm(int m, int n, int k,
              float[] a, int aOff, boolean transA,
              float[] b, int bOff, boolean transB,
              float[] bias, float[] c, int cOff, boolean accumulate);

    /**
     * {@link #gemm} with B stored as bf16 bits ({@code short[]}, the top 16 bits of a float32): halves weight memory
     * (umT5-XXL's checkpoint is bf16, so this is lossless). Every B element is widened exactly, so the result equals
     * {@code gemm} on the widened B. This default widens B whole per call (reference; allocates); {@link VectorMatMul}
     * widens while packing.
     */
    default void gemmBf16(int m, int n, int k, float[] a, int aOff, boolean transA, short[] b, int bOff,
                          boolean transB, float[] bias, float[] c, int cOff, boolean accumulate) {
        VectorMatMul.checkBf16(m, n, k, a, aOff, transA, transB, bias, c, cOff, b, bOff);
        float[] wide = new float[Math.multiplyExact(n, k)];
        for (int i = 0; i < wide.length; i++) wide[i] = Float.intBitsToFloat(b[bOff + i] << 16);
        gemm(m, n, k, a, aOff, transA, wide, 0, transB, bias, c, cOff, accumulate);
    }

    /** {@link #linear} with a bf16 weight {@code W [out x in]} (see {@link #gemmBf16}). */
    default void linearBf16(int rows, int in, int out, float[] x, int xOff, short[] w, int wOff, float[] bias,
                            float[] y, int yOff) {
        gemmBf16(rows, out, in, x, xOff, false, w, wOff, true, bias, y, yOff, false);
    }

    /**
     * PyTorch {@code nn.Linear}: {@code y[rows x out] = x[rows x in] . W^T + bias} with {@code W [out x in]}.
     *
     * @param bias nullable, length {@code out}
     */
    default void linear(int rows, int in, int out, float[] x, int xOff, float[] w, int wOff, float[] bias,
                        float[] y, int yOff) {
        gemm(rows, out, in, x, xOff, false, w, wOff, true, bias, y, yOff, false);
    }

    /**
     * Backward of {@link #linear}; every gradient ACCUMULATES (+=) and each one is nullable (skipped):
     * {@code dX[rows x in] += dY . W}, {@code dW[out x in] += dY^T . X}, {@code dB[out] += column sums of dY}.
     *
     * @param dY {@code [rows x out]}
     */
    default void linearBackward(int rows, int in, int out, float[] x, int xOff, float[] w, int wOff,
                                float[] dY, int dYOff,
                                float[] dX, int dXOff, float[] dW, int dWOff, float[] dB) {
        if (dX != null) gemm(rows, in, out, dY, dYOff, false, w, wOff, false, null, dX, dXOff, true);
        if (dW != null) gemm(out, in, rows, dY, dYOff, true, x, xOff, false, null, dW, dWOff, true);
        if (dB != null) {
            GemmChecks.checkBiasGrad(rows, out, dY, dYOff, dB);
            for (int r = 0; r < rows; r++) {
                int row = dYOff + r * out;
                for (int j = 0; j < out; j++) dB[j] += dY[row + j];
            }
        }
    }
}
