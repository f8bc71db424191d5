package longlive.vae;

import longlive.tensor.ShapeException;
import longlive.tensor.Tensor;

/**
 * Decodes a latent video one latent frame at a time, as the generator produces them: the first latent frame gives
 * one video frame, every later one {@code temporalFactor} (4) frames, and the concatenation equals decoding the
 * whole latent video at once (the reference {@code WanVAE_.decode} is this same loop; {@code cached_decode} carries
 * the cache across calls, as here).
 *
 * <p>Per call: {@code z = latent / (1 / std) + mean}, the 1x1x1 {@code conv2}, the decoder with its feature cache,
 * then {@code clamp(-1, 1)}. Input and output are channel-first per frame, as the DiT and the video writers use
 * them: latent {@code [z_dim, H, W]}, frames {@code [n, 3, 8H, 8W]}. All buffers are allocated in the constructor.
 */
public final class StreamingVaeDecoder {
    private final VaeConfig config;
    private final LatentStats stats;
    private final VaeKernels kernels;
    private final VaeStack decoder;
    private final CausalConv3d conv2;
    private final ConvScratch scratch = new ConvScratch();
    private final VaeFeatureCache cache;
    private final int latentH, latentW, outH, outW;
    private final float[] z, z2, pixels;
    private int decoded;

    public StreamingVaeDecoder(VaeWeights weights, LatentStats stats, int latentH, int latentW, VaeKernels kernels) {
        this.config = weights.config();
        if (stats.channels() != config.zDim())
            throw new IllegalArgumentException("StreamingVaeDecoder: latent stats have " + stats.channels()
                    + " channels, the VAE's z_dim is " + config.zDim());
        this.stats = stats;
        this.kernels = kernels;
        this.latentH = latentH;
        this.latentW = latentW;
        this.decoder = VaeStack.decoder(weights, latentH, latentW);
        this.conv2 = CausalConv3d.causal(weights.conv2());
        this.cache = decoder.newCache();
        FrameShape o = decoder.maxOutput();
        this.outH = o.height();
        this.outW = o.width();
        this.z = new float[latentH * latentW * config.zDim()];
        this.z2 = new float[z.length];
        this.pixels = new float[(int) o.size()];
    }

    public int outHeight() {
        return outH;
    }

    public int outWidth() {
        return outW;
    }

    /** Floats of one output frame {@code [3, outHeight, outWidth]}. */
    public int frameSize() {
        return 3 * outH * outW;
    }

    /** Video frames the next {@link #decodeNext} call returns: 1 for the first latent frame, then temporalFactor. */
    public int nextFrameCount() {
        return decoded == 0 ? 1 : config.temporalFactor();
    }

    /** Latent frames decoded since the start (or the last {@link #reset}). */
    public int decodedLatentFrames() {
        return decoded;
    }

    /** Floating-point operations of one later latent frame (convs and attention; 2 per multiply-add). */
    public long flopsPerLatentFrame() {
        return decoder.steadyFlops() + conv2.flops(1, latentH, latentW);
    }

    /** Starts a new video: forgets every conv's history. */
    public void reset() {
        cache.clear();
        decoded = 0;
    }

    /**
     * Decodes the next latent frame.
     *
     * @param latent {@code [z_dim, H, W]} from {@code off} (normalized latents, as the DiT produces them)
     * @param out    receives {@code [n, 3, 8H, 8W]} from {@code outOff}, values clamped to [-1, 1]
     * @return n, the number of video frames written ({@link #nextFrameCount()})
     */
    public int decodeNext(float[] latent, int off, float[] out, int outOff) {
        int zd = config.zDim(), hw = latentH * latentW, n = nextFrameCount();
        if (off < 0 || (long) off + (long) zd * hw > latent.length)
            throw new ShapeException("decodeNext: latent [" + zd + ", " + latentH + ", " + latentW + "] from offset " + off
                    + " does not fit an array of " + latent.length);
        if (outOff < 0 || (long) outOff + (long) n * frameSize() > out.length)
            throw new ShapeException("decodeNext: output [" + n + ", 3, " + outH + ", " + outW + "] from offset " + outOff
                    + " does not fit an array of " + out.length);
        for (int c = 0; c < zd; c++) {               // de-normalize into channels-last
            float inv = stats.invStd(c), mean = stats.mean()[c];
            for (int p = 0; p < hw; p++) z[p * zd + c] = latent[off + c * hw + p] / inv + mean;
        }
        conv2.forward(kernels, scratch, null, 0, z, 1, latentH, latentW, z2);        // conv2 (1x1x1)
        FrameShape s = decoder.forward(kernels, cache, z2, 1, pixels);              // decoder
        if (s.frames() != n)
            throw new IllegalStateException("decodeNext: the decoder gave " + s.frames() + " frames, expected " + n);
        int plane = outH * outW;
        for (int f = 0; f < n; f++) {                // channels-last -> [3, H, W] per frame, clamp(-1, 1)
            int src = f * plane * 3, dst = outOff + f * 3 * plane;
            for (int p = 0; p < plane; p++)
                for (int c = 0; c < 3; c++)
                    out[dst + c * plane + p] = Math.max(-1f, Math.min(1f, pixels[src + p * 3 + c]));
        }
        decoded++;
        return n;
    }

    /** {@link #decodeNext(float[], int, float[], int)} on tensors: {@code [z_dim, H, W]} to {@code [n, 3, 8H, 8W]}. */
    public Tensor decodeNext(Tensor latentFrame) {
        latentFrame.requireShape("decodeNext: latent frame", config.zDim(), latentH, latentW);
        int n = nextFrameCount();
        float[] out = new float[n * frameSize()];
        decodeNext(latentFrame.data(), 0, out, 0);
        return Tensor.of(out, n, 3, outH, outW);
    }
}
