package longlive.dit;

/**
 * Every activation buffer one DiT call needs, allocated once for calls of up to {@link #maxFrames()} latent frames of
 * {@link #frameSeqLen()} tokens each and reused by every call (nothing is allocated per forward). Shapes are the
 * largest ones; a call uses the leading {@code frames * frameSeqLen} rows.
 */
public final class DitState {
    final int maxFrames;
    final int frameSeqLen;
    final int maxTokens;
    final int ffnRows;

    /** Residual stream {@code [tokens, dim]}. */
    final float[] x;
    /** Normalised / modulated input of a sub-layer {@code [tokens, dim]}. */
    final float[] h;
    /** Projections {@code [tokens, dim]}. */
    final float[] q, k, v;
    /** Attention output (before the output projection) {@code [tokens, dim]}. */
    final float[] attn;
    /** Sub-layer output {@code [tokens, dim]}. */
    final float[] y;
    /** FFN hidden activations for a chunk of {@link #ffnRows} tokens {@code [ffnRows, ffn_dim]}. */
    final float[] ffnHidden;
    /** Flattened patches {@code [tokens, in_dim * pt * ph * pw]}. */
    final float[] patches;
    /** Head output {@code [tokens, out_dim * pt * ph * pw]}. */
    final float[] headOut;
    /** Per-frame timesteps widened to float64 {@code [frames]}. */
    final double[] positions;
    /** Sinusoidal timestep features {@code [frames, freq_dim]}. */
    final float[] sinusoid;
    /** Time MLP hidden {@code [frames, dim]}, then SiLU(e) for the projection. */
    final float[] timeHidden;
    /** Time embedding {@code e [frames, dim]}. */
    final float[] e;
    /** Time projection {@code e0 [frames, 6, dim]}. */
    final float[] e0;
    /** A block's (or the head's) modulation = its parameter + e0 (or e) {@code [frames, 6, dim]}. */
    final float[] modulation;

    /**
     * @param maxFrames   most latent frames one call processes (a block, or the recache window)
     * @param frameSeqLen tokens per latent frame
     */
    public DitState(DitConfig c, int maxFrames, int frameSeqLen) {
        if (maxFrames < 1 || frameSeqLen < 1)
            throw new IllegalArgumentException("DitState: bad maxFrames=" + maxFrames + " frameSeqLen=" + frameSeqLen);
        long tokens = (long) maxFrames * frameSeqLen;
        if (tokens * Math.max(c.dim(), Math.max(c.patchVolume(), c.headOutDim())) > Integer.MAX_VALUE - 8)
            throw new IllegalArgumentException("DitState: " + maxFrames + " frames of " + frameSeqLen
                    + " tokens are too many for one call");
        this.maxFrames = maxFrames;
        this.frameSeqLen = frameSeqLen;
        this.maxTokens = (int) tokens;
        // The FFN is row-wise: run it over chunks of at most 3 frames so its [tokens, ffn_dim] hidden buffer stays
        // small even for a 12-frame recache.
        this.ffnRows = Math.min(maxTokens, 3 * frameSeqLen);
        int d = c.dim();
        x = new float[maxTokens * d];
        h = new float[maxTokens * d];
        q = new float[maxTokens * d];
        k = new float[maxTokens * d];
        v = new float[maxTokens * d];
        attn = new float[maxTokens * d];
        y = new float[maxTokens * d];
        ffnHidden = new float[ffnRows * c.ffnDim()];
        patches = new float[maxTokens * c.patchVolume()];
        headOut = new float[maxTokens * c.headOutDim()];
        positions = new double[maxFrames];
        sinusoid = new float[maxFrames * c.freqDim()];
        timeHidden = new float[maxFrames * d];
        e = new float[maxFrames * d];
        e0 = new float[maxFrames * 6 * d];
        modulation = new float[maxFrames * 6 * d];
    }

    public int maxFrames() {
        return maxFrames;
    }

    public int frameSeqLen() {
        return frameSeqLen;
    }

    /** Bytes of all buffers. */
    public long bytes() {
        long n = 0;
        for (float[] a : new float[][] {x, h, q, k, v, attn, y, ffnHidden, patches, headOut, sinusoid, timeHidden, e,
                e0, modulation}) n += a.length;
        return n * Float.BYTES;
    }
}
