package longlive.io;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import longlive.dit.BlockWeights;
import longlive.dit.DitConfig;
import longlive.dit.DitWeights;
import longlive.dit.Linear;
import longlive.tensor.Tensor;

/**
 * Wan2.1 DiT checkpoint keys ({@code diffusion_pytorch_model.safetensors}, {@code CausalWanModel.state_dict()})
 * to and from {@link DitWeights}. The only place these key strings exist.
 *
 * <p>The patch embedding is a Conv3d {@code [dim, in_dim, pt, ph, pw]}; its row-major data is exactly the
 * {@code [dim, in_dim * pt * ph * pw]} matrix {@link DitWeights#patchEmbedding()} expects, so it is reshaped, not
 * permuted.
 */
public final class WanDitCheckpoint {
    private WanDitCheckpoint() {}

    /** Every key of a Wan2.1 DiT with config {@code c} and its shape, in module order. */
    public static Map<String, int[]> expectedShapes(DitConfig c) {
        Map<String, int[]> m = new LinkedHashMap<>();
        int d = c.dim();
        m.put("patch_embedding.weight", new int[] {d, c.inDim(), c.patchT(), c.patchH(), c.patchW()});
        m.put("patch_embedding.bias", new int[] {d});
        linear(m, "text_embedding.0", c.textDim(), d);
        linear(m, "text_embedding.2", d, d);
        linear(m, "time_embedding.0", c.freqDim(), d);
        linear(m, "time_embedding.2", d, d);
        linear(m, "time_projection.1", d, 6 * d);
        for (int i = 0; i < c.numLayers(); i++) {
            String p = "blocks." + i + ".";
            m.put(p + "modulation", new int[] {1, 6, d});
            for (String a : new String[] {"self_attn", "cross_attn"}) {
                for (String proj : new String[] {"q", "k", "v", "o"}) linear(m, p + a + "." + proj, d, d);
                if (c.qkNorm()) {
                    m.put(p + a + ".norm_q.weight", new int[] {d});
                    m.put(p + a + ".norm_k.weight", new int[] {d});
                }
            }
            if (c.crossAttnNorm()) {
                m.put(p + "norm3.weight", new int[] {d});
                m.put(p + "norm3.bias", new int[] {d});
            }
            linear(m, p + "ffn.0", d, c.ffnDim());
            linear(m, p + "ffn.2", c.ffnDim(), d);
        }
        linear(m, "head.head", d, c.headOutDim());
        m.put("head.modulation", new int[] {1, 2, d});
        return m;
    }

    private static void linear(Map<String, int[]> m, String prefix, int in, int out) {
        m.put(prefix + ".weight", new int[] {out, in});
        m.put(prefix + ".bias", new int[] {out});
    }

    /** Opens a safetensors checkpoint and loads it (see {@link #load(StateDict, DitConfig)}). */
    public static DitWeights load(Path file, DitConfig c) {
        try (StateDict sd = SafeTensors.load(file)) {
            return load(sd, c);
        }
    }

    /**
     * Builds the weights from a state dict holding exactly the keys of {@link #expectedShapes}; a missing,
     * unexpected or mis-shaped tensor is refused with a {@link CheckpointException} listing them all.
     */
    public static DitWeights load(StateDict sd, DitConfig c) {
        sd.requireExactly(expectedShapes(c));
        DitWeights w = DitWeights.zeros(c);
        copy(sd, "patch_embedding.weight", w.patchEmbedding().weight());
        copy(sd, "patch_embedding.bias", w.patchEmbedding().bias());
        linear(sd, "text_embedding.0", w.textEmbedding0());
        linear(sd, "text_embedding.2", w.textEmbedding2());
        linear(sd, "time_embedding.0", w.timeEmbedding0());
        linear(sd, "time_embedding.2", w.timeEmbedding2());
        linear(sd, "time_projection.1", w.timeProjection());
        for (int i = 0; i < c.numLayers(); i++) {
            String p = "blocks." + i + ".";
            BlockWeights b = w.blocks().get(i);
            copy(sd, p + "modulation", b.modulation());
            linear(sd, p + "self_attn.q", b.selfQ());
            linear(sd, p + "self_attn.k", b.selfK());
            linear(sd, p + "self_attn.v", b.selfV());
            linear(sd, p + "self_attn.o", b.selfO());
            linear(sd, p + "cross_attn.q", b.crossQ());
            linear(sd, p + "cross_attn.k", b.crossK());
            linear(sd, p + "cross_attn.v", b.crossV());
            linear(sd, p + "cross_attn.o", b.crossO());
            if (c.qkNorm()) {
                copy(sd, p + "self_attn.norm_q.weight", b.selfNormQ());
                copy(sd, p + "self_attn.norm_k.weight", b.selfNormK());
                copy(sd, p + "cross_attn.norm_q.weight", b.crossNormQ());
                copy(sd, p + "cross_attn.norm_k.weight", b.crossNormK());
            }
            if (c.crossAttnNorm()) {
                copy(sd, p + "norm3.weight", b.norm3Weight());
                copy(sd, p + "norm3.bias", b.norm3Bias());
            }
            linear(sd, p + "ffn.0", b.ffn0());
            linear(sd, p + "ffn.2", b.ffn2());
        }
        linear(sd, "head.head", w.head());
        copy(sd, "head.modulation", w.headModulation());
        return w;
    }

