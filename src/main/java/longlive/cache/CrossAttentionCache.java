package longlive.cache;

/**
 * The cross-attention keys and values of one prompt for every layer: {@code k = norm_k(W_k context)},
 * {@code v = W_v context}, each {@code [textLen, dim]}. They depend only on the prompt, so the reference computes them
 * on a layer's first call after a reset ({@code crossattn_cache["is_init"]}) and reuses them for every later block;
 * a prompt switch resets them ({@code InteractiveCausalInferencePipeline._recache_after_switch}).
 *
 * <p>The arrays are allocated once; {@link #invalidate()} marks them stale instead of freeing them.
 */
public final class CrossAttentionCache {
    private final float[][] k;
    private final float[][] v;
    private final boolean[] filled;

    public CrossAttentionCache(int numLayers, int textLen, int dim) {
        if (numLayers < 1 || textLen < 1 || dim < 1)
            throw new IllegalArgumentException("CrossAttentionCache: bad sizes layers=" + numLayers + " textLen="
                    + textLen + " dim=" + dim);
        k = new float[numLayers][textLen * dim];
        v = new float[numLayers][textLen * dim];
        filled = new boolean[numLayers];
    }

    /** Whether layer {@code layer} holds the current prompt's keys/values. */
    public boolean isFilled(int layer) {
        return filled[layer];
    }

    /** Marks layer {@code layer} as holding the current prompt's keys/values (written into {@link #keys}). */
    public void markFilled(int layer) {
        filled[layer] = true;
    }

    /** Keys of layer {@code layer}, {@code [textLen, dim]}. */
    public float[] keys(int layer) {
        return k[layer];
    }

    /** Values of layer {@code layer}, {@code [textLen, dim]}. */
    public float[] values(int layer) {
        return v[layer];
    }

    /** Forgets the prompt: the next forward recomputes every layer's keys/values from its context. */
    public void invalidate() {
        java.util.Arrays.fill(filled, false);
    }

    public long bytes() {
        return 2L * k.length * k[0].length * Float.BYTES;
    }
}
