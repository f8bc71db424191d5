package longlive.text;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import longlive.kernel.Parallel;

/**
 * All weights of a umT5 encoder ({@code T5Encoder}), typed. Checkpoint key names live only in
 * {@link longlive.io.UmT5Checkpoint}, which fills this from a file.
 *
 * <p><b>Storage.</b> The token embedding and the seven Linear weights of each layer are {@link WeightMatrix}es, held
 * either in float32 or in bf16 (the umT5-XXL checkpoint {@code models_t5_umt5-xxl-enc-bf16.pth} is bf16; holding it
 * as bf16 takes 11.4 GB instead of 22.8 GB and gives bit-identical outputs, see {@link T5Encoder}). Norm weights and
 * the relative position tables are always float32 (they are tiny). Training and gradient code want float32 arrays:
 * call {@link #toFloat32()} once (a no-op for a float32 model), then {@code matrix.floats()} is the live array.
 * {@link longlive.io.UmT5Checkpoint#load} keeps bf16 files in bf16 unless asked for float32.
 *
 * @param tokenEmbedding     {@code [vocab_size, dim]}
 * @param sharedPosEmbedding {@code [num_buckets, num_heads]} when {@code shared_pos}, else null (each block has its own)
 * @param finalNorm          {@code [dim]} T5 RMSNorm weight after the last layer
 */