    private static void linear(StateDict sd, String prefix, Linear l) {
        copy(sd, prefix + ".weight", l.weight());
        copy(sd, prefix + ".bias", l.bias());
    }

    private static void copy(StateDict sd, String key, float[] dst) {
        float[] src = sd.tensor(key).data();
        if (src.length != dst.length)
            throw new CheckpointException(sd.source() + ": tensor '" + key + "' has " + src.length
                    + " elements, expected " + dst.length);
        System.arraycopy(src, 0, dst, 0, src.length);
    }

    /** Writes {@code w} as a Wan2.1 safetensors checkpoint (float32). */
    public static void save(DitWeights w, Path file) {
        Map<String, float[]> data = tensors(w);
        Map<String, int[]> shapes = expectedShapes(w.config());
        SafeTensorsWriter out = new SafeTensorsWriter();
        for (Map.Entry<String, int[]> e : shapes.entrySet())
            out.add(e.getKey(), Tensor.of(data.get(e.getKey()), e.getValue()));
        out.write(file);
    }

    /**
     * Every tensor of {@code w} under its checkpoint key, in {@link #expectedShapes} order; the arrays are the live
     * weight arrays (no copy), so training can register them as parameters and a gradient twin gets the same names.
     */
    public static Map<String, float[]> tensors(DitWeights w) {
        DitConfig c = w.config();
        Map<String, float[]> data = new LinkedHashMap<>();
        data.put("patch_embedding.weight", w.patchEmbedding().weight());
        data.put("patch_embedding.bias", w.patchEmbedding().bias());
        putLinear(data, "text_embedding.0", w.textEmbedding0());
        putLinear(data, "text_embedding.2", w.textEmbedding2());
        putLinear(data, "time_embedding.0", w.timeEmbedding0());
        putLinear(data, "time_embedding.2", w.timeEmbedding2());
        putLinear(data, "time_projection.1", w.timeProjection());
        for (int i = 0; i < c.numLayers(); i++) {
            String p = "blocks." + i + ".";
            BlockWeights b = w.blocks().get(i);
            data.put(p + "modulation", b.modulation());
            putLinear(data, p + "self_attn.q", b.selfQ());
            putLinear(data, p + "self_attn.k", b.selfK());
            putLinear(data, p + "self_attn.v", b.selfV());
            putLinear(data, p + "self_attn.o", b.selfO());
            putLinear(data, p + "cross_attn.q", b.crossQ());
            putLinear(data, p + "cross_attn.k", b.crossK());
            putLinear(data, p + "cross_attn.v", b.crossV());
            putLinear(data, p + "cross_attn.o", b.crossO());
            if (c.qkNorm()) {
                data.put(p + "self_attn.norm_q.weight", b.selfNormQ());
                data.put(p + "self_attn.norm_k.weight", b.selfNormK());
                data.put(p + "cross_attn.norm_q.weight", b.crossNormQ());
                data.put(p + "cross_attn.norm_k.weight", b.crossNormK());
            }
            if (c.crossAttnNorm()) {
                data.put(p + "norm3.weight", b.norm3Weight());
                data.put(p + "norm3.bias", b.norm3Bias());
            }
            putLinear(data, p + "ffn.0", b.ffn0());
            putLinear(data, p + "ffn.2", b.ffn2());
        }
        putLinear(data, "head.head", w.head());
        data.put("head.modulation", w.headModulation());
        Map<String, float[]> ordered = new LinkedHashMap<>();
        for (String k : expectedShapes(c).keySet()) ordered.put(k, data.get(k));
        return ordered;
    }

    private static void putLinear(Map<String, float[]> m, String prefix, Linear l) {
        m.put(prefix + ".weight", l.weight());
        m.put(prefix + ".bias", l.bias());
    }
}
