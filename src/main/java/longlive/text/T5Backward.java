package longlive.text;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import longlive.io.UmT5Checkpoint;
import longlive.kernel.Parallel;
import longlive.tensor.ShapeException;
import longlive.train.ParamSet;

/**
 * Training forward and backward of the umT5 encoder, with the forward semantics of {@link T5Encoder} (per-layer or
 * shared relative position bias, T5 RMSNorm, no attention scaling, gated GELU-tanh FFN, the rows from
 * {@code count(mask > 0)} on zeroed at the end):
 * <ul>
 *   <li>{@link #forward} computes the embeddings of one sequence and records its activations in a {@link T5Tape};
 *   <li>{@link #backward} takes {@code dLoss/dOutput} and ACCUMULATES ({@code +=}) the gradient of every weight into
 *       a gradient twin of the weights ({@link T5Weights#zeros} of the same config: token-embedding rows, relative
 *       position tables, norms, q/k/v/o, ffn gate/fc1/fc2, final norm). Token ids have no gradient.
 * </ul>
 * Like the inference encoder, with a prefix mask (tokens first, then padding) only the real tokens are computed:
 * padding keys get a bias of {@code -Float.MAX_VALUE}, so their softmax weight and its gradient are exactly 0, and
 * padding rows of the output are constant zeros; any other mask computes all positions as the reference does.
 *
 * <p>Weights must be held in float32 (training updates the arrays in place; {@link T5Weights#toFloat32()} converts
 * a bf16-held model). Holds no per-call state (the tape and the gradient twin carry everything), so one instance
 * serves any number of tapes, e.g. one per prompt of a batch, run one after the other on the kernels' threads.
 */
public final class T5Backward {
    private final T5Weights weights;
    private final T5Kernels kernels;

    /**
     * @throws IllegalArgumentException if any weight matrix is held as bf16
     */
    public T5Backward(T5Weights weights, T5Kernels kernels) {
        requireFloat32(weights, "weights");
        this.weights = weights;
        this.kernels = kernels;
    }

    public T5Config config() {
        return weights.config();
    }

    public T5Weights weights() {
        return weights;
    }

    private static void requireFloat32(T5Weights w, String what) {
        if (w.anyBf16())
            throw new IllegalArgumentException("T5 backward: the " + what + " hold matrices in bf16; training needs "
                    + "float32 weights (convert once with T5Weights.toFloat32(), or load the checkpoint with float32 "
                    + "storage)");
    }

    /**
     * Encodes one sequence and records it on {@code tape}.
     *
     * @param ids  {@code [L]} token ids, {@code L <= tape.maxLen()}
     * @param mask {@code [L]} attention mask, nonzero = real token
     * @return {@code [L, dim]} embeddings (a new array), the rows from {@code count(mask > 0)} on zero, equal to
     *         {@link T5Encoder#forward} on the same kernels
     */
    public float[] forward(T5Tape tape, long[] ids, long[] mask) {
        T5Config c = weights.config();
        if (tape.config != c && !tape.config.equals(c))
            throw new IllegalArgumentException("T5 backward: tape made for " + tape.config + ", model is " + c);
        int len = ids.length;
        if (len == 0) throw new ShapeException("t5 train forward: empty token sequence");
        if (mask.length != len)
            throw new ShapeException("t5 train forward: token_ids [" + len + "] and mask [" + mask.length + "] differ");
        if (len > tape.maxLen)
            throw new ShapeException("t5 train forward: " + len + " tokens but the tape holds " + tape.maxLen);
        int seqLen = 0, validPrefix = 0;
        for (int j = 0; j < len; j++) {
            if (ids[j] < 0 || ids[j] >= c.vocabSize())
                throw new IllegalArgumentException("t5 train forward: token id " + ids[j] + " at position " + j
                        + " is outside the vocabulary [0, " + c.vocabSize() + ")");
            if (mask[j] > 0) seqLen++;
            if (mask[j] != 0 && validPrefix == j) validPrefix++;
        }
        int nonZero = 0;
        for (long m : mask) if (m != 0) nonZero++;
        boolean prefixMask = validPrefix == seqLen && seqLen == nonZero;
        int run = prefixMask ? seqLen : len;
        tape.len = len;
        tape.rows = run;
        tape.outRows = Math.min(run, seqLen);
        float[] out = new float[len * c.dim()];
        if (run == 0) return out;
        for (int j = 0; j < run; j++) {
            tape.ids[j] = (int) ids[j];
            tape.keyValid[j] = mask[j] != 0;
        }
        int d = c.dim(), a = c.dimAttn(), f = c.dimFfn();
        var mm = kernels.matMul();
        var par = kernels.parallel();
        float[] x = tape.xLast; // the residual stream; ends as the last layer's output
        for (int t = 0; t < run; t++) weights.tokenEmbedding().copyRow(tape.ids[t], x, t * d);
        int[] buckets = tape.buckets(run);
        for (int l = 0; l < c.numLayers(); l++) {
            T5BlockWeights b = weights.blocks().get(l);
            System.arraycopy(x, 0, tape.xIn[l], 0, run * d);
            kernels.rmsNorm().forward(par, x, 0, tape.h1[l], 0, run, d, b.norm1(), T5Config.EPS, tape.rstd1[l], 0);
            b.q().linear(mm, run, tape.h1[l], 0, tape.q[l], 0, false);
            b.k().linear(mm, run, tape.h1[l], 0, tape.k[l], 0, false);
            b.v().linear(mm, run, tape.h1[l], 0, tape.v[l], 0, false);
            attentionForward(tape, l, run, buckets, weights.positionTable(l));
            b.o().linear(mm, run, tape.attn[l], 0, x, 0, true);
            System.arraycopy(x, 0, tape.xMid[l], 0, run * d);
            kernels.rmsNorm().forward(par, x, 0, tape.h2[l], 0, run, d, b.norm2(), T5Config.EPS, tape.rstd2[l], 0);
            b.gate().linear(mm, run, tape.h2[l], 0, tape.gatePre[l], 0, false);
            b.fc1().linear(mm, run, tape.h2[l], 0, tape.up[l], 0, false);
            kernels.activations().geluGated(par, tape.gatePre[l], 0, tape.up[l], 0, tape.act[l], 0, run * f);
            b.fc2().linear(mm, run, tape.act[l], 0, x, 0, true);
        }
        float[] y = new float[run * d];
        kernels.rmsNorm().forward(par, x, 0, y, 0, run, d, weights.finalNorm(), T5Config.EPS, tape.rstdFinal, 0);
        System.arraycopy(y, 0, out, 0, tape.outRows * d);
        return out;
    }

