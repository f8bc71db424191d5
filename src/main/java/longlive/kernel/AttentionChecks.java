package longlive.kernel;

import longlive.tensor.ShapeException;

/** Argument checks shared by the {@link Attention} implementations. */
final class AttentionChecks {
    private AttentionChecks() {}

    static void check(String op, int nq, int nk, int heads, int headDim, float[] q, int qOff, float[] k, int kOff,
                      float[] v, int vOff, KeyMask mask) {
        String shapes = "Q [" + nq + ", " + heads + "*" + headDim + "] and K/V [" + nk + ", " + heads + "*" + headDim + "]";
        if (nq < 0 || nk < 0 || heads < 1 || headDim < 1)
            throw new ShapeException(op + ": " + shapes + " do not fit (bad dimension)");
        long rowQ = (long) heads * headDim;
        need(op, shapes, "Q", q, qOff, nq * rowQ);
        need(op, shapes, "K", k, kOff, nk * rowQ);
        need(op, shapes, "V", v, vOff, nk * rowQ);
        if (mask != null && (mask.rows() != nq || mask.maxKey() > nk))
            throw new ShapeException(op + ": " + shapes + " do not fit the mask (" + mask.rows()
                    + " rows, keys up to " + mask.maxKey() + ")");
    }

    static void need(String op, String shapes, String what, float[] arr, int off, long count) {
        if (arr == null || off < 0 || off + count > arr.length)
            throw new ShapeException(op + ": " + shapes + " do not fit (" + what + " needs " + count
                    + " floats from offset " + off + " but its array has " + (arr == null ? "null" : arr.length) + ")");
    }

    static void needLse(String op, int nq, int heads, float[] lse) {
        if (lse != null && lse.length < (long) nq * heads)
            throw new ShapeException(op + ": lse [" + heads + ", " + nq + "] needs " + ((long) nq * heads)
                    + " floats but its array has " + lse.length);
    }
}
