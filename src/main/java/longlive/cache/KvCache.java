package longlive.cache;

import java.util.Arrays;

/**
 * One transformer layer's self-attention key/value cache: a fixed number of token slots
 * ({@code [capacityTokens, dim]} for keys and for values, heads side by side) whose first {@link #sinkTokens()} slots
 * are the attention sink and whose remaining slots are a rolling window, plus the two end indices of the reference
 * ({@code global_end_index}: tokens generated so far; {@code local_end_index}: slots in use). Mirrors the cache
 * dicts of {@code CausalInferencePipeline._initialize_kv_cache} and the arithmetic of
 * {@code CausalWanSelfAttention.forward} / {@code CausalWanModel._apply_cache_updates} (wan/modules/causal_model.py).
 *
 * <p>Memory is fixed at construction; nothing here grows with the length of the stream.
 *
 * <p>A forward uses it in three steps: {@link #plan} (pure arithmetic on the indices), {@link #write} (the roll and
 * the insert of the new keys/values; done before the layer's attention reads the slots, which is exactly the
 * reference's temporary {@code temp_k}/{@code temp_v}, since no other layer reads this cache), and {@link #commit}
 * after all layers (advance the indices unless the forward was a recompute).
 */
public final class KvCache {
    private final int capacityTokens;
    private final int dim;
    private final int sinkTokens;
    private final boolean rolling;
    private final int maxAttentionTokens;
    private final float[] k;
    private final float[] v;
    private long globalEndIndex;
    private int localEndIndex;

    /**
     * @param capacityTokens     slots ({@code local_attn_size * frameSeqLen}, or all frames for global attention)
     * @param dim                heads * head_dim
     * @param sinkTokens         {@code sink_size * frameSeqLen}; protected from eviction and from recompute writes
     * @param rolling            true with a local window ({@code local_attn_size != -1}): a full cache evicts
     * @param maxAttentionTokens the reference's {@code max_attention_size}: attention sees the sink plus at most
     *                           {@code maxAttentionTokens - sinkTokens} most recent slots
     */
    public KvCache(int capacityTokens, int dim, int sinkTokens, boolean rolling, int maxAttentionTokens) {
        if (capacityTokens < 1 || dim < 1 || sinkTokens < 0 || sinkTokens > capacityTokens || maxAttentionTokens < 1)
            throw new IllegalArgumentException("KvCache: bad sizes capacity=" + capacityTokens + " dim=" + dim
                    + " sink=" + sinkTokens + " maxAttention=" + maxAttentionTokens);
        if ((long) capacityTokens * dim > Integer.MAX_VALUE - 8)
            throw new IllegalArgumentException("KvCache: " + capacityTokens + " tokens x " + dim
                    + " does not fit in one Java array; use a local attention window");
        this.capacityTokens = capacityTokens;
        this.dim = dim;
        this.sinkTokens = sinkTokens;
        this.rolling = rolling;
        this.maxAttentionTokens = maxAttentionTokens;
        this.k = new float[capacityTokens * dim];
        this.v = new float[capacityTokens * dim];
    }

    /**
     * Plans a forward over {@code numNewTokens} tokens starting at global token {@code currentStart}.
     *
     * @param sinkRecacheAfterSwitch the recache with {@code global_sink: false}: the write may cover the sink slots
     *                               even though the forward is a recompute
     * @throws IllegalStateException when the tokens do not fit (more new tokens than the window can take)
     */
    public CacheUpdate plan(long currentStart, int numNewTokens, boolean sinkRecacheAfterSwitch) {
        if (currentStart < 0 || numNewTokens < 1)
            throw new IllegalArgumentException("KvCache.plan: bad currentStart=" + currentStart + " numNew=" + numNewTokens);
        long currentEnd = currentStart + numNewTokens;
        boolean isRecompute = currentEnd <= globalEndIndex && currentStart > 0;
        if (rolling && currentEnd > globalEndIndex && numNewTokens + localEndIndex > capacityTokens) {
            int evicted = numNewTokens + localEndIndex - capacityTokens;
            int rolled = localEndIndex - evicted - sinkTokens;
            long localEndL = localEndIndex + currentEnd - globalEndIndex - evicted;
            if (rolled < 0 || localEndL - numNewTokens < 0 || localEndL > capacityTokens)
                throw new IllegalStateException("KvCache: " + numNewTokens + " new tokens do not fit a window of "
                        + capacityTokens + " slots with " + sinkTokens + " sink slots (local end " + localEndIndex
                        + ", global end " + globalEndIndex + ", start " + currentStart + ")");
            int localEnd = (int) localEndL, localStart = localEnd - numNewTokens;
            int writeStart = isRecompute ? Math.max(localStart, sinkTokens) : localStart;
            return new CacheUpdate.RollAndInsert(sinkTokens, rolled, evicted, localStart, localEnd, writeStart,
                    Math.max(0, writeStart - localStart), currentEnd, isRecompute);
        }
        long localEndL = localEndIndex + currentEnd - globalEndIndex;
        if (localEndL - numNewTokens < 0 || localEndL > capacityTokens)
            throw new IllegalStateException("KvCache: tokens [" + currentStart + ", " + currentEnd + ") map to slots ["
                    + (localEndL - numNewTokens) + ", " + localEndL + ") outside the " + capacityTokens
                    + " slots of the cache (local end " + localEndIndex + ", global end " + globalEndIndex + ")");
        int localEnd = (int) localEndL, localStart = localEnd - numNewTokens;
        int writeStart = isRecompute ? Math.max(localStart, sinkTokens) : localStart;
        if (sinkRecacheAfterSwitch) writeStart = localStart;
        return new CacheUpdate.DirectInsert(localStart, localEnd, writeStart, Math.max(0, writeStart - localStart),
                currentEnd, isRecompute);
    }

