package longlive.text;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import longlive.io.JsonConfigs;
import java.util.Iterator;
import java.util.Set;

/**
 * The umT5 encoder architecture as Wan builds it ({@code wan/modules/t5.py}, {@code umt5_xxl(encoder_only=True)}),
 * mirroring the keys of a text parity case's {@code t5_config.json}: {@code vocab_size, dim, dim_attn, dim_ffn,
 * num_heads, num_layers, num_buckets, shared_pos}.
 *
 * <p>Fixed by the reference code rather than the config (so not fields): T5 RMSNorm eps {@link #EPS}, relative
 * position buckets bidirectional with {@link #MAX_DISTANCE}, no bias in any Linear, no attention scaling.
 *
 * @param sharedPos true: one relative-position table for all layers ({@code pos_embedding}); false: one per layer
 *                  ({@code blocks.N.pos_embedding}), the umT5-XXL layout
 */
public record T5Config(int vocabSize, int dim, int dimAttn, int dimFfn, int numHeads, int numLayers, int numBuckets,
                       boolean sharedPos) {

    /** T5LayerNorm's epsilon (inside the rsqrt). */
    public static final float EPS = 1e-6f;
    /** {@code T5RelativeEmbedding.max_dist}: distances from here on share the last logarithmic bucket. */
    public static final int MAX_DISTANCE = 128;

    /** umT5-XXL encoder, Wan's text encoder ({@code models_t5_umt5-xxl-enc-bf16.pth}): 5.7 G parameters. */
    public static final T5Config UMT5_XXL = new T5Config(256384, 4096, 4096, 10240, 64, 24, 32, false);

    /** A tiny configuration for tests and smoke benchmarks (same layout as XXL: per-layer position tables). */
    public static final T5Config TINY = new T5Config(64, 32, 24, 48, 3, 2, 16, false);

    private static final Set<String> KEYS = Set.of("vocab_size", "dim", "dim_attn", "dim_ffn", "num_heads",
            "num_layers", "num_buckets", "shared_pos");

    public T5Config {
        positive("vocab_size", vocabSize);
        positive("dim", dim);
        positive("dim_attn", dimAttn);
        positive("dim_ffn", dimFfn);
        positive("num_heads", numHeads);
        positive("num_layers", numLayers);
        positive("num_buckets", numBuckets);
        if (dimAttn % numHeads != 0)
            throw new IllegalArgumentException("T5Config: dim_attn " + dimAttn + " is not divisible by num_heads "
                    + numHeads);
        // Bidirectional buckets: num_buckets/2 per direction, of which num_buckets/4 are exact; the logarithmic
        // part divides by log(max_dist / max_exact), so max_exact must be >= 1 and below max_dist.
        if (numBuckets < 4 || numBuckets / 4 >= MAX_DISTANCE)
            throw new IllegalArgumentException("T5Config: num_buckets must be in [4, " + 4 * MAX_DISTANCE
                    + "), got " + numBuckets);
        if ((long) vocabSize * dim > Integer.MAX_VALUE - 8)
            throw new IllegalArgumentException("T5Config: token embedding [" + vocabSize + ", " + dim
                    + "] is too large for one float array");
        if ((long) dimFfn * dim > Integer.MAX_VALUE - 8 || (long) dimAttn * dim > Integer.MAX_VALUE - 8)
            throw new IllegalArgumentException("T5Config: a layer weight is too large for one float array");
    }

    private static void positive(String key, int v) {
        if (v < 1) throw new IllegalArgumentException("T5Config: " + key + " must be >= 1, got " + v);
    }

    /** {@code dim_attn / num_heads} (64 for XXL). */
    public int headDim() {
        return dimAttn / numHeads;
    }

    /** Parameter count (for reports): embedding, per-layer weights and position tables, final norm. */
    public long parameterCount() {
        long d = dim;
        long block = 2 * d + 4 * d * dimAttn + 3 * d * dimFfn + (sharedPos ? 0 : (long) numBuckets * numHeads);
        return (long) vocabSize * d + numLayers * block + (sharedPos ? (long) numBuckets * numHeads : 0) + d;
    }

    /** Reads a {@code t5_config.json}; every key is required and unknown keys are refused. */
    public static T5Config fromJson(Path file) throws IOException {
        return JsonConfigs.read(file, T5Config::fromJson);
    }

    /** Builds a config from a parsed {@code t5_config.json} object (all keys required, none unknown). */
    public static T5Config fromJson(JsonNode n) {
        if (n == null || !n.isObject()) throw new IllegalArgumentException("T5Config: t5_config.json is not a JSON object");
        for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!KEYS.contains(k))
                throw new IllegalArgumentException("T5Config: unknown key '" + k + "' (known: vocab_size, dim, dim_attn, "
                        + "dim_ffn, num_heads, num_layers, num_buckets, shared_pos)");
        }
        JsonNode sp = n.get("shared_pos");
        if (sp == null || !sp.isBoolean())
            throw new IllegalArgumentException("T5Config: 'shared_pos' must be true or false, got " + sp);
        return new T5Config(requiredInt(n, "vocab_size"), requiredInt(n, "dim"), requiredInt(n, "dim_attn"),
                requiredInt(n, "dim_ffn"), requiredInt(n, "num_heads"), requiredInt(n, "num_layers"),
                requiredInt(n, "num_buckets"), sp.booleanValue());
    }

    private static int requiredInt(JsonNode n, String key) {
        JsonNode v = n.get(key);
        if (v == null) throw new IllegalArgumentException("T5Config: missing key '" + key + "'");
        if (!v.isIntegralNumber() || !v.canConvertToInt())
            throw new IllegalArgumentException("T5Config: '" + key + "' must be an integer, got " + v);
        return v.intValue();
    }
}
