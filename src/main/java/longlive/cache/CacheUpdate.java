package longlive.cache;

/**
 * What one causal forward does to one layer's {@link KvCache}: planned from the cache's end indices before the
 * layer runs ({@link KvCache#plan}), its data written into the layer's slots once the new keys and values exist
 * ({@link KvCache#write}), and its indices committed after all layers ({@link KvCache#commit}). Mirrors the
 * {@code cache_update_info} dicts of {@code CausalWanSelfAttention.forward} (wan/modules/causal_model.py).
 *
 * <p>All positions are in tokens. New rows {@code [newOffset, newOffset + writeEnd - writeStart)} of the forward's
 * keys/values go to slots {@code [writeStart, writeEnd)}.
 */
public sealed interface CacheUpdate permits CacheUpdate.RollAndInsert, CacheUpdate.DirectInsert {

    /** Slot where this forward's tokens start ({@code local_start_index}). */
    int localStart();

    /** Slot after this forward's last token ({@code local_end_index}); attention sees slots below it. */
    int localEnd();

    /** First slot written (may be above {@link #localStart()} when the sink slots are protected). */
    int writeStart();

    /** Row of the forward's new keys that goes to {@link #writeStart()} ({@code roped_offset}). */
    int newOffset();

    /** Global token position after this forward ({@code current_end}); a long, so endless streams never overflow. */
    long currentEnd();

    /** A repeated denoising step over tokens already cached: indices are not advanced on commit. */
    boolean isRecompute();

    /** Number of slots written. */
    default int writeLength() {
        return Math.max(0, localEnd() - writeStart());
    }

    /**
     * The window is full: slots {@code [sinkTokens + evicted, sinkTokens + evicted + rolled)} move down to
     * {@code [sinkTokens, sinkTokens + rolled)} (the oldest non-sink tokens are evicted), then the new tokens go in.
     */
    record RollAndInsert(int sinkTokens, int rolledTokens, int evictedTokens, int localStart, int localEnd,
                         int writeStart, int newOffset, long currentEnd, boolean isRecompute) implements CacheUpdate {}

    /** Room left (or a recompute over cached tokens): the new tokens are written in place. */
    record DirectInsert(int localStart, int localEnd, int writeStart, int newOffset, long currentEnd,
                        boolean isRecompute) implements CacheUpdate {}
}
