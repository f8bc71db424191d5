package longlive.text;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;
import longlive.tensor.Tensor;

/**
 * A least-recently-used cache of prompt embeddings, so switching back to an earlier prompt in an interactive session
 * costs a copy instead of a text-encoder pass (umT5-XXL: seconds per prompt on a CPU).
 *
 * <p>Keys are the cleaned prompt text (two prompts that clean to the same text tokenize identically). Values are
 * kept private: {@link #get} hands out a copy, so a caller that writes into its embedding cannot corrupt the cache.
 * Thread-safe; a miss computes outside the lock, so two threads missing the same prompt may both compute it.
 */
public final class PromptEmbeddingCache {
    private final int capacity;
    private final LinkedHashMap<String, Tensor> entries;
    private long hits, misses;

    /** @param capacity the number of prompts kept (>= 1); the least recently used one is evicted beyond it */
    public PromptEmbeddingCache(int capacity) {
        if (capacity < 1) throw new IllegalArgumentException("PromptEmbeddingCache: capacity must be >= 1, got " + capacity);
        this.capacity = capacity;
        this.entries = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Tensor> eldest) {
                return size() > PromptEmbeddingCache.this.capacity;
            }
        };
    }

    /** The embedding of {@code key} (a copy), computing and storing it with {@code compute} on a miss. */
    public Tensor get(String key, Function<String, Tensor> compute) {
        Tensor cached;
        synchronized (this) {
            cached = entries.get(key);
            if (cached != null) hits++;
            else misses++;
        }
        if (cached != null) return cached.copy();
        Tensor fresh = compute.apply(key);
        synchronized (this) {
            entries.put(key, fresh.copy());
        }
        return fresh;
    }

    public synchronized boolean contains(String key) {
        return entries.containsKey(key);
    }

    public synchronized int size() {
        return entries.size();
    }

    public int capacity() {
        return capacity;
    }

    public synchronized long hits() {
        return hits;
    }

    public synchronized long misses() {
        return misses;
    }

    public synchronized void clear() {
        entries.clear();
    }
}
