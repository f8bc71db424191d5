package longlive.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import longlive.dit.DitConfig;
import longlive.stream.InferenceConfig;
import longlive.text.T5Config;
import longlive.vae.LatentStats;
import longlive.vae.VaeConfig;

/**
 * A model directory on disk: everything {@code generate} needs, validated before any weight is read.
 *
 * <pre>
 * model.json                 {"name": "...", "video_height": 480, "video_width": 832}
 * inference.json             schedule: num_frame_per_block, denoising_step_list, warp_denoising_step, timestep_shift,
 *                            local_attn_size, sink_size, global_sink, context_noise, rope_mode (LongLive defaults)
 * dit/config.json            Wan config.json
 * dit/model.safetensors      Wan2.1 DiT key names
 * text/t5_config.json        umT5 encoder config
 * text/model.safetensors     umT5 encoder (or text/model.pth: models_t5_umt5-xxl-enc-bf16.pth)
 * text/tokenizer.json        SentencePiece Unigram tokenizer.json
 * vae/vae_config.json        Wan VAE config
 * vae/model.safetensors      Wan VAE (or vae/model.pth: Wan2.1_VAE.pth)
 * vae/latent_stats.json      {"mean": [z floats], "std": [z floats]}
 * </pre>
 *
 * The parts must fit together: T5 dim = DiT text_dim, DiT in_dim = VAE z_dim = stats channels, video size a
 * multiple of 8 x patch. Every problem is reported naming the file.
 */
public record ModelDirectory(Path root, String name, int videoHeight, int videoWidth, InferenceConfig inference,
                             DitConfig dit, Path ditWeights, T5Config t5, Path t5Weights, Path tokenizer,
                             VaeConfig vae, Path vaeWeights, LatentStats stats) {

    private static final ObjectMapper JSON = new ObjectMapper();

    public ModelDirectory {
        if (t5.dim() != dit.textDim())
            throw new IllegalArgumentException(root + ": text/t5_config.json dim " + t5.dim()
                    + " != dit/config.json text_dim " + dit.textDim());
        if (dit.inDim() != vae.zDim())
            throw new IllegalArgumentException(root + ": dit/config.json in_dim " + dit.inDim()
                    + " != vae/vae_config.json z_dim " + vae.zDim());
        if (stats.channels() != vae.zDim())
            throw new IllegalArgumentException(root + ": vae/latent_stats.json has " + stats.channels()
                    + " channels, the VAE's z_dim is " + vae.zDim());
        int sh = vae.spatialFactor() * dit.patchH(), sw = vae.spatialFactor() * dit.patchW();
        if (videoHeight <= 0 || videoWidth <= 0 || videoHeight % sh != 0 || videoWidth % sw != 0)
            throw new IllegalArgumentException(root + ": model.json video size " + videoWidth + "x" + videoHeight
                    + " must be positive multiples of " + sw + "x" + sh + " (VAE factor x patch)");
    }

    /** Latent rows (video height / 8). */
    public int latentHeight() {
        return videoHeight / vae.spatialFactor();
    }

    public int latentWidth() {
        return videoWidth / vae.spatialFactor();
    }

    /** Reads and checks every config file and that every weight file exists; weights are loaded later. */
    public static ModelDirectory open(Path root) throws IOException {
        if (!Files.isDirectory(root)) throw new IllegalArgumentException("model directory not found: " + root);
        JsonNode model = json(root, "model.json");
        int h = intField(root, "model.json", model, "video_height");
        int w = intField(root, "model.json", model, "video_width");
        String name = model.path("name").asText(root.getFileName() == null ? "model" : root.getFileName().toString());
        InferenceConfig inf = parse(root, "inference.json", () -> InferenceConfig.fromJson(json(root, "inference.json")));
        DitConfig dit = parse(root, "dit/config.json", () -> DitConfig.fromJson(json(root, "dit/config.json")));
        T5Config t5 = parse(root, "text/t5_config.json", () -> T5Config.fromJson(json(root, "text/t5_config.json")));
        VaeConfig vae = parse(root, "vae/vae_config.json", () -> VaeConfig.fromJson(json(root, "vae/vae_config.json")));
        LatentStats stats = parse(root, "vae/latent_stats.json", () -> {
            JsonNode s = json(root, "vae/latent_stats.json");
            return new LatentStats(floats(s, "mean"), floats(s, "std"));
        });
        return new ModelDirectory(root, name, h, w, inf, dit, weights(root, "dit", "model"), t5,
                weights(root, "text", "model"), file(root, "text/tokenizer.json"), vae, weights(root, "vae", "model"),
                stats);
    }

    private interface Parser<T> {
        T get() throws IOException;
    }

    private static <T> T parse(Path root, String rel, Parser<T> p) throws IOException {
        try {
            return p.get();
        } catch (IllegalArgumentException e) {
            String m = e.getMessage();
            throw new IllegalArgumentException(m != null && m.contains(rel) ? m : root.resolve(rel) + ": " + m, e);
        }
    }

    private static JsonNode json(Path root, String rel) throws IOException {
        Path f = file(root, rel);
        try {
            JsonNode n = JSON.readTree(Files.readAllBytes(f));
            if (n == null || !n.isObject()) throw new IllegalArgumentException(f + ": not a JSON object");
            return n;
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException(f + ": not valid JSON: " + e.getOriginalMessage(), e);
        }
    }

    private static Path file(Path root, String rel) {
        Path f = root.resolve(rel);
        if (!Files.isRegularFile(f))
            throw new IllegalArgumentException("model directory " + root + " has no " + rel + " (see docs/generate.md)");
        return f;
    }

    /** {@code part/model.safetensors}, else {@code part/model.pth}. */
    private static Path weights(Path root, String part, String stem) {
        Path st = root.resolve(part).resolve(stem + ".safetensors"), pth = root.resolve(part).resolve(stem + ".pth");
        if (Files.isRegularFile(st)) return st;
        if (Files.isRegularFile(pth)) return pth;
        throw new IllegalArgumentException("model directory " + root + " has no " + part + "/" + stem
                + ".safetensors (or .pth)");
    }

    private static int intField(Path root, String rel, JsonNode n, String key) {
        JsonNode v = n.get(key);
        if (v == null || !v.isIntegralNumber() || !v.canConvertToInt())
            throw new IllegalArgumentException(root.resolve(rel) + ": '" + key + "' must be an integer, got " + v);
        return v.intValue();
    }

    private static float[] floats(JsonNode n, String key) {
        JsonNode a = n.get(key);
        if (a == null || !a.isArray()) throw new IllegalArgumentException("'" + key + "' must be a list of numbers");
        float[] f = new float[a.size()];
        for (int i = 0; i < f.length; i++) {
            if (!a.get(i).isNumber()) throw new IllegalArgumentException("'" + key + "'[" + i + "] is not a number");
            f[i] = (float) a.get(i).asDouble();
        }
        return f;
    }
}
