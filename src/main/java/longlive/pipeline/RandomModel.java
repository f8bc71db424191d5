package longlive.pipeline;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import longlive.dit.DitConfig;
import longlive.dit.DitWeights;
import longlive.io.UmT5Checkpoint;
import longlive.io.WanDitCheckpoint;
import longlive.io.WanVaeCheckpoint;
import longlive.kernel.Parallel;
import longlive.stream.InferenceConfig;
import longlive.text.T5Config;
import longlive.text.T5Weights;
import longlive.vae.LatentStats;
import longlive.vae.VaeConfig;
import longlive.vae.VaeWeights;

/**
 * Writes a model directory ({@link ModelDirectory} layout) with random weights, for tests and timing. It produces
 * noise; commands fall back to it only when neither {@code --model}, {@code $LONGLIVE_MODEL} nor {@code models/default}
 * names a model.
 *
 * <ul>
 * <li>{@code tiny}: DiT {@link DitConfig#TINY} (text_len 8), a 2-layer T5 of width 16, VAE {@link VaeConfig#TINY},
 *     64x64 video, window 6 + sink 3 (a few MB).</li>
 * <li>{@code real}: Wan2.1-T2V-1.3B DiT and the real Wan VAE at the given video size; the text encoder has umT5-XXL's
 *     layer width (4096, 64 heads, ffn 10240) but 2 layers and a byte-level vocabulary, because the real 24-layer
 *     encoder (22.8 GB in float32) does not fit this machine. About 5.7 GB on disk.</li>
 * </ul>
 */
public final class RandomModel {
    private static final ObjectMapper JSON = new ObjectMapper();

    private RandomModel() {
    }

    /** Writes a random model of {@code size} ("tiny" or "real") to {@code dir}; video size 0 = the size's default. */
    public static Path write(Path dir, String size, long seed, int videoHeight, int videoWidth, Parallel par)
            throws IOException {
        String s = size.toLowerCase(Locale.ROOT);
        DitConfig dit;
        T5Config t5;
        VaeConfig vae;
        InferenceConfig inf;
        switch (s) {
            case "tiny" -> {
                dit = DitConfig.TINY;
                t5 = new T5Config(MinimalTokenizer.VOCAB_SIZE, dit.textDim(), dit.textDim(), 2 * dit.textDim(), 2, 2,
                        16, false);
                vae = VaeConfig.TINY;
                inf = new InferenceConfig(3, new int[] {1000, 750, 500, 250}, true, 5.0, 6, 3, true, 0,
                        longlive.dit.RopeMode.RELATIVE);
                if (videoHeight == 0) videoHeight = 64;
                if (videoWidth == 0) videoWidth = 64;
            }
            case "real" -> {
                dit = DitConfig.WAN_1_3B;
                t5 = new T5Config(MinimalTokenizer.VOCAB_SIZE, 4096, 4096, 10240, 64, 2, 32, false);
                vae = VaeConfig.WAN_2_1;
                inf = InferenceConfig.LONGLIVE;
                if (videoHeight == 0) videoHeight = 480;
                if (videoWidth == 0) videoWidth = 832;
            }
            default -> throw new IllegalArgumentException("unknown random model size '" + size + "' (tiny, real)");
        }
        Files.createDirectories(dir.resolve("dit"));
        Files.createDirectories(dir.resolve("text"));
        Files.createDirectories(dir.resolve("vae"));
        ObjectNode model = JSON.createObjectNode();
        model.put("name", "random-" + s + "-seed" + seed);
        model.put("video_height", videoHeight);
        model.put("video_width", videoWidth);
        model.put("note", "random weights: generates noise");
        writeJson(dir.resolve("model.json"), model);
        writeJson(dir.resolve("inference.json"), inferenceJson(inf));
        writeJson(dir.resolve("dit/config.json"), ditJson(dit));
        writeJson(dir.resolve("text/t5_config.json"), t5Json(t5));
        writeJson(dir.resolve("vae/vae_config.json"), vaeJson(vae));
        ObjectNode st = JSON.createObjectNode();
        LatentStats stats = vae.zDim() == 16 ? LatentStats.WAN_2_1 : null;
        ArrayNode mean = st.putArray("mean"), std = st.putArray("std");
        for (int c = 0; c < vae.zDim(); c++) {
            mean.add(stats == null ? 0.0 : stats.mean()[c]);
            std.add(stats == null ? 1.0 : stats.std()[c]);
        }
        writeJson(dir.resolve("vae/latent_stats.json"), st);
        Files.writeString(dir.resolve("text/tokenizer.json"), MinimalTokenizer.json());
        WanDitCheckpoint.save(DitWeights.random(dit, seed, par), dir.resolve("dit/model.safetensors"));
        UmT5Checkpoint.save(T5Weights.random(t5, seed + 1, par), dir.resolve("text/model.safetensors"));
        WanVaeCheckpoint.save(VaeWeights.random(vae, seed + 2), dir.resolve("vae/model.safetensors"));
        return dir;
    }