    /** Unscaled biased multi-head attention as {@link T5Encoder}, keeping each head's probabilities on the tape. */
    private void attentionForward(T5Tape tape, int l, int len, int[] buckets, float[] table) {
        T5Config c = weights.config();
        int heads = c.numHeads(), hd = c.headDim(), a = c.dimAttn();
        var mm = kernels.matMul();
        float[] q = tape.q[l], k = tape.k[l], v = tape.v[l], probs = tape.probs[l], attn = tape.attn[l];
        boolean[] keyValid = tape.keyValid;
        kernels.parallel().forRange(heads, 1, (from, to) -> {
            float[] qh = new float[len * hd], kh = new float[len * hd], vh = new float[len * hd], oh = new float[len * hd];
            for (int h = from; h < to; h++) {
                gather(q, a, h * hd, hd, len, qh);
                gather(k, a, h * hd, hd, len, kh);
                gather(v, a, h * hd, hd, len, vh);
                int p = h * len * len;
                mm.gemm(len, len, hd, qh, 0, false, kh, 0, true, null, probs, p, false);
                for (int i = 0; i < len; i++) {
                    int row = i * len;
                    for (int j = 0; j < len; j++)
                        probs[p + row + j] += keyValid[j] ? table[buckets[row + j] * heads + h] : -Float.MAX_VALUE;
                }
                kernels.softmax().forward(Parallel.serial(), probs, p, probs, p, len, len);
                mm.gemm(len, hd, len, probs, p, false, vh, 0, false, null, oh, 0, false);
                scatter(oh, hd, len, attn, a, h * hd);
            }
        });
    }

