package longlive.vae;

/**
 * {@link AttentionBlock} in training form: per frame {@code y = x + proj(attn(q, k, v))}, {@code q, k, v =
 * to_qkv(norm(x))}, one head of width C over the frame's positions. Tape: the norm output and inverse RMS, q, k, v,
 * the attention output and its log-sum-exp (the attention backward recomputes the probabilities from them).
 */
final class AttentionTrain implements TrainLayer {
    private final VaeWeights.Attn w;
    private final FrameShape shape;
    private final int n, c;
    private final float[] xn, q, kk, v, o, y, rstd, biasQ, biasK, biasV;
    private final float[][] lse;

    AttentionTrain(VaeWeights.Attn w, FrameShape in) {
        this.w = w;
        this.shape = in;
        this.n = in.height() * in.width();
        this.c = w.channels();
        int size = (int) in.size();
        xn = new float[size];
        q = new float[size];
        kk = new float[size];
        v = new float[size];
        o = new float[size];
        y = new float[size];
        rstd = new float[in.positions()];
        lse = new float[in.frames()][n];
        biasQ = new float[c];
        biasK = new float[c];
        biasV = new float[c];
    }

    @Override
    public FrameShape inShape() {
        return shape;
    }

    @Override
    public FrameShape outShape() {
        return shape;
    }

    @Override
    public float[] output() {
        return y;
    }

    @Override
    public long scratchFloats() {
        return Math.max(shape.size(), 3L * shape.frameSize());
    }

    private float scale() {
        return (float) (1.0 / Math.sqrt(c));
    }

    @Override
    public void forward(VaeKernels k, TrainScratch s, float[] x) {
        float[] wq = w.toQkv().weight(), wp = w.proj().weight(), b = w.toQkv().bias();
        System.arraycopy(b, 0, biasQ, 0, c);      // copied per call: the optimizer moves the weights
        System.arraycopy(b, c, biasK, 0, c);
        System.arraycopy(b, 2 * c, biasV, 0, c);
        for (int f = 0; f < shape.frames(); f++) {
            int off = f * n * c;
            k.rmsNorm().forward(k.parallel(), x, off, xn, off, n, c, w.norm(), TrainLayer.eps(c), rstd, f * n); // norm
            k.gemm().gemm(n, c, c, xn, off, false, wq, 0, true, biasQ, q, off, false);                     // to_qkv
            k.gemm().gemm(n, c, c, xn, off, false, wq, c * c, true, biasK, kk, off, false);
            k.gemm().gemm(n, c, c, xn, off, false, wq, 2 * c * c, true, biasV, v, off, false);
            k.attention().forward(n, n, 1, c, scale(), q, off, kk, off, v, off, o, off, lse[f], null);      // SDPA
            k.gemm().gemm(n, c, c, o, off, false, wp, 0, true, w.proj().bias(), y, off, false);            // proj
            k.elementwise().accumulate(k.parallel(), x, off, y, off, n * c);                               // + x
        }
    }

    @Override
    public void backward(VaeKernels k, TrainScratch s, float[] x, float[] dy, float[] dx, VaeWeights.Layer grad,
                         float[] ga, float[] gb) {
        VaeWeights.Attn g = (VaeWeights.Attn) grad;
        float[] wq = w.toQkv().weight(), wp = w.proj().weight();
        int frame = n * c, dO = 0, dQ = frame, dK = 2 * frame, dV = 0, dXn = frame; // ga: dO dQ dK, gb: dV dXn
        if (dx != null) k.elementwise().accumulate(k.parallel(), dy, 0, dx, 0, (int) shape.size());  // identity
        for (int f = 0; f < shape.frames(); f++) {
            int off = f * frame;
            k.gemm().gemm(n, c, c, dy, off, false, wp, 0, false, null, ga, dO, false);                 // d o
            k.gemm().gemm(c, c, n, dy, off, true, o, off, false, null, g.proj().weight(), 0, true);    // d proj.w
            columnSums(dy, off, g.proj().bias(), 0);
            java.util.Arrays.fill(ga, dQ, dQ + 2 * frame, 0f);
            java.util.Arrays.fill(gb, dV, dV + frame, 0f);
            k.attention().backward(n, n, 1, c, scale(), q, off, kk, off, v, off, o, off, lse[f], ga, dO, null,
                    ga, dQ, ga, dK, gb, dV);                                                           // d q, k, v
            float[][] src = {ga, ga, gb};
            int[] srcOff = {dQ, dK, dV};
            for (int part = 0; part < 3; part++) {                                                     // to_qkv
                k.gemm().gemm(n, c, c, src[part], srcOff[part], false, wq, part * c * c, false, null, gb, dXn, part > 0);
                k.gemm().gemm(c, c, n, src[part], srcOff[part], true, xn, off, false, null, g.toQkv().weight(),
                        part * c * c, true);
                columnSums(src[part], srcOff[part], g.toQkv().bias(), part * c);
            }
            k.rmsNorm().backward(k.parallel(), x, off, gb, dXn, dx, off, n, c, w.norm(), rstd, f * n, g.norm()); // norm
        }
    }

    /** {@code db[bOff + j] += sum over the frame's n rows of d[off + r * c + j]}. */
    private void columnSums(float[] d, int off, float[] db, int bOff) {
        for (int r = 0; r < n; r++)
            for (int j = 0; j < c; j++) db[bOff + j] += d[off + r * c + j];
    }
}
