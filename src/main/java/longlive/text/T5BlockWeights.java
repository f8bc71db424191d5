package longlive.text;

/**
 * The weights of one umT5 encoder layer ({@code T5SelfAttention}): pre-norm self-attention, then a pre-norm gated
 * GELU-tanh feed-forward. No Linear has a bias. The seven Linear weights are {@link WeightMatrix} in PyTorch layout
 * {@code [out, in]}, held in float32 or bf16 (see {@link T5Weights}); norms and the position table are always float32.
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
public record T5BlockWeights(float[] norm1, WeightMatrix q, WeightMatrix k, WeightMatrix v, WeightMatrix o,
                             float[] norm2, WeightMatrix gate, WeightMatrix fc1, WeightMatrix fc2,
                             float[] posEmbedding) {

    /** Zero-filled float32 weights of the right sizes for {@code c} (a loader fills them). */
    public static T5BlockWeights zeros(T5Config c) {
        int d = c.dim(), a = c.dimAttn(), f = c.dimFfn();
        return new T5BlockWeights(new float[d], WeightMatrix.zeros(a, d), WeightMatrix.zeros(a, d),
                WeightMatrix.zeros(a, d), WeightMatrix.zeros(d, a), new float[d], WeightMatrix.zeros(f, d),
                WeightMatrix.zeros(f, d), WeightMatrix.zeros(d, f),
                c.sharedPos() ? null : new float[c.numBuckets() * c.numHeads()]);
    }

    /** The seven Linear weights in module order q, k, v, o, gate, fc1, fc2. */
    public java.util.List<WeightMatrix> matrices() {
        return java.util.List.of(q, k, v, o, gate, fc1, fc2);
    }

    /** The same layer with every matrix converted by {@code f} (norms and position table shared). */
    T5BlockWeights mapMatrices(java.util.function.UnaryOperator<WeightMatrix> f) {
        return new T5BlockWeights(norm1, f.apply(q), f.apply(k), f.apply(v), f.apply(o), norm2, f.apply(gate),
                f.apply(fc1), f.apply(fc2), posEmbedding);
    }

    /** Checks every shape against {@code c}; names the first wrong one. */
    void requireSizes(T5Config c, int layer) {
        int d = c.dim(), a = c.dimAttn(), f = c.dimFfn();
        String p = "T5 layer " + layer + ": ";
        size(p + "norm1", norm1, d);
        shape(p + "q", q, a, d);
        shape(p + "k", k, a, d);
        shape(p + "v", v, a, d);
        shape(p + "o", o, d, a);
        size(p + "norm2", norm2, d);
        shape(p + "gate", gate, f, d);
        shape(p + "fc1", fc1, f, d);
        shape(p + "fc2", fc2, d, f);
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

    static void shape(String what, WeightMatrix m, int rows, int cols) {
        if (m == null || m.rows() != rows || m.cols() != cols)
            throw new IllegalArgumentException(what + " is " + (m == null ? "missing" : m.toString())
                    + ", expected [" + rows + ", " + cols + "]");
    }
}
