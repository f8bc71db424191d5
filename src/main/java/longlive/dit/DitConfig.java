package longlive.dit;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import longlive.io.JsonConfigs;
import java.util.Arrays;

/**
 * The Wan2.1 DiT architecture, mirroring the keys of Wan's {@code config.json}
 * ({@code dim, ffn_dim, freq_dim, num_heads, num_layers, in_dim, out_dim, text_len, text_dim, patch_size, eps,
 * qk_norm, cross_attn_norm, model_type}). Keys the shipped Wan2.1-T2V-1.3B file leaves out take the defaults of
 * {@code CausalWanModel.__init__}: text_dim 4096, patch_size (1,2,2), qk_norm and cross_attn_norm true, eps 1e-6.
 *
 * <p>Derived sizes ({@link #headDim()}, {@link #patchVolume()}, the RoPE split) are computed here, so no other
 * file hard-codes 128, 1536 or 1560.
 *
 * @param patchT temporal patch size; the causal model emits one timestep per latent frame, so it must be 1
 */
public record DitConfig(String modelType, int dim, int ffnDim, int freqDim, int numHeads, int numLayers,
                        int inDim, int outDim, int textLen, int textDim, int patchT, int patchH, int patchW,
                        double eps, boolean qkNorm, boolean crossAttnNorm) {

    /** Wan2.1-T2V-1.3B (LongLive's generator). */
    public static final DitConfig WAN_1_3B = new DitConfig("t2v", 1536, 8960, 256, 12, 30, 16, 16, 512, 4096,
            1, 2, 2, 1e-6, true, true);

    /** A tiny configuration for tests and smoke benchmarks: head_dim 16 (RoPE split 4/2/2 pairs). */
    public static final DitConfig TINY = new DitConfig("t2v", 32, 64, 16, 2, 2, 4, 4, 8, 16,
            1, 2, 2, 1e-6, true, true);

    /** A slightly larger tiny configuration (head_dim 32, 3 layers) for benchmarks. */
    public static final DitConfig SMALL = new DitConfig("t2v", 128, 256, 64, 4, 3, 16, 16, 32, 64,
            1, 2, 2, 1e-6, true, true);

    public DitConfig {
        if (!"t2v".equals(modelType))
            throw new IllegalArgumentException("DitConfig: model_type '" + modelType
                    + "' is not supported (only 't2v'; image-to-video needs the CLIP branch)");
        positive("dim", dim);
        positive("ffn_dim", ffnDim);
        positive("freq_dim", freqDim);
        positive("num_heads", numHeads);
        positive("num_layers", numLayers);
        positive("in_dim", inDim);
        positive("out_dim", outDim);
        positive("text_len", textLen);
        positive("text_dim", textDim);
        positive("patch_size[1]", patchH);
        positive("patch_size[2]", patchW);
        if (patchT != 1)
            throw new IllegalArgumentException("DitConfig: patch_size[0] must be 1 (one timestep per latent frame), got "
                    + patchT);
        if (freqDim % 2 != 0)
            throw new IllegalArgumentException("DitConfig: freq_dim " + freqDim + " must be even (cos and sin halves)");
        if (dim % numHeads != 0)
            throw new IllegalArgumentException("DitConfig: dim " + dim + " is not divisible by num_heads " + numHeads);
        int hd = dim / numHeads;
        // RoPE: head_dim/2 complex pairs split into temporal / height / width parts, each non-empty.
        if (hd % 2 != 0 || hd / 2 - 2 * (hd / 2 / 3) < 1 || hd / 2 / 3 < 1)
            throw new IllegalArgumentException("DitConfig: head_dim " + hd + " (dim " + dim + " / num_heads " + numHeads
                    + ") must be even and >= 6 so the 3D RoPE split (t, h, w) is non-empty");
        if (!(eps > 0) || !Double.isFinite(eps))
            throw new IllegalArgumentException("DitConfig: eps must be positive, got " + eps);
    }

    private static void positive(String key, int v) {
        if (v < 1) throw new IllegalArgumentException("DitConfig: " + key + " must be >= 1, got " + v);
    }

    public int headDim() {
        return dim / numHeads;
    }

    /** Elements of one patch: in_dim * pt * ph * pw (the patch-embedding input width). */
    public int patchVolume() {
        return inDim * patchT * patchH * patchW;
    }

    /** Width of the head's output per token: out_dim * pt * ph * pw. */
    public int headOutDim() {
        return outDim * patchT * patchH * patchW;
    }

    /** Complex RoPE pairs per head given to the temporal axis (22 for head_dim 128). */
    public int ropeTemporalPairs() {
        int c = headDim() / 2;
        return c - 2 * (c / 3);
    }

    /** Complex RoPE pairs per head for each spatial axis (21 for head_dim 128). */
    public int ropeSpatialPairs() {
        return headDim() / 2 / 3;
    }

    /** Tokens of one latent frame of {@code height x width} latent pixels (1560 for 60 x 104). */
    public int frameSeqLen(int latentHeight, int latentWidth) {
        if (latentHeight % patchH != 0 || latentWidth % patchW != 0)
            throw new IllegalArgumentException("latent size " + latentHeight + "x" + latentWidth
                    + " is not divisible by the patch " + patchH + "x" + patchW);
        return (latentHeight / patchH) * (latentWidth / patchW);
    }

    /** Parameter count (for reports). */
    public long parameterCount() {
        long d = dim;
        long block = 6 * d + 4 * (d * d + d) + 2 * d + 2 * d + 4 * (d * d + d) + 2 * d
                + (d * ffnDim + ffnDim) + ((long) ffnDim * d + d);
        long embed = (long) patchVolume() * d + d + ((long) textDim * d + d) + (d * d + d)
                + ((long) freqDim * d + d) + (d * d + d) + (d * 6 * d + 6 * d);
        long head = 2 * d + d * headOutDim() + headOutDim();
        return embed + numLayers * block + head;
    }

    /** Reads a Wan-style {@code config.json}; keys missing from the file take Wan's defaults (see class doc). */
    public static DitConfig fromJson(Path file) throws IOException {
        return JsonConfigs.read(file, DitConfig::fromJson);
    }

    /** Builds a config from a parsed Wan {@code config.json} object. */
    public static DitConfig fromJson(JsonNode n) {
        if (n == null || !n.isObject()) throw new IllegalArgumentException("DitConfig: config.json is not a JSON object");
        int[] patch = {1, 2, 2};
        JsonNode p = n.get("patch_size");
        if (p != null) {
            if (!p.isArray() || p.size() != 3)
                throw new IllegalArgumentException("DitConfig: patch_size must be a list of 3 ints, got " + p);
            for (int i = 0; i < 3; i++) patch[i] = intValue(p.get(i), "patch_size[" + i + "]");
        }
        return new DitConfig(
                n.has("model_type") ? n.get("model_type").asText() : "t2v",
                requiredInt(n, "dim"), requiredInt(n, "ffn_dim"), optInt(n, "freq_dim", 256),
                requiredInt(n, "num_heads"), requiredInt(n, "num_layers"),
                optInt(n, "in_dim", 16), optInt(n, "out_dim", 16), optInt(n, "text_len", 512),
                optInt(n, "text_dim", 4096), patch[0], patch[1], patch[2],
                n.has("eps") ? n.get("eps").asDouble() : 1e-6,
                optBool(n, "qk_norm", true), optBool(n, "cross_attn_norm", true));
    }

    private static int requiredInt(JsonNode n, String key) {
        if (!n.has(key)) throw new IllegalArgumentException("DitConfig: config.json has no '" + key + "'");
        return intValue(n.get(key), key);
    }

    private static int optInt(JsonNode n, String key, int dflt) {
        return n.has(key) ? intValue(n.get(key), key) : dflt;
    }

    private static int intValue(JsonNode v, String key) {
        if (v == null || !v.isIntegralNumber() || !v.canConvertToInt())
            throw new IllegalArgumentException("DitConfig: '" + key + "' must be an integer, got " + v);
        return v.intValue();
    }

    private static boolean optBool(JsonNode n, String key, boolean dflt) {
        if (!n.has(key)) return dflt;
        JsonNode v = n.get(key);
        if (!v.isBoolean()) throw new IllegalArgumentException("DitConfig: '" + key + "' must be true/false, got " + v);
        return v.booleanValue();
    }

    /** The preset named {@code tiny}, {@code small} or {@code 1.3b}. */
    public static DitConfig preset(String name) {
        return switch (name.toLowerCase(java.util.Locale.ROOT)) {
            case "tiny" -> TINY;
            case "small" -> SMALL;
            case "1.3b", "wan-1.3b", "wan2.1-t2v-1.3b" -> WAN_1_3B;
            default -> throw new IllegalArgumentException("unknown model preset '" + name
                    + "'; known: " + Arrays.asList("tiny", "small", "1.3b"));
        };
    }
}
