package longlive.text;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import longlive.kernel.Parallel;

/**
 * All weights of a umT5 encoder ({@code T5Encoder}), typed. Checkpoint key names live only in
 * {@link longlive.io.UmT5Checkpoint}, which fills this from a file.
 *
 * @param tokenEmbedding     {@code [vocab_size, dim]}
 * @param sharedPosEmbedding {@code [num_buckets, num_heads]} when {@code shared_pos}, else null (each block has its own)
 * @param finalNorm          {@code [dim]} T5 RMSNorm weight after the last layer
 */
public record T5Weights(T5Config config, float[] tokenEmbedding, float[] sharedPosEmbedding,
                        List<T5BlockWeights> blocks, float[] finalNorm) {

    public T5Weights {
        if (blocks.size() != config.numLayers())
            throw new IllegalArgumentException("T5Weights: " + blocks.size() + " layers for num_layers "
                    + config.numLayers());
        blocks = List.copyOf(blocks);
        T5BlockWeights.size("T5 token_embedding", tokenEmbedding, (long) config.vocabSize() * config.dim());
        T5BlockWeights.size("T5 final norm", finalNorm, config.dim());
        if (config.sharedPos() != (sharedPosEmbedding != null))
            throw new IllegalArgumentException("T5Weights: shared_pos is " + config.sharedPos()
                    + " but the shared position table is " + (sharedPosEmbedding == null ? "missing" : "present"));
        if (sharedPosEmbedding != null)
            T5BlockWeights.size("T5 shared pos_embedding", sharedPosEmbedding,
                    (long) config.numBuckets() * config.numHeads());
        for (int i = 0; i < blocks.size(); i++) blocks.get(i).requireSizes(config, i);
    }

    /** Zero-filled weights of the right sizes (a loader fills them). */
    public static T5Weights zeros(T5Config c) {
        List<T5BlockWeights> bs = new ArrayList<>();
        for (int i = 0; i < c.numLayers(); i++) bs.add(T5BlockWeights.zeros(c));
        return new T5Weights(c, new float[c.vocabSize() * c.dim()],
                c.sharedPos() ? new float[c.numBuckets() * c.numHeads()] : null, bs, new float[c.dim()]);
    }

    /** The relative position table layer {@code layer} uses: its own, or the shared one. */
    public float[] positionTable(int layer) {
        return config.sharedPos() ? sharedPosEmbedding : blocks.get(layer).posEmbedding();
    }

    /**
     * Random weights for tests and benchmarks with the standard deviations of the reference's {@code init_weights}
     * (uniform with the same variance, which is faster to draw for the 1 G-element XXL embedding); norm weights
     * near 1. Deterministic for a seed whatever the thread count: each array is split into fixed 1 M-element chunks,
     * each with its own seeded stream.
     */
    public static T5Weights random(T5Config c, long seed, Parallel parallel) {
        T5Weights w = zeros(c);
        double d = c.dim(), a = c.dimAttn(), f = c.dimFfn();
        List<float[]> arrays = new ArrayList<>();
        List<Double> stds = new ArrayList<>();
        arrays.add(w.tokenEmbedding());
        stds.add(1.0);
        double posStd = Math.pow(2.0 * c.numBuckets() * c.numHeads(), -0.5);
        if (w.sharedPosEmbedding() != null) {
            arrays.add(w.sharedPosEmbedding());
            stds.add(posStd);
        }
        for (T5BlockWeights b : w.blocks()) {
            arrays.add(b.q());
            stds.add(Math.pow(d * a, -0.5));
            arrays.add(b.k());
            stds.add(Math.pow(d, -0.5));
            arrays.add(b.v());
            stds.add(Math.pow(d, -0.5));
            arrays.add(b.o());
            stds.add(Math.pow(c.numHeads() * a, -0.5));
            arrays.add(b.gate());
            stds.add(Math.pow(d, -0.5));
            arrays.add(b.fc1());
            stds.add(Math.pow(d, -0.5));
            arrays.add(b.fc2());
            stds.add(Math.pow(f, -0.5));
            if (b.posEmbedding() != null) {
                arrays.add(b.posEmbedding());
                stds.add(posStd);
            }
        }
        final int chunk = 1 << 20;
        List<long[]> tasks = new ArrayList<>(); // {array index, chunk start}
        for (int i = 0; i < arrays.size(); i++)
            for (long s = 0; s < arrays.get(i).length; s += chunk) tasks.add(new long[] {i, s});
        parallel.forEach(tasks.size(), t -> {
            int ai = (int) tasks.get(t)[0];
            int from = (int) tasks.get(t)[1];
            float[] arr = arrays.get(ai);
            double bound = stds.get(ai) * Math.sqrt(3);
            SplittableRandom rnd = new SplittableRandom(seed * 1_000_003L + ai * 65_537L + from / chunk);
            int to = (int) Math.min(arr.length, (long) from + chunk);
            for (int j = from; j < to; j++) arr[j] = (float) ((rnd.nextDouble() * 2 - 1) * bound);
        });
        SplittableRandom rnd = new SplittableRandom(seed ^ 0x5DEECE66DL);
        List<float[]> norms = new ArrayList<>();
        for (T5BlockWeights b : w.blocks()) {
            norms.add(b.norm1());
            norms.add(b.norm2());
        }
        norms.add(w.finalNorm());
        for (float[] n : norms) for (int j = 0; j < n.length; j++) n[j] = (float) (1 + (rnd.nextDouble() * 2 - 1) * 0.2);
        return w;
    }
}
