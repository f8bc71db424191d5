package longlive.kernel;

/**
 * Reference {@link Attention}: for each (head, query) two passes over the visible keys (max and log-sum-exp,
 * then the weighted sum of V), in double. Parallel over heads (heads write disjoint columns). Slow; the fast
 * kernel is tested against it.
 */
public final class ScalarAttention implements Attention {
    private final Parallel parallel;

    public ScalarAttention(Parallel parallel) {
        this.parallel = parallel;
    }

    @Override
    public void forward(int nq, int nk, int heads, int headDim, float scale, float[] q, int qOff, float[] k, int kOff,
                        float[] v, int vOff, float[] out, int outOff, float[] lse, KeyMask mask) {
        AttentionChecks.check("attention", nq, nk, heads, headDim, q, qOff, k, kOff, v, vOff, mask);
        AttentionChecks.need("attention", "out", "out", out, outOff, (long) nq * heads * headDim);
        AttentionChecks.needLse("attention", nq, heads, lse);
        int row = heads * headDim;
        parallel.forEach(heads, h -> {
            double[] acc = new double[headDim];
            for (int i = 0; i < nq; i++) {
                int qi = qOff + i * row + h * headDim;
                double l = logSumExp(i, nk, headDim, scale, q, qi, k, kOff + h * headDim, row, mask);
                java.util.Arrays.fill(acc, 0);
                if (l != Double.NEGATIVE_INFINITY) {
                    for (int j = 0; j < nk; j++) {
                        if (mask != null && !mask.allows(i, j)) continue;
                        double p = Math.exp(scale * dot(q, qi, k, kOff + j * row + h * headDim, headDim) - l);
                        int vj = vOff + j * row + h * headDim;
                        for (int d = 0; d < headDim; d++) acc[d] += p * v[vj + d];
                    }
                }
                int oi = outOff + i * row + h * headDim;
                for (int d = 0; d < headDim; d++) out[oi + d] = (float) acc[d];
                if (lse != null) lse[h * nq + i] = (float) l;
            }
        });
    }

    @Override
    public void backward(int nq, int nk, int heads, int headDim, float scale, float[] q, int qOff, float[] k, int kOff,
                         float[] v, int vOff, float[] out, int outOff, float[] lse, float[] dOut, int dOutOff,
                         KeyMask mask, float[] dQ, int dQOff, float[] dK, int dKOff, float[] dV, int dVOff) {
        AttentionChecks.check("attention backward", nq, nk, heads, headDim, q, qOff, k, kOff, v, vOff, mask);
        long qCount = (long) nq * heads * headDim, kCount = (long) nk * heads * headDim;
        String s = "out/dOut";
        AttentionChecks.need("attention backward", s, "out", out, outOff, qCount);
        AttentionChecks.need("attention backward", s, "dOut", dOut, dOutOff, qCount);
        if (lse == null) throw new IllegalArgumentException("attention backward: lse from the forward is required");
        AttentionChecks.needLse("attention backward", nq, heads, lse);
        if (dQ != null) AttentionChecks.need("attention backward", s, "dQ", dQ, dQOff, qCount);
        if (dK != null) AttentionChecks.need("attention backward", s, "dK", dK, dKOff, kCount);
        if (dV != null) AttentionChecks.need("attention backward", s, "dV", dV, dVOff, kCount);
        int row = heads * headDim;
        // heads touch disjoint columns of every gradient, so they can run in parallel without races
        parallel.forEach(heads, h -> {
            for (int i = 0; i < nq; i++) {
                float l = lse[h * nq + i];
                if (l == Float.NEGATIVE_INFINITY) continue;       // fully masked row: output was 0, no gradient
                int qi = qOff + i * row + h * headDim, oi = outOff + i * row + h * headDim;
                int gi = dOutOff + i * row + h * headDim;
                double rowDot = dot(dOut, gi, out, oi, headDim);  // D_i = dO_i . O_i = sum_j P_ij dP_ij
                for (int j = 0; j < nk; j++) {
                    if (mask != null && !mask.allows(i, j)) continue;
                    int kj = kOff + j * row + h * headDim, vj = vOff + j * row + h * headDim;
                    double p = Math.exp(scale * dot(q, qi, k, kj, headDim) - l);
                    double dp = dot(dOut, gi, v, vj, headDim);
                    double ds = p * (dp - rowDot) * scale;
                    for (int d = 0; d < headDim; d++) {
                        if (dQ != null) dQ[dQOff + i * row + h * headDim + d] += (float) (ds * k[kj + d]);
                        if (dK != null) dK[dKOff + j * row + h * headDim + d] += (float) (ds * q[qi + d]);
                        if (dV != null) dV[dVOff + j * row + h * headDim + d] += (float) (p * dOut[gi + d]);
                    }
                }
            }
        });
    }

    private static double logSumExp(int i, int nk, int headDim, float scale, float[] q, int qi, float[] k, int kBase,
                                    int row, KeyMask mask) {
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < nk; j++)
            if (mask == null || mask.allows(i, j)) max = Math.max(max, scale * dot(q, qi, k, kBase + j * row, headDim));
        if (max == Double.NEGATIVE_INFINITY) return max;
        double sum = 0;
        for (int j = 0; j < nk; j++)
            if (mask == null || mask.allows(i, j)) sum += Math.exp(scale * dot(q, qi, k, kBase + j * row, headDim) - max);
        return max + Math.log(sum);
    }

    private static double dot(float[] x, int xOff, float[] y, int yOff, int n) {
        double s = 0;
        for (int d = 0; d < n; d++) s += (double) x[xOff + d] * y[yOff + d];
        return s;
    }
}
