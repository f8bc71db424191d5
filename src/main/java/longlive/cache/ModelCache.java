package longlive.cache;

import java.util.ArrayList;
import java.util.List;

/**
 * All cache state of one generation session, allocated once: a {@link KvCache} per transformer layer, the
 * {@link CrossAttentionCache} of the current prompt, and a key scratch buffer the relative RoPE mode rotates the
 * window's keys into. Its size depends on the window (or, for global attention, the frame limit), never on how long
 * the stream has run.
 */
public final class ModelCache {
    private final List<KvCache> layers;
    private final CrossAttentionCache cross;
    private final float[] keyScratch;
    private final CacheUpdate[] pending;
    private final int frameSeqLen;
    private final int windowFrames;
    private final int sinkFrames;

    /**
     * @param windowFrames frames the cache holds ({@code local_attn_size}, or the frame limit for global attention)
     * @param rolling      true for a local window (evicts when full), false for global attention
     * @param maxAttentionTokens the reference's {@code max_attention_size}
     * @param relativeRope whether keys are stored unrotated (allocates the rotation scratch)
     */
    public ModelCache(int numLayers, int dim, int textLen, int frameSeqLen, int windowFrames, int sinkFrames,
                      boolean rolling, int maxAttentionTokens, boolean relativeRope) {
        if (numLayers < 1 || frameSeqLen < 1 || windowFrames < 1 || sinkFrames < 0 || sinkFrames > windowFrames)
            throw new IllegalArgumentException("ModelCache: bad sizes layers=" + numLayers + " frameSeqLen=" + frameSeqLen
                    + " window=" + windowFrames + " sink=" + sinkFrames);
        long capacity = (long) windowFrames * frameSeqLen;
        if (capacity * dim > Integer.MAX_VALUE - 8)
            throw new IllegalArgumentException("ModelCache: a window of " + windowFrames + " frames x " + frameSeqLen
                    + " tokens x " + dim + " does not fit one Java array per layer");
        this.frameSeqLen = frameSeqLen;
        this.windowFrames = windowFrames;
        this.sinkFrames = sinkFrames;
        List<KvCache> ls = new ArrayList<>(numLayers);
        for (int i = 0; i < numLayers; i++)
            ls.add(new KvCache((int) capacity, dim, sinkFrames * frameSeqLen, rolling, maxAttentionTokens));
        this.layers = List.copyOf(ls);
        this.cross = new CrossAttentionCache(numLayers, textLen, dim);
        this.keyScratch = relativeRope ? new float[(int) capacity * dim] : null;
        this.pending = new CacheUpdate[numLayers];
    }

    public KvCache layer(int i) {
        return layers.get(i);
    }

    public List<KvCache> layers() {
        return layers;
    }

    public int numLayers() {
        return layers.size();
    }

    public CrossAttentionCache crossAttention() {
        return cross;
    }

    /** {@code [capacityTokens, dim]} scratch for rotated keys (relative RoPE mode); null in the absolute mode. */
    public float[] keyScratch() {
        return keyScratch;
    }

    public int frameSeqLen() {
        return frameSeqLen;
    }

    public int windowFrames() {
        return windowFrames;
    }

    public int sinkFrames() {
        return sinkFrames;
    }

    /** Remembers layer {@code i}'s plan until {@link #commitAll()} (the reference's {@code cache_update_infos}). */
    public void setPending(int i, CacheUpdate u) {
        pending[i] = u;
    }

    /** Commits every layer's pending plan (indices advance unless recompute); called after all layers ran. */
    public void commitAll() {
        for (int i = 0; i < pending.length; i++) {
            if (pending[i] == null) throw new IllegalStateException("ModelCache: layer " + i + " has no pending update");
            layers.get(i).commit(pending[i]);
            pending[i] = null;
        }
    }

    /** Zeroes all self-attention keys/values, keeping the indices ({@code global_sink: false} before a recache). */
    public void zeroSelfAttentionData() {
        for (KvCache c : layers) c.zeroData();
    }

    /** Empties everything for a new video. */
    public void reset() {
        for (KvCache c : layers) c.reset();
        cross.invalidate();
        java.util.Arrays.fill(pending, null);
    }

    /** Bytes of self-attention keys/values, cross-attention keys/values and the scratch. */
    public long bytes() {
        long n = cross.bytes();
        for (KvCache c : layers) n += c.bytes();
        if (keyScratch != null) n += (long) keyScratch.length * Float.BYTES;
        return n;
    }
}
