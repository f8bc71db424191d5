package longlive.text;

/**
 * What a training forward of the umT5 encoder ({@link T5Backward#forward}) records for its backward: the
 * activations of one token sequence. Owned by the caller, sized once for a maximum sequence length and reused
 * across steps (one tape per sequence that is still waiting for its backward, e.g. one per prompt of a batch).
 *
 * <p>Per layer {@code l}, for the {@link #rows()} positions computed: the layer input {@code xIn} and its norm
 * {@code h1} with the row scales {@code rstd1}; the projections {@code q, k, v}; the softmax probabilities
 * {@code probs [heads, L, L]}; the attention output before {@code o}; the residual after attention {@code xMid},
 * its norm {@code h2} and {@code rstd2}; the gate pre-activation, {@code fc1(h2)} and their gated product. Then the
 * last residual and the final norm's row scales. Memory: about {@code L * (layers * (4 dim + 4 dim_attn
 * + 3 dim_ffn + heads L) + dim)} floats (32 tokens, dim 128, 4 heads, 4 layers, ffn 512: ~1.4 MB).
 */
public final class T5Tape {
    final T5Config config;
    final int maxLen;
    /** Positions computed (the prefix of real tokens, or all positions when the mask is not a prefix). */
    int rows;
    /** Rows of the output that are not zeroed ({@code min(rows, count(mask > 0))}). */
    int outRows;
    /** Sequence length of the last forward (output rows, padding included). */
    int len;
    final int[] ids;
    final boolean[] keyValid;
    int[] buckets;
    int bucketsLen = -1;

    final float[][] xIn, h1, q, k, v, probs, attn, xMid, h2, gatePre, up, act;
    final float[][] rstd1, rstd2;
    final float[] xLast, rstdFinal;

    /** A tape for sequences of up to {@code maxLen} tokens. */
    public T5Tape(T5Config c, int maxLen) {
        if (maxLen < 1) throw new IllegalArgumentException("T5Tape: maxLen must be >= 1, got " + maxLen);
        this.config = c;
        this.maxLen = maxLen;
        int layers = c.numLayers(), d = c.dim(), a = c.dimAttn(), f = c.dimFfn(), heads = c.numHeads();
        ids = new int[maxLen];
        keyValid = new boolean[maxLen];
        xIn = new float[layers][maxLen * d];
        h1 = new float[layers][maxLen * d];
        q = new float[layers][maxLen * a];
        k = new float[layers][maxLen * a];
        v = new float[layers][maxLen * a];
        probs = new float[layers][Math.multiplyExact(heads, maxLen * maxLen)];
        attn = new float[layers][maxLen * a];
        xMid = new float[layers][maxLen * d];
        h2 = new float[layers][maxLen * d];
        gatePre = new float[layers][maxLen * f];
        up = new float[layers][maxLen * f];
        act = new float[layers][maxLen * f];
        rstd1 = new float[layers][maxLen];
        rstd2 = new float[layers][maxLen];
        xLast = new float[maxLen * d];
        rstdFinal = new float[maxLen];
    }

    public T5Config config() {
        return config;
    }

    public int maxLen() {
        return maxLen;
    }

    /** The last forward's sequence length. */
    public int length() {
        return len;
    }

    /** Number of positions the last forward computed. */
    public int rows() {
        return rows;
    }

    /** The relative-position bucket table for {@code n} positions, cached while {@code n} stays the same. */
    int[] buckets(int n) {
        if (bucketsLen != n) {
            buckets = RelativePositionBuckets.table(n, config.numBuckets());
            bucketsLen = n;
        }
        return buckets;
    }
}
