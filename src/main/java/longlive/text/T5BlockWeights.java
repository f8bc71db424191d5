package longlive.text;

/**
 * The weights of one umT5 encoder layer ({@code T5SelfAttention}): pre-norm self-attention, then a pre-norm gated
 * GELU-tanh feed-forward. No Linear has a bias. Row-major, PyTorch Linear layout {@code [out, in]}.
 *
 * @param norm1       {@code [dim]} T5 RMSNorm weight before attention
 * @param q           {@code [dim_attn, dim]}
 * @param k           {@code [dim_attn, dim]}
 * @param v           {@code [dim_attn, dim]}
 * @param o           {@code [dim, dim_attn]}
 * @param norm2       {@code [dim]} T5 RMSNorm weight before the feed-forward
 * @param gate        {@code [dim_ffn, dim]}, followed by GELU-tanh ({@code ffn.gate.0})
 * @param fc1         {@code [dim_ffn, dim]}
 * @param fc2         {@code [dim, dim_ffn]}
 * @param posEmbedding {@code [num_buckets, num_heads]} relative position bias of this layer, or null when the
 *                    config shares one table ({@code shared_pos})
 */
public record T5BlockWeights(float[] norm1, float[] q, float[] k, float[] v, float[] o, float[] norm2, float[] gate,
                             float[] fc1, float[] fc2, float[] posEmbedding) {

    /** Zero-filled weights of the right sizes for {@code c} (a loader fills them). */
    public static T5BlockWeights zeros(T5Config c) {
        int d = c.dim(), a = c.dimAttn(), f = c.dimFfn();
        return new T5BlockWeights(new float[d], new float[a * d], new float[a * d], new float[a * d], new float[d * a],
                new float[d], new float[f * d], new float[f * d], new float[d * f],
                c.sharedPos() ? null : new float[c.numBuckets() * c.numHeads()]);
    }

    /** Checks every array length against {@code c}; names the first wrong one. */
    void requireSizes(T5Config c, int layer) {
        int d = c.dim(), a = c.dimAttn(), f = c.dimFfn();
        String p = "T5 layer " + layer + ": ";
        size(p + "norm1", norm1, d);
        size(p + "q", q, (long) a * d);
        size(p + "k", k, (long) a * d);
        size(p + "v", v, (long) a * d);
        size(p + "o", o, (long) d * a);
        size(p + "norm2", norm2, d);
        size(p + "gate", gate, (long) f * d);
        size(p + "fc1", fc1, (long) f * d);
        size(p + "fc2", fc2, (long) d * f);
        if (c.sharedPos() != (posEmbedding == null))
            throw new IllegalArgumentException(p + (c.sharedPos()
                    ? "has its own position table but the config shares one (shared_pos true)"
                    : "has no position table but the config has one per layer (shared_pos false)"));
        if (posEmbedding != null) size(p + "pos_embedding", posEmbedding, (long) c.numBuckets() * c.numHeads());
    }

    static void size(String what, float[] a, long expected) {
        if (a == null || a.length != expected)
            throw new IllegalArgumentException(what + " has " + (a == null ? "no array" : a.length + " elements")
                    + ", expected " + expected);
    }
}