public record T5Weights(T5Config config, WeightMatrix tokenEmbedding, float[] sharedPosEmbedding,
                        List<T5BlockWeights> blocks, float[] finalNorm) {

    public T5Weights {
        if (blocks.size() != config.numLayers())
            throw new IllegalArgumentException("T5Weights: " + blocks.size() + " layers for num_layers "
                    + config.numLayers());
        blocks = List.copyOf(blocks);
        T5BlockWeights.shape("T5 token_embedding", tokenEmbedding, config.vocabSize(), config.dim());
        T5BlockWeights.size("T5 final norm", finalNorm, config.dim());
        if (config.sharedPos() != (sharedPosEmbedding != null))
            throw new IllegalArgumentException("T5Weights: shared_pos is " + config.sharedPos()
                    + " but the shared position table is " + (sharedPosEmbedding == null ? "missing" : "present"));
        if (sharedPosEmbedding != null)
            T5BlockWeights.size("T5 shared pos_embedding", sharedPosEmbedding,
                    (long) config.numBuckets() * config.numHeads());
        for (int i = 0; i < blocks.size(); i++) blocks.get(i).requireSizes(config, i);
    }

    /** Zero-filled float32 weights of the right sizes (a loader fills them). */
    public static T5Weights zeros(T5Config c) {
        List<T5BlockWeights> bs = new ArrayList<>();
        for (int i = 0; i < c.numLayers(); i++) bs.add(T5BlockWeights.zeros(c));
        return new T5Weights(c, WeightMatrix.zeros(c.vocabSize(), c.dim()),
                c.sharedPos() ? new float[c.numBuckets() * c.numHeads()] : null, bs, new float[c.dim()]);
    }

    /** The relative position table layer {@code layer} uses: its own, or the shared one. */
    public float[] positionTable(int layer) {
        return config.sharedPos() ? sharedPosEmbedding : blocks.get(layer).posEmbedding();
    }

    /** All matrices (embedding, then each layer's seven). */
    public List<WeightMatrix> matrices() {
        List<WeightMatrix> m = new ArrayList<>();
        m.add(tokenEmbedding);
        for (T5BlockWeights b : blocks) m.addAll(b.matrices());
        return m;
    }

    /** True if any matrix is held in bf16. */
    public boolean anyBf16() {
        for (WeightMatrix m : matrices()) if (m.isBf16()) return true;
        return false;
    }

    /** Bytes of all weight arrays as held. */
    public long bytes() {
        long b = 4L * finalNorm.length + (sharedPosEmbedding == null ? 0 : 4L * sharedPosEmbedding.length);
        for (T5BlockWeights bl : blocks)
            b += 8L * bl.norm1().length + (bl.posEmbedding() == null ? 0 : 4L * bl.posEmbedding().length);
        for (WeightMatrix m : matrices()) b += m.bytes();
        return b;
    }

    /** The same model with every matrix in float32 ({@code this} if it already is; norms and tables shared). */
    public T5Weights toFloat32() {
        if (!anyBf16()) return this;
        return map(WeightMatrix::toFloat32);
    }

    /** The same model with every matrix rounded to bf16 (round to nearest even; norms and tables shared). */
    public T5Weights toBf16() {
        return map(WeightMatrix::toBf16);
    }

    private T5Weights map(java.util.function.UnaryOperator<WeightMatrix> f) {
        List<T5BlockWeights> bs = new ArrayList<>();
        for (T5BlockWeights b : blocks) bs.add(b.mapMatrices(f));
        return new T5Weights(config, f.apply(tokenEmbedding), sharedPosEmbedding, bs, finalNorm);
    }

    /** {@link #random(T5Config, long, Parallel, boolean)} held in float32. */
    public static T5Weights random(T5Config c, long seed, Parallel parallel) {
        return random(c, seed, parallel, false);
    }

    /**
     * Random weights for tests and benchmarks with the standard deviations of the reference's {@code init_weights}
     * (uniform with the same variance, which is faster to draw for the 1 G-element XXL embedding); norm weights
     * near 1. Deterministic for a seed whatever the thread count: each array is split into fixed 1 M-element chunks,
     * each with its own seeded stream.
     *
     * @param bf16 hold the matrices in bf16: each value is the float32 one of {@code bf16 = false} rounded to nearest
     *             even, written straight into the bf16 array (no float32 copy: the XXL matrices would be 22.8 GB)
     */
    public static T5Weights random(T5Config c, long seed, Parallel parallel, boolean bf16) {
        int d = c.dim(), a = c.dimAttn(), f = c.dimFfn();
        double posStd = Math.pow(2.0 * c.numBuckets() * c.numHeads(), -0.5);
        List<Object> arrays = new ArrayList<>(); // float[] or short[], filled below in this order
        List<Double> stds = new ArrayList<>();
        WeightMatrix emb = randomTarget(c.vocabSize(), d, bf16, 1.0, arrays, stds);
        float[] shared = null;
        if (c.sharedPos()) {
            shared = new float[c.numBuckets() * c.numHeads()];
            arrays.add(shared);
            stds.add(posStd);
        }
        List<T5BlockWeights> blocks = new ArrayList<>();
        for (int i = 0; i < c.numLayers(); i++) {
            WeightMatrix q = randomTarget(a, d, bf16, Math.pow((double) d * a, -0.5), arrays, stds);
            WeightMatrix k = randomTarget(a, d, bf16, Math.pow(d, -0.5), arrays, stds);
            WeightMatrix v = randomTarget(a, d, bf16, Math.pow(d, -0.5), arrays, stds);
            WeightMatrix o = randomTarget(d, a, bf16, Math.pow((double) c.numHeads() * a, -0.5), arrays, stds);
            WeightMatrix gate = randomTarget(f, d, bf16, Math.pow(d, -0.5), arrays, stds);
            WeightMatrix fc1 = randomTarget(f, d, bf16, Math.pow(d, -0.5), arrays, stds);
            WeightMatrix fc2 = randomTarget(d, f, bf16, Math.pow(f, -0.5), arrays, stds);
            float[] pos = null;
            if (!c.sharedPos()) {
                pos = new float[c.numBuckets() * c.numHeads()];
                arrays.add(pos);
                stds.add(posStd);
            }
            blocks.add(new T5BlockWeights(new float[d], q, k, v, o, new float[d], gate, fc1, fc2, pos));
        }
        final int chunk = 1 << 20;
        List<long[]> tasks = new ArrayList<>(); // {array index, chunk start}
        for (int i = 0; i < arrays.size(); i++)
            for (long s = 0; s < length(arrays.get(i)); s += chunk) tasks.add(new long[] {i, s});
        parallel.forEach(tasks.size(), t -> {
            int ai = (int) tasks.get(t)[0];
            int from = (int) tasks.get(t)[1];
            Object arr = arrays.get(ai);
            double bound = stds.get(ai) * Math.sqrt(3);
            SplittableRandom rnd = new SplittableRandom(seed * 1_000_003L + ai * 65_537L + from / chunk);
            int to = (int) Math.min(length(arr), (long) from + chunk);
            if (arr instanceof float[] fa)
                for (int j = from; j < to; j++) fa[j] = (float) ((rnd.nextDouble() * 2 - 1) * bound);
            else {
                short[] sa = (short[]) arr;
                for (int j = from; j < to; j++)
                    sa[j] = WeightMatrix.roundToBf16((float) ((rnd.nextDouble() * 2 - 1) * bound));
            }
        });
        float[] finalNorm = new float[d];
        SplittableRandom rnd = new SplittableRandom(seed ^ 0x5DEECE66DL);
        List<float[]> norms = new ArrayList<>();
        for (T5BlockWeights b : blocks) {
            norms.add(b.norm1());
            norms.add(b.norm2());
        }
        norms.add(finalNorm);
        for (float[] n : norms) for (int j = 0; j < n.length; j++) n[j] = (float) (1 + (rnd.nextDouble() * 2 - 1) * 0.2);
        return new T5Weights(c, emb, shared, blocks, finalNorm);
    }

    private static WeightMatrix randomTarget(int rows, int cols, boolean bf16, double std, List<Object> arrays,
                                             List<Double> stds) {
        int n = Math.multiplyExact(rows, cols);
        WeightMatrix m = bf16 ? WeightMatrix.ofBf16(rows, cols, new short[n])
                : WeightMatrix.ofFloats(rows, cols, new float[n]);
        arrays.add(bf16 ? m.bf16Bits() : m.floats());
        stds.add(std);
        return m;
    }

    private static int length(Object array) {
        return array instanceof float[] fa ? fa.length : ((short[]) array).length;
    }
}
