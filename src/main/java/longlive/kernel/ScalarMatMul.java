package longlive.kernel;

/**
 * Reference {@link MatMul}: the textbook triple loop (accumulating in double for a tight reference),
 * parallel over rows of C. Slow; the fast kernels are tested against it.
 */
public final class ScalarMatMul implements MatMul {
    private final Parallel parallel;

    public ScalarMatMul(Parallel parallel) {
        this.parallel = parallel;
    }

    @Override
    public void gemm(int m, int n, int k, float[] a, int aOff, boolean transA, float[] b, int bOff, boolean transB,
                     float[] bias, float[] c, int cOff, boolean accumulate) {
        GemmChecks.check(m, n, k, a, aOff, transA, b, bOff, transB, bias, c, cOff);
        parallel.forRange(m, 1, (from, to) -> {
            for (int i = from; i < to; i++) {
                for (int j = 0; j < n; j++) {
                    double s = 0;
                    for (int p = 0; p < k; p++) {
                        float x = transA ? a[aOff + p * m + i] : a[aOff + i * k + p];
                        float y = transB ? b[bOff + j * k + p] : b[bOff + p * n + j];
                        s += (double) x * y;
                    }
                    if (bias != null) s += bias[j];
                    int at = cOff + i * n + j;
                    c[at] = accumulate ? (float) (c[at] + s) : (float) s;
                }
            }
        });
    }
}
