package longlive.vae;

/**
 * One layer of an encoder/decoder stack, forward only (a backward would sit next to each {@code forward}).
 * Layers read {@code in}, write {@code out}, and may use the workspace's {@code tmp} and attention scratch.
 */
public sealed interface VaeLayer permits ResidualBlock, AttentionBlock, Resample {

    /** Output shape for an input of {@code in} in steady streaming state (time resampling active). */
    FrameShape outShape(FrameShape in);

    /** The most floats any of {@code in}, {@code out} or {@code tmp} holds during {@link #forward}. */
    long bufferFloats(FrameShape in);

    /** Floating-point operations (2 per multiply-add) of {@link #forward} on an input of {@code in} in steady state. */
    long flops(FrameShape in);

    /** A fresh (empty) streaming state for inputs of {@code in}'s height, width and channels. */
    VaeFeatureCache.LayerCache newCache(FrameShape in);

    /**
     * @param in    {@code [s]} channels-last
     * @param out   receives the result (never the same array as {@code in})
     * @return the output shape
     */
    FrameShape forward(VaeKernels k, VaeWorkspace ws, VaeFeatureCache.LayerCache cache, float[] in, FrameShape s,
                       float[] out);

    /** RMS_norm over channels then SiLU, channels-last {@code [rows, c]}: {@code F.normalize(x) * sqrt(C) * gamma}. */
    static void normSilu(VaeKernels k, float[] x, float[] y, int rows, int c, float[] gamma) {
        // RmsNorm computes x / sqrt(mean(x^2) + eps) * gamma = x * sqrt(C) / sqrt(|x|^2 + C eps) * gamma. With
        // C eps = 1e-24 this is F.normalize's x / max(|x|, 1e-12) for every |x| that is not (almost) zero.
        k.rmsNorm().forward(k.parallel(), x, 0, y, 0, rows, c, gamma, 1e-24f / c, null, 0);
        k.activations().silu(k.parallel(), y, 0, y, 0, rows * c);
    }
}
