package longlive.dit;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import longlive.kernel.Parallel;

/**
 * All weights of a Wan2.1 DiT, typed ({@code CausalWanModel}'s modules). Checkpoint key names live only in
 * {@link longlive.io.WanDitCheckpoint}, which fills this from a file.
 *
 * @param patchEmbedding  Conv3d with stride = kernel seen as a Linear over flattened patches:
 *                        {@code [dim, in_dim * pt * ph * pw]} with the patch flattened in (c, p, q, r) order
 * @param textEmbedding0  {@code text_dim -> dim}, then GELU(tanh)
 * @param textEmbedding2  {@code dim -> dim}
 * @param timeEmbedding0  {@code freq_dim -> dim}, then SiLU
 * @param timeEmbedding2  {@code dim -> dim} (gives {@code e})
 * @param timeProjection  SiLU, then {@code dim -> 6 dim} (gives {@code e0})
 * @param headModulation  {@code [2, dim]}: shift, scale of the output head
 * @param head            {@code dim -> out_dim * pt * ph * pw}
 */
public record DitWeights(DitConfig config, Linear patchEmbedding, Linear textEmbedding0, Linear textEmbedding2,
                         Linear timeEmbedding0, Linear timeEmbedding2, Linear timeProjection,
                         List<BlockWeights> blocks, float[] headModulation, Linear head) {

    public DitWeights {
        if (blocks.size() != config.numLayers())
            throw new IllegalArgumentException("DitWeights: " + blocks.size() + " blocks for num_layers "
                    + config.numLayers());
        blocks = List.copyOf(blocks);
    }

    /** Zero-filled weights of the right sizes (a loader fills them). */
    public static DitWeights zeros(DitConfig c) {
        int d = c.dim();
        List<BlockWeights> bs = new ArrayList<>();
        for (int i = 0; i < c.numLayers(); i++) bs.add(BlockWeights.zeros(c));
        return new DitWeights(c, Linear.zeros(c.patchVolume(), d), Linear.zeros(c.textDim(), d), Linear.zeros(d, d),
                Linear.zeros(c.freqDim(), d), Linear.zeros(d, d), Linear.zeros(d, 6 * d), bs,
                new float[2 * d], Linear.zeros(d, c.headOutDim()));
    }

    /**
     * Random weights for tests and benchmarks: Linear weights uniform with Xavier bounds (activations stay O(1)),
     * small random biases, modulations ~ N(0, 1/dim) like the reference's init, norm weights near 1.
     * Deterministic for a seed; filled in parallel (the 1.3B model has 1.4 G parameters).
     */
    public static DitWeights random(DitConfig c, long seed, Parallel parallel) {
        DitWeights w = zeros(c);
        List<float[][]> groups = new ArrayList<>();
        List<double[]> bounds = new ArrayList<>();
        w.forEachLinear(l -> {
            groups.add(new float[][] {l.weight()});
            bounds.add(new double[] {Math.sqrt(6.0 / (l.in() + l.out()))});
            groups.add(new float[][] {l.bias()});
            bounds.add(new double[] {0.1});
        });
        double modScale = 1.0 / Math.sqrt(c.dim());
        for (BlockWeights b : w.blocks()) {
            groups.add(new float[][] {b.modulation()});
            bounds.add(new double[] {modScale * Math.sqrt(3)});
        }
        groups.add(new float[][] {w.headModulation()});
        bounds.add(new double[] {modScale * Math.sqrt(3)});
        List<float[]> norms = new ArrayList<>();
        for (BlockWeights b : w.blocks()) {
            for (float[] n : new float[][] {b.selfNormQ(), b.selfNormK(), b.crossNormQ(), b.crossNormK(), b.norm3Weight()})
                if (n != null) norms.add(n);
            if (b.norm3Bias() != null) {
                groups.add(new float[][] {b.norm3Bias()});
                bounds.add(new double[] {0.1});
            }
        }
        int total = groups.size() + norms.size();
        parallel.forEach(total, i -> {
            SplittableRandom rnd = new SplittableRandom(seed * 1_000_003L + i);
            if (i < groups.size()) {
                float[] a = groups.get(i)[0];
                double bound = bounds.get(i)[0];
                for (int j = 0; j < a.length; j++) a[j] = (float) ((rnd.nextDouble() * 2 - 1) * bound);
            } else {
                float[] a = norms.get(i - groups.size());
                for (int j = 0; j < a.length; j++) a[j] = (float) (1 + (rnd.nextDouble() * 2 - 1) * 0.1);
            }
        });
        return w;
    }

    /** Visits every Linear layer (embeddings, blocks, head). */
    public void forEachLinear(java.util.function.Consumer<Linear> f) {
        for (Linear l : List.of(patchEmbedding, textEmbedding0, textEmbedding2, timeEmbedding0, timeEmbedding2,
                timeProjection, head)) f.accept(l);
        for (BlockWeights b : blocks)
            for (Linear l : List.of(b.selfQ(), b.selfK(), b.selfV(), b.selfO(), b.crossQ(), b.crossK(), b.crossV(),
                    b.crossO(), b.ffn0(), b.ffn2())) f.accept(l);
    }

    /** Bytes of all float32 parameters. */
    public long bytes() {
        return config.parameterCount() * Float.BYTES;
    }
}
