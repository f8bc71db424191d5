package longlive.text;

import longlive.kernel.Parallel;
import longlive.tensor.ShapeException;

/**
 * The umT5 encoder forward as Wan runs it ({@code wan/modules/t5.py} {@code T5Encoder.forward} inside
 * {@code WanTextEncoder.forward}), in float32, inference only:
 *
 * <pre>
 * x = token_embedding[ids]                                   [L, dim]
 * per layer:  x += o(attention(norm1(x), bias = pos_bias | mask))
 *             x += fc2(fc1(norm2(x)) * gelu_tanh(gate(norm2(x))))
 * x = norm(x); rows at and past the sequence length are zeroed
 * </pre>
 *
 * Attention is NOT scaled by 1/sqrt(head_dim) (T5 folds that into the q init). Its bias is the relative position
 * bucket embedding, except that where the KEY is padding the bias is replaced by {@code -Float.MAX_VALUE}
 * ({@code finfo(float32).min}, {@code masked_fill}). The reference computes the padding query rows too and zeroes
 * them at the end; here they are skipped when the mask is a prefix (see {@link #forward(long[], long[])}).
 *
 * <p>One sequence per call; buffers are allocated per call (a prompt is encoded once and then cached), none per
 * token or per layer except the per-thread attention scratch. With a prefix mask only the real tokens are computed:
 * a 40-token prompt padded to 512 costs about a twentieth of the reference's full pass (docs/text.md).
 */
public final class T5Encoder {
    private final T5Weights weights;
    private final T5Kernels kernels;

    public T5Encoder(T5Weights weights, T5Kernels kernels) {
        this.weights = weights;
        this.kernels = kernels;
    }

    public T5Config config() {
        return weights.config();
    }

    /** Work buffers for a sequence of {@code len} tokens. */
    private static final class State {
        final float[] x;        // [L, dim] residual stream
        final float[] h;        // [L, dim] normed input of a sub-layer
        final float[] q, k, v;  // [L, dim_attn] projections, heads side by side
        final float[] attn;     // [L, dim_attn] attention output before o
        final float[] gate;     // [L, dim_ffn] gate(h), then gelu(gate) * fc1(h)
        final float[] up;       // [L, dim_ffn] fc1(h)
        final int[] buckets;    // [L, L] relative position bucket of (query, key)

        State(T5Config c, int len) {
            x = new float[len * c.dim()];
            h = new float[len * c.dim()];
            q = new float[len * c.dimAttn()];
            k = new float[len * c.dimAttn()];
            v = new float[len * c.dimAttn()];
            attn = new float[len * c.dimAttn()];
            gate = new float[len * c.dimFfn()];
            up = new float[len * c.dimFfn()];
            buckets = RelativePositionBuckets.table(len, c.numBuckets());
        }
    }

    /**
     * Encodes one token sequence.
     *
     * @param ids  {@code [L]} token ids in {@code [0, vocab_size)}, padding included
     * @param mask {@code [L]} attention mask, nonzero = real token (the tokenizer's {@code attention_mask})
     * @return {@code [L, dim]} embeddings; the rows from {@code count(mask > 0)} on are zero, as
     *         {@code WanTextEncoder} leaves them
     */
    public float[] forward(long[] ids, long[] mask) {
        return forward(ids, mask, true);
    }

    /** {@link #forward}; {@code prefixShortcut false} computes all positions like the reference (tests). */
    float[] forward(long[] ids, long[] mask, boolean prefixShortcut) {
        T5Config c = weights.config();
        int len = ids.length;
        if (len == 0) throw new ShapeException("t5 forward: empty token sequence");
        if (mask.length != len)
            throw new ShapeException("t5 forward: token_ids [" + len + "] and mask [" + mask.length + "] differ");
        int seqLen = 0, validPrefix = 0;
        for (int j = 0; j < len; j++) {
            if (mask[j] > 0) seqLen++;
            if (mask[j] != 0 && validPrefix == j) validPrefix++;
        }
        for (int t = 0; t < len; t++) {
            if (ids[t] < 0 || ids[t] >= c.vocabSize())
                throw new IllegalArgumentException("t5 forward: token id " + ids[t] + " at position " + t
                        + " is outside the vocabulary [0, " + c.vocabSize() + ")");
        }
        // With the usual mask (real tokens first, then padding) only the prefix is computed: padding keys get a bias
        // of -Float.MAX_VALUE, so their softmax weight is exactly 0, and padding query rows are zeroed at the end,
        // so the real rows come out the same as over all len tokens (the reference computes all 512).
        boolean prefixMask = validPrefix == seqLen && seqLen == count(mask);
        int run = prefixShortcut && prefixMask ? seqLen : len;
        float[] out = new float[len * c.dim()];
        if (run == 0) return out;
        boolean[] keyValid = new boolean[run];
        for (int j = 0; j < run; j++) keyValid[j] = mask[j] != 0;
        State s = new State(c, run);
        int d = c.dim();
        for (int t = 0; t < run; t++) weights.tokenEmbedding().copyRow((int) ids[t], s.x, t * d);
        for (int layer = 0; layer < c.numLayers(); layer++) block(s, run, layer, keyValid);
        kernels.rmsNorm().forward(kernels.parallel(), s.x, 0, s.x, 0, run, d, weights.finalNorm(), T5Config.EPS,
                null, 0);
        // WanTextEncoder zeroes the rows from count(mask > 0) on.
        System.arraycopy(s.x, 0, out, 0, Math.min(run, seqLen) * d);
        return out;
    }

