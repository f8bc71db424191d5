package longlive.io;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import longlive.tensor.Tensor;
import longlive.text.T5BlockWeights;
import longlive.text.T5Config;
import longlive.text.T5Weights;
import longlive.text.WeightMatrix;

/**
 * umT5 encoder checkpoint keys ({@code T5Encoder.state_dict()} of {@code wan/modules/t5.py}, as in Wan's
 * {@code models_t5_umt5-xxl-enc-bf16.pth} and the text parity cases' {@code t5.safetensors}) to and from
 * {@link T5Weights}. The only place these key strings exist.
 *
 * <p>Storage ({@link Storage}): by default the Linear weights and the token embedding of a bf16 file stay bf16
 * (read as raw bits by {@link Bf16Tensors}, never widened whole; the XXL encoder takes 11.4 GB instead of 22.8 GB),
 * everything else is widened to float32. The reference widens the whole bf16 file into a float32 model
 * ({@code WanTextEncoder} builds {@code umt5_xxl(dtype=torch.float32)}); since bf16 widens exactly and the GEMM
 * widens while packing, the outputs are the same bit for bit. {@link Storage#FLOAT32} widens everything (training).
 */
public final class UmT5Checkpoint {
    private UmT5Checkpoint() {}

    private static final String TOKEN_EMBEDDING = "token_embedding.weight";
    private static final String SHARED_POS = "pos_embedding.embedding.weight";
    private static final String FINAL_NORM = "norm.weight";
    /** How the matrices of a loaded model are held. */
    public enum Storage {
        /** bf16 tensors stay bf16, other floating types become float32. */
        AS_STORED,
        /** Everything widened to float32 (what training needs). */
        FLOAT32
    }

    private static final Pattern BLOCK = Pattern.compile("blocks\\.(\\d+)\\..*");

    /** Every key of a umT5 encoder with config {@code c} and its shape, in module order. */
    public static Map<String, int[]> expectedShapes(T5Config c) {
        Map<String, int[]> m = new LinkedHashMap<>();
        int d = c.dim(), a = c.dimAttn(), f = c.dimFfn();
        m.put(TOKEN_EMBEDDING, new int[] {c.vocabSize(), d});
        if (c.sharedPos()) m.put(SHARED_POS, new int[] {c.numBuckets(), c.numHeads()});
        for (int i = 0; i < c.numLayers(); i++) {
            String p = "blocks." + i + ".";
            m.put(p + "norm1.weight", new int[] {d});
            m.put(p + "attn.q.weight", new int[] {a, d});
            m.put(p + "attn.k.weight", new int[] {a, d});
            m.put(p + "attn.v.weight", new int[] {a, d});
            m.put(p + "attn.o.weight", new int[] {d, a});
            m.put(p + "norm2.weight", new int[] {d});
            m.put(p + "ffn.gate.0.weight", new int[] {f, d});
            m.put(p + "ffn.fc1.weight", new int[] {f, d});
            m.put(p + "ffn.fc2.weight", new int[] {d, f});
            if (!c.sharedPos()) m.put(p + SHARED_POS, new int[] {c.numBuckets(), c.numHeads()});
        }
        m.put(FINAL_NORM, new int[] {d});
        return m;
    }

    /**
     * Opens a checkpoint: {@code *.safetensors}, or anything else as a {@code torch.save} zip
     * ({@code models_t5_umt5-xxl-enc-bf16.pth}, a plain state dict), and loads it for {@code c}.
     */
    public static T5Weights load(Path file, T5Config c) {
        return load(file, c, Storage.AS_STORED);
    }

    /** {@link #load(Path, T5Config)} with the matrices held as {@code storage} says. */
    public static T5Weights load(Path file, T5Config c, Storage storage) {
        try (StateDict sd = open(file)) {
            return load(sd, c, storage);
        }
    }

    /** The state dict of a safetensors or torch zip file (close it when done). */
    public static StateDict open(Path file) {
        return file.getFileName().toString().endsWith(".safetensors") ? SafeTensors.load(file)
                : TorchCheckpoint.load(file);
    }

    /**
     * Builds the weights from a state dict holding exactly the keys of {@link #expectedShapes}; a missing,
     * unexpected or mis-shaped tensor is refused with a {@link CheckpointException} listing them all. Each tensor
     * is decoded once, straight into the array the weights keep (no second copy: the XXL embedding alone is 4 GB
     * in float32).
     */
    public static T5Weights load(StateDict sd, T5Config c) {
        return load(sd, c, Storage.AS_STORED);
    }