    public static void writeJson(Path f, ObjectNode n) throws IOException {
        Files.writeString(f, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(n) + "\n");
    }

    public static ObjectNode inferenceJson(InferenceConfig c) {
        ObjectNode n = JSON.createObjectNode();
        n.put("num_frame_per_block", c.numFramePerBlock());
        ArrayNode a = n.putArray("denoising_step_list");
        for (int s : c.denoisingStepList()) a.add(s);
        n.put("warp_denoising_step", c.warpDenoisingStep());
        n.put("timestep_shift", c.timestepShift());
        n.put("local_attn_size", c.localAttnSize());
        n.put("sink_size", c.sinkSize());
        n.put("global_sink", c.globalSink());
        n.put("context_noise", c.contextNoise());
        n.put("rope_mode", c.ropeMode() == longlive.dit.RopeMode.RELATIVE ? "relative" : "absolute");
        return n;
    }

    public static ObjectNode ditJson(DitConfig c) {
        ObjectNode n = JSON.createObjectNode();
        n.put("model_type", c.modelType());
        n.put("dim", c.dim());
        n.put("ffn_dim", c.ffnDim());
        n.put("freq_dim", c.freqDim());
        n.put("num_heads", c.numHeads());
        n.put("num_layers", c.numLayers());
        n.put("in_dim", c.inDim());
        n.put("out_dim", c.outDim());
        n.put("text_len", c.textLen());
        n.put("text_dim", c.textDim());
        n.putArray("patch_size").add(c.patchT()).add(c.patchH()).add(c.patchW());
        n.put("eps", c.eps());
        n.put("qk_norm", c.qkNorm());
        n.put("cross_attn_norm", c.crossAttnNorm());
        return n;
    }

    public static ObjectNode t5Json(T5Config c) {
        ObjectNode n = JSON.createObjectNode();
        n.put("vocab_size", c.vocabSize());
        n.put("dim", c.dim());
        n.put("dim_attn", c.dimAttn());
        n.put("dim_ffn", c.dimFfn());
        n.put("num_heads", c.numHeads());
        n.put("num_layers", c.numLayers());
        n.put("num_buckets", c.numBuckets());
        n.put("shared_pos", c.sharedPos());
        return n;
    }

    public static ObjectNode vaeJson(VaeConfig c) {
        ObjectNode n = JSON.createObjectNode();
        n.put("dim", c.dim());
        n.put("z_dim", c.zDim());
        ArrayNode m = n.putArray("dim_mult");
        c.dimMult().forEach(m::add);
        n.put("num_res_blocks", c.numResBlocks());
        ArrayNode a = n.putArray("attn_scales");
        c.attnScales().forEach(a::add);
        ArrayNode t = n.putArray("temperal_downsample");
        c.temperalDownsample().forEach(t::add);
        return n;
    }
}