    /**
     * Backward of the last {@link #forward} recorded on {@code tape}: accumulates {@code dLoss/dWeight} into
     * {@code grads}.
     *
     * @param dOut  {@code [L, dim]} gradient of the loss w.r.t. the forward's output (rows that the forward zeroed
     *              receive nothing)
     * @param grads float32 weights record of the same config, e.g. {@link T5Weights#zeros}; every array += its
     *              gradient (token-embedding rows only where the sequence used them)
     */
    public void backward(T5Tape tape, float[] dOut, T5Weights grads) {
        T5Config c = weights.config();
        if (!grads.config().equals(c))
            throw new IllegalArgumentException("T5 backward: gradients for " + grads.config() + ", model is " + c);
        requireFloat32(grads, "gradients");
        int d = c.dim(), a = c.dimAttn(), f = c.dimFfn();
        if (dOut.length != tape.len * d)
            throw new ShapeException("t5 backward: dOut has " + dOut.length + " values, the forward's output ["
                    + tape.len + ", " + d + "] has " + tape.len * d);
        int run = tape.rows;
        if (run == 0) return;
        var mm = kernels.matMul();
        var par = kernels.parallel();
        var norm = kernels.rmsNorm();

        // Final norm: only the output rows that were not zeroed carry gradient.
        float[] dy = new float[run * d];
        System.arraycopy(dOut, 0, dy, 0, tape.outRows * d);
        float[] dx = new float[run * d];
        norm.backward(par, tape.xLast, 0, dy, 0, dx, 0, run, d, weights.finalNorm(), tape.rstdFinal, 0,
                grads.finalNorm());

        float[] dh = new float[run * d];
        float[] dAttn = new float[run * a], dq = new float[run * a], dk = new float[run * a], dv = new float[run * a];
        float[] dAct = new float[run * f], dGate = new float[run * f], dUp = new float[run * f];
        int[] buckets = tape.buckets(run);
        for (int l = c.numLayers() - 1; l >= 0; l--) {
            T5BlockWeights w = weights.blocks().get(l), g = grads.blocks().get(l);
            // FFN: x_out = x_mid + fc2(gelu(gate(h2)) * fc1(h2)), h2 = norm2(x_mid). dx holds dL/dx_out.
            Arrays.fill(dAct, 0);
            mm.linearBackward(run, f, d, tape.act[l], 0, w.fc2().floats(), 0, dx, 0, dAct, 0, g.fc2().floats(), 0, null);
            Arrays.fill(dGate, 0);
            Arrays.fill(dUp, 0);
            kernels.activations().geluGatedBackward(par, tape.gatePre[l], 0, tape.up[l], 0, dAct, 0, dGate, 0, dUp, 0,
                    run * f);
            Arrays.fill(dh, 0);
            mm.linearBackward(run, d, f, tape.h2[l], 0, w.gate().floats(), 0, dGate, 0, dh, 0, g.gate().floats(), 0, null);
            mm.linearBackward(run, d, f, tape.h2[l], 0, w.fc1().floats(), 0, dUp, 0, dh, 0, g.fc1().floats(), 0, null);
            // residual: dx already holds the direct path; the norm adds its part -> dL/dx_mid
            norm.backward(par, tape.xMid[l], 0, dh, 0, dx, 0, run, d, w.norm2(), tape.rstd2[l], 0, g.norm2());

            // Attention: x_mid = x_in + o(attn(h1)), h1 = norm1(x_in).
            Arrays.fill(dAttn, 0);
            mm.linearBackward(run, a, d, tape.attn[l], 0, w.o().floats(), 0, dx, 0, dAttn, 0, g.o().floats(), 0, null);
            float[] dTable = c.sharedPos() ? grads.sharedPosEmbedding() : g.posEmbedding();
            attentionBackward(tape, l, run, buckets, dAttn, dq, dk, dv, dTable);
            Arrays.fill(dh, 0);
            mm.linearBackward(run, d, a, tape.h1[l], 0, w.q().floats(), 0, dq, 0, dh, 0, g.q().floats(), 0, null);
            mm.linearBackward(run, d, a, tape.h1[l], 0, w.k().floats(), 0, dk, 0, dh, 0, g.k().floats(), 0, null);
            mm.linearBackward(run, d, a, tape.h1[l], 0, w.v().floats(), 0, dv, 0, dh, 0, g.v().floats(), 0, null);
            norm.backward(par, tape.xIn[l], 0, dh, 0, dx, 0, run, d, w.norm1(), tape.rstd1[l], 0, g.norm1());
        }
        // Embedding gather: each used row receives the gradient of every position that read it.
        float[] dEmb = grads.tokenEmbedding().floats();
        for (int t = 0; t < run; t++) {
            int row = tape.ids[t] * d, src = t * d;
            for (int j = 0; j < d; j++) dEmb[row + j] += dx[src + j];
        }
    }

