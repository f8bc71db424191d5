package longlive.text;

/**
 * T5's bidirectional relative-position buckets ({@code T5RelativeEmbedding._relative_position_bucket} with
 * {@code bidirectional=True}): half of the buckets for keys after the query, half for keys at or before it; within
 * a half, distances below {@code num_buckets/4} get their own bucket and larger ones share logarithmically spaced
 * buckets up to {@link T5Config#MAX_DISTANCE}, beyond which everything falls into the last one.
 */
public final class RelativePositionBuckets {
    private RelativePositionBuckets() {}

    /**
     * The bucket of a key at {@code relPos = key - query} positions from its query.
     *
     * <p>The logarithm is evaluated in float32 like the reference (a float tensor divided by Python floats), so a
     * distance that lands exactly on a bucket boundary is truncated the same way.
     */
    public static int bucket(int relPos, int numBuckets) {
        int half = numBuckets / 2;
        int bucket = relPos > 0 ? half : 0;
        int dist = Math.abs(relPos);
        int maxExact = half / 2;
        if (dist < maxExact) return bucket + dist;
        float ratio = (float) dist / maxExact;
        float logRatio = (float) Math.log(ratio);
        float logRange = (float) Math.log((double) T5Config.MAX_DISTANCE / maxExact);
        long large = maxExact + (long) (logRatio / logRange * (float) (half - maxExact));
        return bucket + (int) Math.min(large, half - 1);
    }

    /** Buckets of all query/key pairs of a sequence: {@code [len, len]}, element {@code i*len + j} for query i, key j. */
    public static int[] table(int len, int numBuckets) {
        // Depends only on j - i: compute each of the 2 len - 1 distances once.
        int[] byDistance = new int[2 * len - 1];
        for (int r = -(len - 1); r < len; r++) byDistance[r + len - 1] = bucket(r, numBuckets);
        int[] out = new int[len * len];
        for (int i = 0; i < len; i++)
            for (int j = 0; j < len; j++) out[i * len + j] = byDistance[j - i + len - 1];
        return out;
    }
}
