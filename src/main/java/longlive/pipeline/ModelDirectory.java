package longlive.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import longlive.dit.DitConfig;
import longlive.dit.DitWeights;
import longlive.io.CheckpointException;
import longlive.io.LongLiveCheckpoints;
import longlive.io.LoraMerge;
import longlive.io.StateDict;
import longlive.io.WanDitCheckpoint;
import longlive.kernel.MatMul;
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
 * dit/model.safetensors      Wan2.1 DiT key names (converted), or instead
 * dit/longlive_base.pt       LongLive's checkpoint as released (torch dict, "generator" / "generator_ema", "model." names)
 * dit/lora.pt                optional PEFT LoRA ("generator_lora"), merged at load: W += (alpha / r) B A
 * dit/longlive.json          optional {"use_ema": false, "adapter": {"rank": 256, "alpha": 256}} (the reference defaults)
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
                             VaeConfig vae, Path vaeWeights, LatentStats stats, DitSource ditSource) {

    /** This model with other inference settings (e.g. another window or sink, for an ablation). */
    public ModelDirectory withInference(InferenceConfig other) {
        return new ModelDirectory(root, name, videoHeight, videoWidth, other, dit, ditWeights, t5, t5Weights, tokenizer,
                vae, vaeWeights, stats, ditSource);
    }

    /** The LongLive torch checkpoint {@code dit/} may hold instead of {@code model.safetensors}. */
    public static final String LONGLIVE_BASE = "longlive_base.pt";
    /** The optional LoRA merged into the DiT weights. */
    public static final String LORA = "lora.pt";
    /** Optional: which generator state dict and the LoRA rank / alpha (the reference yaml's adapter section). */
    public static final String LONGLIVE_JSON = "longlive.json";

    /**
     * How the DiT weights are read: {@code ditWeights} is a safetensors file with Wan2.1 names, or a torch file
     * (a LongLive {@code .pt} dict, or a plain state dict) whose generator is under {@code generatorKey};
     * {@code lora} (nullable) is merged with scale {@code loraAlpha / loraRank}.
     *
     * @param generatorKey "generator_ema" ({@code use_ema} true), or null: "generator", else "model", else the top
     *                     level when it is itself a state dict (the reference's {@code use_ema: false})
     * @param loraRank     the rank the config promises; a LoRA file of another rank is refused
     */
    public record DitSource(String generatorKey, Path lora, int loraRank, double loraAlpha) {
        /** LongLive's adapter defaults ({@code configs/longlive_*.yaml}: rank 256, alpha 256, so the scale is 1). */
        public static final int DEFAULT_RANK = 256;
        public static final double DEFAULT_ALPHA = 256;

        public DitSource {
            if (loraRank < 1) throw new IllegalArgumentException("LoRA rank must be >= 1, got " + loraRank);
            if (!(loraAlpha > 0) || !Double.isFinite(loraAlpha))
                throw new IllegalArgumentException("LoRA alpha must be a positive number, got " + loraAlpha);
        }
    }

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
        Path ditFile = ditWeightsFile(root);
        DitSource src = parse(root, "dit/" + LONGLIVE_JSON, () -> ditSource(root, ditFile));
        return new ModelDirectory(root, name, h, w, inf, dit, ditFile, t5,
                weights(root, "text", "model"), file(root, "text/tokenizer.json"), vae, weights(root, "vae", "model"),
                stats, src);
    }

    /**
     * Loads the DiT weights as {@link #ditSource} says: a converted safetensors file directly, or the generator of a
     * LongLive {@code .pt} (FSDP wrapper names and the {@code model.} prefix removed), with {@code lora.pt} merged
     * when present. Every problem (missing or mis-shaped tensors, a LoRA that does not fit) names the files.
     *
     * @param matMul computes the LoRA products {@code B . A}
     */
    public DitWeights loadDit(MatMul matMul) {
        boolean safetensors = ditWeights.getFileName().toString().endsWith(".safetensors");
        if (safetensors && ditSource.lora() == null) return WanDitCheckpoint.load(ditWeights, dit);
        try (StateDict base = LongLiveCheckpoints.generator(ditWeights, ditSource.generatorKey())) {
            if (ditSource.lora() == null) return WanDitCheckpoint.load(base, dit);
            try (StateDict lora = LongLiveCheckpoints.lora(ditSource.lora(), null)) {
                LoraMerge merge = LoraMerge.plan(base, lora, ditSource.loraAlpha(), matMul);
                for (LoraMerge.Module m : merge.modules())
                    if (m.rank() != ditSource.loraRank())
                        throw new CheckpointException(ditSource.lora() + ": " + m.name() + " has LoRA rank " + m.rank()
                                + " but " + (Files.isRegularFile(ditWeights.resolveSibling(LONGLIVE_JSON))
                                ? "dit/" + LONGLIVE_JSON + " says " : "the default (no dit/" + LONGLIVE_JSON + ") is ")
                                + ditSource.loraRank() + "; set \"adapter\": {\"rank\": " + m.rank()
                                + ", \"alpha\": ...} as in the training config");
                return WanDitCheckpoint.load(merge.merged(), dit);
            }
        }
    }

    /** {@code dit/model.safetensors}, {@code dit/longlive_base.pt} or {@code dit/model.pth}; refuses two at once. */
    private static Path ditWeightsFile(Path root) {
        Path d = root.resolve("dit");
        java.util.List<Path> found = new java.util.ArrayList<>();
        for (String n : new String[] {"model.safetensors", LONGLIVE_BASE, "model.pth"})
            if (Files.isRegularFile(d.resolve(n))) found.add(d.resolve(n));
        if (found.isEmpty())
            throw new IllegalArgumentException("model directory " + root + " has no dit/model.safetensors (or dit/"
                    + LONGLIVE_BASE + " or dit/model.pth; see docs/generate.md)");
        if (found.size() > 1)
            throw new IllegalArgumentException("model directory " + root + " has more than one DiT weight file: "
                    + found.stream().map(f -> "dit/" + f.getFileName()).toList() + "; keep one");
        return found.get(0);
    }

    /** Reads the optional {@code dit/longlive.json} and finds {@code dit/lora.pt}. */
    private static DitSource ditSource(Path root, Path ditFile) throws IOException {
        Path cfg = root.resolve("dit").resolve(LONGLIVE_JSON);
        boolean ema = false;
        int rank = DitSource.DEFAULT_RANK;
        double alpha = DitSource.DEFAULT_ALPHA;
        if (Files.isRegularFile(cfg)) {
            JsonNode n = json(root, "dit/" + LONGLIVE_JSON);
            for (java.util.Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
                String k = it.next();
                if (!k.equals("use_ema") && !k.equals("adapter"))
                    throw new IllegalArgumentException(cfg + ": unknown key '" + k + "' (known: use_ema, adapter)");
            }
            JsonNode e = n.get("use_ema");
            if (e != null && !e.isBoolean())
                throw new IllegalArgumentException(cfg + ": 'use_ema' must be true or false, got " + e);
            ema = e != null && e.booleanValue();
            JsonNode a = n.get("adapter");
            if (a != null) {
                if (!a.isObject()) throw new IllegalArgumentException(cfg + ": 'adapter' must be an object");
                if (a.has("rank")) rank = intField(root, "dit/" + LONGLIVE_JSON, a, "rank");
                JsonNode al = a.get("alpha");
                if (al != null) {
                    if (!al.isNumber()) throw new IllegalArgumentException(cfg + ": 'alpha' must be a number, got " + al);
                    alpha = al.doubleValue();
                }
            }
        }
        Path lora = root.resolve("dit").resolve(LORA);
        boolean safetensors = ditFile.getFileName().toString().endsWith(".safetensors");
        if (ema && safetensors)
            throw new IllegalArgumentException(cfg + ": use_ema needs dit/" + LONGLIVE_BASE
                    + " (a safetensors file holds one state dict)");
        try {
            return new DitSource(ema ? "generator_ema" : null,
                    Files.isRegularFile(lora) ? lora : null, rank, alpha);
        } catch (IllegalArgumentException x) {
            throw new IllegalArgumentException(cfg + ": " + x.getMessage(), x);
        }
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
