package longlive.vae;

import java.util.Arrays;

/**
 * {@code AttentionBlock} (wan/modules/vae.py): per frame, {@code x + proj(softmax(q k^T / sqrt(C)) v)} with
 * {@code q, k, v = to_qkv(norm(x))}, one head of width C over the frame's H x W positions (no mixing in time).
 */
public final class AttentionBlock implements VaeLayer {
    private final VaeWeights.Attn w;
    private final float[] biasQ, biasK, biasV;

    public AttentionBlock(VaeWeights.Attn w) {
        this.w = w;
        int c = w.channels();
        float[] b = w.toQkv().bias();
        biasQ = Arrays.copyOfRange(b, 0, c);
        biasK = Arrays.copyOfRange(b, c, 2 * c);
        biasV = Arrays.copyOfRange(b, 2 * c, 3 * c);
    }

    @Override
    public FrameShape outShape(FrameShape in) {
        return in;
    }

    @Override
    public long bufferFloats(FrameShape in) {
        return in.size();
    }

    /** Floats of each attention scratch buffer: one frame. */
    public long scratchFloats(FrameShape in) {
        return in.frameSize();
    }

    @Override
    public long flops(FrameShape in) {
        long n = (long) in.height() * in.width(), c = w.channels();
        return in.frames() * (2 * n * c * 4 * c + 4 * n * n * c); // q, k, v, proj + scores and weighted sum
    }

    @Override
    public VaeFeatureCache.LayerCache newCache(FrameShape in) {
        return VaeFeatureCache.Stateless.INSTANCE;
    }

    @Override
    public FrameShape forward(VaeKernels k, VaeWorkspace ws, VaeFeatureCache.LayerCache cache, float[] in,
                              FrameShape s, float[] out) {
        int c = w.channels(), n = s.height() * s.width(), frame = n * c;
        float[] wq = w.toQkv().weight(), wp = w.proj().weight();
        for (int f = 0; f < s.frames(); f++) {
            int off = f * frame;
            k.rmsNorm().forward(k.parallel(), in, off, ws.attnNorm, 0, n, c, w.norm(), 1e-24f / c, null, 0); // norm
            k.gemm().gemm(n, c, c, ws.attnNorm, 0, false, wq, 0, true, biasQ, ws.q, 0, false);          // to_qkv
            k.gemm().gemm(n, c, c, ws.attnNorm, 0, false, wq, c * c, true, biasK, ws.k, 0, false);
            k.gemm().gemm(n, c, c, ws.attnNorm, 0, false, wq, 2 * c * c, true, biasV, ws.v, 0, false);
            k.attention().forward(n, n, 1, c, (float) (1.0 / Math.sqrt(c)), ws.q, 0, ws.k, 0, ws.v, 0, ws.o, 0,
                    null, null);                                                                     // SDPA
            k.gemm().gemm(n, c, c, ws.o, 0, false, wp, 0, true, w.proj().bias(), ws.attnNorm, 0, false); // proj
            k.elementwise().add(k.parallel(), in, off, ws.attnNorm, 0, out, off, frame);              // + identity
        }
        return s;
    }
}