    /**
     * Applies the data part of {@code u}: the roll (if any), then rows {@code [u.newOffset(), ...)} of
     * {@code newK}/{@code newV} ({@code [numNew, dim]} from offset 0) into slots {@code [writeStart, localEnd)}.
     */
    public void write(CacheUpdate u, float[] newK, float[] newV) {
        if (u instanceof CacheUpdate.RollAndInsert r) {
            // arraycopy copies as if through a temporary, like the reference's .clone() of the source slice
            int from = (r.sinkTokens() + r.evictedTokens()) * dim, to = r.sinkTokens() * dim, len = r.rolledTokens() * dim;
            System.arraycopy(k, from, k, to, len);
            System.arraycopy(v, from, v, to, len);
        }
        int n = u.writeLength();
        if (n > 0) {
            System.arraycopy(newK, u.newOffset() * dim, k, u.writeStart() * dim, n * dim);
            System.arraycopy(newV, u.newOffset() * dim, v, u.writeStart() * dim, n * dim);
        }
    }

    /** Advances the end indices after all layers ran; a recompute leaves them alone. */
    public void commit(CacheUpdate u) {
        if (!u.isRecompute()) {
            globalEndIndex = u.currentEnd();
            localEndIndex = u.localEnd();
        }
    }

    /**
     * The slots the attention of a forward planned as {@code u} reads (after {@link #write}): the sink slots
     * {@code [0, sinkTokens)} (even those not yet written, as the reference does) followed by the most recent slots
     * up to {@code localEnd}, together at most {@code maxAttentionTokens}.
     */
    public KeyRanges attentionRanges(CacheUpdate u) {
        int localEnd = u.localEnd();
        if (sinkTokens > 0) {
            int budget = maxAttentionTokens - sinkTokens;
            if (budget <= 0) return new KeyRanges(0, sinkTokens, sinkTokens, sinkTokens);
            int start = Math.max(sinkTokens, localEnd - budget);
            return new KeyRanges(0, sinkTokens, start, Math.max(start, localEnd));
        }
        int start = Math.max(0, localEnd - maxAttentionTokens);
        return new KeyRanges(start, localEnd, localEnd, localEnd);
    }

    /** Zeroes every key and value slot and keeps the indices (the recache with {@code global_sink: false}). */
    public void zeroData() {
        Arrays.fill(k, 0f);
        Arrays.fill(v, 0f);
    }

    /** Back to the empty cache of a new video. */
    public void reset() {
        zeroData();
        globalEndIndex = 0;
        localEndIndex = 0;
    }

    /** Keys {@code [capacityTokens, dim]} (rotated at absolute positions, or unrotated in the relative mode). */
    public float[] keys() {
        return k;
    }

    /** Values {@code [capacityTokens, dim]}. */
    public float[] values() {
        return v;
    }

    public int capacityTokens() {
        return capacityTokens;
    }

    public int sinkTokens() {
        return sinkTokens;
    }

    public int dim() {
        return dim;
    }

    public boolean rolling() {
        return rolling;
    }

    public int maxAttentionTokens() {
        return maxAttentionTokens;
    }

    public long globalEndIndex() {
        return globalEndIndex;
    }

    public int localEndIndex() {
        return localEndIndex;
    }

    /** Bytes held by the key and value arrays. */
    public long bytes() {
        return 2L * k.length * Float.BYTES;
    }

    /**
     * Key slots an attention reads: {@code [lo0, hi0)} then {@code [lo1, hi1)}; contiguous when {@code hi0 == lo1}.
     */
    public record KeyRanges(int lo0, int hi0, int lo1, int hi1) {
        public boolean contiguous() {
            return hi0 == lo1 || lo1 == hi1;
        }

        /** Slots read in total. */
        public int count() {
            return (hi0 - lo0) + (hi1 - lo1);
        }
    }
}
