package longlive.kernel;

/**
 * Multi-head scaled dot-product attention, {@code out = softmax(scale * Q.K^T + mask) . V} per head, without
 * materialising the {@code [nq x nk]} score matrix (memory O(nq * headDim)).
 *
 * <p>Layout (token-major, heads side by side, exactly how the q/k/v projections and the KV cache lay them out):
 * Q and out are {@code [nq, heads * headDim]}, K and V are {@code [nk, heads * headDim]}; head h of token t
 * starts at {@code t * heads * headDim + h * headDim}. The optional log-sum-exp {@code lse} is
 * {@code [heads, nq]} (index {@code h * nq + i}) of the scaled scores: it is all the backward needs to
 * recompute the softmax (FlashAttention-2 style).
 *
 * <p>A query row with no visible key (fully masked) gets a zero output and {@code lse = -inf}, never NaN.
 *
 * <p>Implementations: {@link ScalarAttention} (reference) and {@link VectorAttention} (tiled, online softmax).
 */
public interface Attention {

    /**
     * @param scale usually {@code 1 / sqrt(headDim)}
     * @param lse   nullable; when given (length >= heads * nq) receives the log-sum-exp per (head, query)
     * @param mask  nullable (= every query sees every key); else {@code mask.rows() == nq}, {@code maxKey() <= nk}
     * @throws longlive.tensor.ShapeException on bad dimensions or arrays too short
     */
    void forward(int nq, int nk, int heads, int headDim, float scale,
                 float[] q, int qOff, float[] k, int kOff, float[] v, int vOff,
                 float[] out, int outOff, float[] lse, KeyMask mask);

    /**
     * Gradients of {@link #forward}; ACCUMULATES into dQ ({@code [nq, heads*headDim]}), dK and dV
     * ({@code [nk, heads*headDim]}); each of them is nullable (skipped). Needs the forward's {@code out} and
     * {@code lse}; recomputes the probabilities from them, no O(nq * nk) buffers.
     */
    void backward(int nq, int nk, int heads, int headDim, float scale,
                  float[] q, int qOff, float[] k, int kOff, float[] v, int vOff,
                  float[] out, int outOff, float[] lse, float[] dOut, int dOutOff, KeyMask mask,
                  float[] dQ, int dQOff, float[] dK, int dKOff, float[] dV, int dVOff);
}
