package longlive.vae;

import longlive.tensor.ShapeException;
import longlive.tensor.Tensor;

/**
 * Whole-clip Wan-VAE decode and encode in the reference's layouts ({@code WanVAE_.decode} / {@code .encode} as
 * called by {@code WanVAEWrapper}): decode {@code [z, F, H, W] -> [3, 1 + 4(F-1), 8H, 8W]} clamped to [-1, 1];
 * encode {@code [3, T, H, W] -> mu [z, 1 + (T-1)/4, H/8, W/8]}, normalized with {@link LatentStats}.
 */
public final class WanVae {
    /** The reference encodes the first frame alone, then chunks of this many frames ({@code WanVAE_.encode}). */
    public static final int ENCODE_CHUNK = 4;

    private final VaeWeights weights;
    private final VaeKernels kernels;

    public WanVae(VaeWeights weights, VaeKernels kernels) {
        this.weights = weights;
        this.kernels = kernels;
    }

    /** Decodes {@code latents [z, F, H, W]} frame by frame (the same loop a stream runs). */
    public Tensor decode(Tensor latents, LatentStats stats) {
        VaeConfig c = weights.config();
        if (latents.rank() != 4 || latents.dim(0) != c.zDim() || latents.dim(1) < 1)
            throw new ShapeException("vae decode: latents must be [" + c.zDim() + ", F >= 1, H, W], got " + latents);
        int f = latents.dim(1), h = latents.dim(2), w = latents.dim(3), hw = h * w;
        StreamingVaeDecoder dec = new StreamingVaeDecoder(weights, stats, h, w, kernels);
        int frames = c.videoFrames(f), plane = dec.outHeight() * dec.outWidth();
        float[] video = new float[3 * frames * plane];
        float[] latent = new float[c.zDim() * hw], chunk = new float[c.temporalFactor() * dec.frameSize()];
        int t0 = 0;
        for (int i = 0; i < f; i++) {
            for (int ch = 0; ch < c.zDim(); ch++)
                System.arraycopy(latents.data(), (ch * f + i) * hw, latent, ch * hw, hw);
            int n = dec.decodeNext(latent, 0, chunk, 0);
            for (int t = 0; t < n; t++)                 // [n, 3, H', W'] -> [3, T, H', W']
                for (int ch = 0; ch < 3; ch++)
                    System.arraycopy(chunk, (t * 3 + ch) * plane, video, (ch * frames + t0 + t) * plane, plane);
            t0 += n;
        }
        return Tensor.of(video, 3, frames, dec.outHeight(), dec.outWidth());
    }

    /** Encodes {@code video [3, T, H, W]} (T = 1 + 4k, values in [-1, 1]) to normalized {@code mu}. */
    public Tensor encode(Tensor video, LatentStats stats) {
        VaeConfig c = weights.config();
        int zd = c.zDim();
        if (stats.channels() != zd)
            throw new IllegalArgumentException("vae encode: latent stats have " + stats.channels() + " channels, z_dim is " + zd);
        if (video.rank() != 4 || video.dim(0) != 3 || video.dim(1) < 1 || (video.dim(1) - 1) % ENCODE_CHUNK != 0)
            throw new ShapeException("vae encode: video must be [3, 1 + " + ENCODE_CHUNK + "k, H, W], got " + video);
        int frames = video.dim(1), h = video.dim(2), w = video.dim(3), hw = h * w;
        VaeStack enc = VaeStack.encoder(weights, h, w, ENCODE_CHUNK);
        VaeFeatureCache cache = enc.newCache();
        CausalConv3d conv1 = CausalConv3d.causal(weights.conv1());
        ConvScratch scratch = new ConvScratch();
        FrameShape maxOut = enc.maxOutput();
        int lf = 1 + (frames - 1) / ENCODE_CHUNK * (maxOut.frames());
        int lh = maxOut.height(), lw = maxOut.width(), lhw = lh * lw;
        float[] mu = new float[zd * lf * lhw];
        float[] in = new float[ENCODE_CHUNK * hw * 3], out = new float[(int) maxOut.size()], moments = new float[out.length];
        int latentFrame = 0;
        for (int t0 = 0; t0 < frames; ) {
            int n = t0 == 0 ? 1 : ENCODE_CHUNK;
            for (int t = 0; t < n; t++)                  // [3, T, H, W] -> channels-last chunk
                for (int ch = 0; ch < 3; ch++) {
                    int src = (ch * frames + t0 + t) * hw, dst = t * hw * 3 + ch;
                    for (int p = 0; p < hw; p++) in[dst + p * 3] = video.data()[src + p];
                }
            FrameShape s = enc.forward(kernels, cache, in, n, out);
            conv1.forward(kernels, scratch, null, 0, out, s.frames(), lh, lw, moments); // conv1 (1x1x1), mu | log_var
            for (int t = 0; t < s.frames(); t++, latentFrame++)
                for (int ch = 0; ch < zd; ch++) {        // mu = (mu - mean) * (1 / std)
                    float mean = stats.mean()[ch], inv = stats.invStd(ch);
                    int dst = (ch * lf + latentFrame) * lhw, src = t * lhw * 2 * zd + ch;
                    for (int p = 0; p < lhw; p++) mu[dst + p] = (moments[src + p * 2 * zd] - mean) * inv;
                }
            t0 += n;
        }
        if (latentFrame != lf) throw new IllegalStateException("vae encode: produced " + latentFrame + " latent frames, expected " + lf);
        return Tensor.of(mu, zd, lf, lh, lw);
    }
}