    /**
     * {@link #load(StateDict, T5Config)} with the matrices held as {@code storage} says. Each tensor is decoded
     * once, straight into the array the weights keep: bf16 stays bits when kept, so no float32 copy of a bf16
     * tensor ever exists.
     */
    public static T5Weights load(StateDict sd, T5Config c, Storage storage) {
        Map<String, int[]> shapes = expectedShapes(c);
        sd.requireExactly(shapes);
        List<T5BlockWeights> blocks = new ArrayList<>();
        for (int i = 0; i < c.numLayers(); i++) {
            String p = "blocks." + i + ".";
            java.util.function.Function<String, WeightMatrix> m = k -> matrix(sd, p + k, shapes, storage);
            blocks.add(new T5BlockWeights(get(sd, p + "norm1.weight"), m.apply("attn.q.weight"),
                    m.apply("attn.k.weight"), m.apply("attn.v.weight"), m.apply("attn.o.weight"),
                    get(sd, p + "norm2.weight"), m.apply("ffn.gate.0.weight"), m.apply("ffn.fc1.weight"),
                    m.apply("ffn.fc2.weight"), c.sharedPos() ? null : get(sd, p + SHARED_POS)));
        }
        return new T5Weights(c, matrix(sd, TOKEN_EMBEDDING, shapes, storage),
                c.sharedPos() ? get(sd, SHARED_POS) : null, blocks, get(sd, FINAL_NORM));
    }

    private static float[] get(StateDict sd, String key) {
        return sd.tensor(key).data();
    }

    private static WeightMatrix matrix(StateDict sd, String key, Map<String, int[]> shapes, Storage storage) {
        int[] s = shapes.get(key);
        if (storage == Storage.AS_STORED && Bf16Tensors.isBf16(sd, key))
            return WeightMatrix.ofBf16(s[0], s[1], Bf16Tensors.bits(sd, key, s));
        return WeightMatrix.ofFloats(s[0], s[1], sd.tensor(key, s).data());
    }

    /**
     * Reads the architecture off the tensor shapes (vocab and dim from the embedding, dim_attn from q, dim_ffn from
     * fc1, heads and buckets from a position table, layers from the block indices). Whether the result is complete
     * and consistent is checked by {@link #load(StateDict, T5Config)}.
     */
    public static T5Config inferConfig(StateDict sd) {
        int layers = 0;
        for (String k : sd.names()) {
            Matcher m = BLOCK.matcher(k);
            if (m.matches()) layers = Math.max(layers, Integer.parseInt(m.group(1)) + 1);
        }
        if (layers == 0) throw new CheckpointException(sd.source() + ": no 'blocks.N.' tensors; not a umT5 encoder");
        boolean shared = sd.contains(SHARED_POS);
        String pos = shared ? SHARED_POS : "blocks.0." + SHARED_POS;
        for (String k : new String[] {TOKEN_EMBEDDING, "blocks.0.attn.q.weight", "blocks.0.ffn.fc1.weight", pos})
            if (!sd.contains(k))
                throw new CheckpointException(sd.source() + ": no tensor '" + k + "'; not a umT5 encoder state dict");
        int[] emb = sd.shape(TOKEN_EMBEDDING), q = sd.shape("blocks.0.attn.q.weight");
        int[] fc1 = sd.shape("blocks.0.ffn.fc1.weight"), table = sd.shape(pos);
        if (emb.length != 2 || q.length != 2 || fc1.length != 2 || table.length != 2)
            throw new CheckpointException(sd.source() + ": umT5 weights must be 2-D matrices");
        return new T5Config(emb[0], emb[1], q[0], fc1[0], table[1], layers, table[0], shared);
    }

    /**
     * Writes {@code w} as a safetensors file with the reference key names, all float32 (bf16-held matrices are
     * widened one at a time while writing).
     */
    public static void save(T5Weights w, Path file) {
        T5Config c = w.config();
        Map<String, Object> data = new LinkedHashMap<>(); // float[] or WeightMatrix
        data.put(TOKEN_EMBEDDING, w.tokenEmbedding());
        if (c.sharedPos()) data.put(SHARED_POS, w.sharedPosEmbedding());
        for (int i = 0; i < c.numLayers(); i++) {
            String p = "blocks." + i + ".";
            T5BlockWeights b = w.blocks().get(i);
            data.put(p + "norm1.weight", b.norm1());
            data.put(p + "attn.q.weight", b.q());
            data.put(p + "attn.k.weight", b.k());
            data.put(p + "attn.v.weight", b.v());
            data.put(p + "attn.o.weight", b.o());
            data.put(p + "norm2.weight", b.norm2());
            data.put(p + "ffn.gate.0.weight", b.gate());
            data.put(p + "ffn.fc1.weight", b.fc1());
            data.put(p + "ffn.fc2.weight", b.fc2());
            if (!c.sharedPos()) data.put(p + SHARED_POS, b.posEmbedding());
        }
        data.put(FINAL_NORM, w.finalNorm());
        SafeTensorsWriter out = new SafeTensorsWriter();
        for (Map.Entry<String, int[]> e : expectedShapes(c).entrySet()) {
            Object v = data.get(e.getKey());
            int[] shape = e.getValue();
            if (v instanceof float[] f) out.add(e.getKey(), Tensor.of(f, shape));
            else out.add(e.getKey(), shape, () -> {
                WeightMatrix m = (WeightMatrix) v;
                return Tensor.of(m.isBf16() ? m.toFloats() : m.floats(), shape);
            });
        }
        out.write(file);
    }
}
