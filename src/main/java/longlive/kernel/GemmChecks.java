package longlive.kernel;

import longlive.tensor.ShapeException;

/** Argument checks shared by the {@link MatMul} implementations, so both reject bad input with one message. */
final class GemmChecks {
    private GemmChecks() {}

    /** Throws a {@link ShapeException} naming "gemm", both operand shapes and the problem. */
    static void check(int m, int n, int k, float[] a, int aOff, boolean transA, float[] b, int bOff, boolean transB,
                      float[] bias, float[] c, int cOff) {
        int[] shapeA = transA ? new int[] {k, m} : new int[] {m, k};
        int[] shapeB = transB ? new int[] {n, k} : new int[] {k, n};
        String nameA = transA ? "A^T (transA)" : "A", nameB = transB ? "B^T (transB)" : "B";
        if (m < 0 || n < 0 || k < 0)
            throw ShapeException.of("gemm", nameA, shapeA, nameB, shapeB, "negative dimension m=" + m + " n=" + n + " k=" + k);
        if (a == null || b == null || c == null)
            throw ShapeException.of("gemm", nameA, shapeA, nameB, shapeB, "A, B and C must not be null");
        need("A", (long) m * k, a, aOff, nameA, shapeA, nameB, shapeB);
        need("B", (long) k * n, b, bOff, nameA, shapeA, nameB, shapeB);
        need("C [" + m + ", " + n + "]", (long) m * n, c, cOff, nameA, shapeA, nameB, shapeB);
        if (bias != null && bias.length < n)
            throw ShapeException.of("gemm", nameA, shapeA, nameB, shapeB, "bias has " + bias.length + " floats, needs n=" + n);
    }

    private static void need(String what, long count, float[] arr, int off, String nameA, int[] shapeA, String nameB, int[] shapeB) {
        if (off < 0 || off + count > arr.length)
            throw ShapeException.of("gemm", nameA, shapeA, nameB, shapeB, what + " needs " + count + " floats from offset "
                    + off + " but its array has " + arr.length);
    }

    static void checkBiasGrad(int rows, int out, float[] dY, int dYOff, float[] dB) {
        if (rows < 0 || out < 0 || dYOff < 0 || dYOff + (long) rows * out > dY.length || dB.length < out)
            throw new ShapeException("linearBackward: dY [" + rows + ", " + out + "] at offset " + dYOff + " (array "
                    + dY.length + ") and dB [" + dB.length + "] do not fit (dB needs " + out + ")");
    }
}