    private static int count(long[] mask) {
        int n = 0;
        for (long m : mask) if (m != 0) n++;
        return n;
    }

    /** One {@code T5SelfAttention} layer, in place on {@code s.x}. */
    private void block(State s, int len, int layer, boolean[] keyValid) {
        T5Config c = weights.config();
        T5BlockWeights b = weights.blocks().get(layer);
        int d = c.dim(), a = c.dimAttn(), f = c.dimFfn();
        var mm = kernels.matMul();
        var par = kernels.parallel();
        // attention sub-layer: x += o(attn(norm1(x)))
        kernels.rmsNorm().forward(par, s.x, 0, s.h, 0, len, d, b.norm1(), T5Config.EPS, null, 0);
        b.q().linear(mm, len, s.h, 0, s.q, 0, false);
        b.k().linear(mm, len, s.h, 0, s.k, 0, false);
        b.v().linear(mm, len, s.h, 0, s.v, 0, false);
        attention(s, len, weights.positionTable(layer), keyValid);
        b.o().linear(mm, len, s.attn, 0, s.x, 0, true);
        // feed-forward sub-layer: x += fc2(fc1(h) * gelu(gate(h)))
        kernels.rmsNorm().forward(par, s.x, 0, s.h, 0, len, d, b.norm2(), T5Config.EPS, null, 0);
        b.gate().linear(mm, len, s.h, 0, s.gate, 0, false);
        b.fc1().linear(mm, len, s.h, 0, s.up, 0, false);
        kernels.activations().geluGated(par, s.gate, 0, s.up, 0, s.gate, 0, len * f);
        b.fc2().linear(mm, len, s.gate, 0, s.x, 0, true);
    }

    /**
     * Unscaled multi-head attention with an additive per-head bias ({@code T5Attention.forward}): for head h,
     * {@code softmax(q_h k_h^T + bias_h) v_h} with {@code bias_h[i, j] = table[bucket(j - i), h]}, or
     * {@code -Float.MAX_VALUE} where key j is padding. Heads are split over threads; each thread gathers its
     * head's q, k, v into contiguous scratch so the scores are two plain GEMMs.
     *
     * @param table {@code [num_buckets, num_heads]}
     */
    private void attention(State s, int len, float[] table, boolean[] keyValid) {
        T5Config c = weights.config();
        int heads = c.numHeads(), hd = c.headDim(), a = c.dimAttn();
        var mm = kernels.matMul();
        kernels.parallel().forRange(heads, 1, (from, to) -> {
            // Scratch per thread range (a few per layer), not per head or per token.
            float[] qh = new float[len * hd], kh = new float[len * hd], vh = new float[len * hd];
            float[] scores = new float[len * len], oh = new float[len * hd];
            for (int h = from; h < to; h++) {
                for (int t = 0; t < len; t++) {
                    System.arraycopy(s.q, t * a + h * hd, qh, t * hd, hd);
                    System.arraycopy(s.k, t * a + h * hd, kh, t * hd, hd);
                    System.arraycopy(s.v, t * a + h * hd, vh, t * hd, hd);
                }
                // Nested inside a pool task, the GEMM runs on this thread (Parallel does not fork from a worker).
                mm.gemm(len, len, hd, qh, 0, false, kh, 0, true, null, scores, 0, false);
                for (int i = 0; i < len; i++) {
                    int row = i * len;
                    for (int j = 0; j < len; j++)
                        scores[row + j] += keyValid[j] ? table[s.buckets[row + j] * heads + h] : -Float.MAX_VALUE;
                }
                kernels.softmax().forward(Parallel.serial(), scores, 0, scores, 0, len, len);
                mm.gemm(len, hd, len, scores, 0, false, vh, 0, false, null, oh, 0, false);
                for (int t = 0; t < len; t++) System.arraycopy(oh, t * hd, s.attn, t * a + h * hd, hd);
            }
        });
    }
}