    /**
     * Per head, with {@code P = softmax(S)}, {@code S = q k^T + bias}, {@code O = P v}: {@code dP = dO v^T},
     * {@code dv = P^T dO}, {@code dS = P (dP - rowsum(dP P))}, {@code dq = dS k}, {@code dk = dS^T q}, and the bias
     * table entry of every (query, valid key) pair receives its {@code dS} (a padding key's bias is a constant,
     * and its {@code dS} is 0 anyway). Heads run in parallel; each owns its column of the table and of dq/dk/dv.
     * dq, dk, dv are overwritten; dTable accumulates.
     */
    private void attentionBackward(T5Tape tape, int l, int len, int[] buckets, float[] dAttn, float[] dq, float[] dk,
                                   float[] dv, float[] dTable) {
        T5Config c = weights.config();
        int heads = c.numHeads(), hd = c.headDim(), a = c.dimAttn();
        var mm = kernels.matMul();
        float[] q = tape.q[l], k = tape.k[l], v = tape.v[l], probs = tape.probs[l];
        boolean[] keyValid = tape.keyValid;
        kernels.parallel().forRange(heads, 1, (from, to) -> {
            float[] qh = new float[len * hd], kh = new float[len * hd], vh = new float[len * hd], doh = new float[len * hd];
            float[] dP = new float[len * len], dS = new float[len * len];
            float[] dqh = new float[len * hd], dkh = new float[len * hd], dvh = new float[len * hd];
            for (int h = from; h < to; h++) {
                gather(q, a, h * hd, hd, len, qh);
                gather(k, a, h * hd, hd, len, kh);
                gather(v, a, h * hd, hd, len, vh);
                gather(dAttn, a, h * hd, hd, len, doh);
                int p = h * len * len;
                mm.gemm(len, len, hd, doh, 0, false, vh, 0, true, null, dP, 0, false);
                mm.gemm(len, hd, len, probs, p, true, doh, 0, false, null, dvh, 0, false);
                Arrays.fill(dS, 0);
                kernels.softmax().backward(Parallel.serial(), probs, p, dP, 0, dS, 0, len, len);
                for (int i = 0; i < len; i++) {
                    int row = i * len;
                    for (int j = 0; j < len; j++)
                        if (keyValid[j]) dTable[buckets[row + j] * heads + h] += dS[row + j];
                }
                mm.gemm(len, hd, len, dS, 0, false, kh, 0, false, null, dqh, 0, false);
                mm.gemm(len, hd, len, dS, 0, true, qh, 0, false, null, dkh, 0, false);
                scatter(dqh, hd, len, dq, a, h * hd);
                scatter(dkh, hd, len, dk, a, h * hd);
                scatter(dvh, hd, len, dv, a, h * hd);
            }
        });
    }

    /** Copies columns {@code [col, col + w)} of the {@code [len, stride]} matrix {@code src} into {@code dst [len, w]}. */
    private static void gather(float[] src, int stride, int col, int w, int len, float[] dst) {
        for (int t = 0; t < len; t++) System.arraycopy(src, t * stride + col, dst, t * w, w);
    }

    /** Inverse of {@link #gather}. */
    private static void scatter(float[] src, int w, int len, float[] dst, int stride, int col) {
        for (int t = 0; t < len; t++) System.arraycopy(src, t * w, dst, t * stride + col, w);
    }

    /**
     * Adds every weight of {@code values} with its gradient twin {@code grads} to {@code set}, named and shaped as
     * the reference state dict ({@link UmT5Checkpoint#expectedShapes}: {@code token_embedding.weight},
     * {@code blocks.N.attn.q.weight}, ..., {@code norm.weight}), in module order. Values are aliased: the optimizer
     * updates the live model.
     *
     * @throws IllegalArgumentException if either record holds bf16 matrices or the configs differ
     */
    public static void registerParams(ParamSet set, T5Weights values, T5Weights grads) {
        requireFloat32(values, "weights");
        requireFloat32(grads, "gradients");
        if (!values.config().equals(grads.config()))
            throw new IllegalArgumentException("T5 registerParams: weights " + values.config() + " but gradients "
                    + grads.config());
        List<float[]> vs = arraysInModuleOrder(values), gs = arraysInModuleOrder(grads);
        Map<String, int[]> shapes = UmT5Checkpoint.expectedShapes(values.config());
        if (shapes.size() != vs.size())
            throw new IllegalStateException("T5 registerParams: " + vs.size() + " arrays for " + shapes.size()
                    + " state-dict keys");
        Iterator<Map.Entry<String, int[]>> it = shapes.entrySet().iterator();
        for (int i = 0; i < vs.size(); i++) {
            Map.Entry<String, int[]> e = it.next();
            set.add(e.getKey(), vs.get(i), gs.get(i), e.getValue());
        }
    }

    /**
     * The arrays of a float32 weights record in the order of {@link UmT5Checkpoint#expectedShapes} (embedding,
     * shared table, per layer norm1 q k v o norm2 gate fc1 fc2 [table], final norm), so names come from the one
     * place that holds checkpoint keys.
     */
    static List<float[]> arraysInModuleOrder(T5Weights w) {
        List<float[]> out = new ArrayList<>();
        out.add(w.tokenEmbedding().floats());
        if (w.config().sharedPos()) out.add(w.sharedPosEmbedding());
        for (T5BlockWeights b : w.blocks()) {
            out.add(b.norm1());
            out.add(b.q().floats());
            out.add(b.k().floats());
            out.add(b.v().floats());
            out.add(b.o().floats());
            out.add(b.norm2());
            out.add(b.gate().floats());
            out.add(b.fc1().floats());
            out.add(b.fc2().floats());
            if (!w.config().sharedPos()) out.add(b.posEmbedding());
        }
        out.add(w.finalNorm());
        return out;
    }
}
