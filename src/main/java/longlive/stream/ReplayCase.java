package longlive.stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import longlive.dit.CausalDit;
import longlive.dit.DitConfig;
import longlive.dit.DitKernels;
import longlive.dit.DitWeights;
import longlive.io.SafeTensors;
import longlive.io.StateDict;
import longlive.io.WanDitCheckpoint;
import longlive.tensor.ShapeException;
import longlive.tensor.Tensor;

/**
 * A generation whose every random draw and prompt embedding is given (the {@code replay} parity command): a directory
 * with {@code config.json} (Wan DiT config), {@code model.safetensors} (Wan2.1 keys, f32), {@code inputs.safetensors}
 * ({@code noise [F, C, H, W]}, {@code prompt_embeds [P, text_len, text_dim]}, {@code step_noise
 * [F/N, S-1, N, C, H, W]}) and {@code schedule.json} (the {@link InferenceConfig} keys plus
 * {@code switch_frame_indices}, P - 1 latent frame indices).
 */
public record ReplayCase(DitConfig config, DitWeights weights, InferenceConfig inference, int[] switchFrameIndices,
                         Tensor noise, Tensor promptEmbeds, Tensor stepNoise) {

    /** Reads and validates a case directory. */
    public static ReplayCase read(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) throw new IllegalArgumentException(dir + ": not a directory");
        DitConfig config = DitConfig.fromJson(dir.resolve("config.json"));
        JsonNode sched = new ObjectMapper().readTree(Files.readAllBytes(dir.resolve("schedule.json")));
        InferenceConfig inf;
        try {
            inf = InferenceConfig.fromJson(sched);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(dir.resolve("schedule.json") + ": " + e.getMessage(), e);
        }
        int[] switches = new int[0];
        JsonNode sw = sched.get("switch_frame_indices");
        if (sw != null && !sw.isNull()) {
            if (!sw.isArray()) throw new IllegalArgumentException("switch_frame_indices must be a list, got " + sw);
            switches = new int[sw.size()];
            for (int i = 0; i < switches.length; i++) {
                if (!sw.get(i).canConvertToInt() || sw.get(i).asInt() < 0)
                    throw new IllegalArgumentException("switch_frame_indices must be non-negative ints, got " + sw);
                switches[i] = sw.get(i).asInt();
            }
        }
        DitWeights weights = WanDitCheckpoint.load(dir.resolve("model.safetensors"), config);
        Tensor noise, prompts, stepNoise = null;
        try (StateDict in = SafeTensors.load(dir.resolve("inputs.safetensors"))) {
            for (String need : new String[] {"noise", "prompt_embeds"})
                if (!in.contains(need))
                    throw new IllegalArgumentException(dir.resolve("inputs.safetensors") + ": no tensor '" + need + "'");
            noise = in.tensor("noise");
            prompts = in.tensor("prompt_embeds");
            if (in.contains("step_noise")) stepNoise = in.tensor("step_noise");
        }
        return new ReplayCase(config, weights, inf, switches, noise, prompts, stepNoise).validated();
    }

    private ReplayCase validated() {
        if (noise.rank() != 4 || noise.dim(1) != config.inDim())
            throw new ShapeException("replay: noise must be [F, " + config.inDim() + ", H, W], got " + noise);
        if (promptEmbeds.rank() != 3 || promptEmbeds.dim(1) > config.textLen() || promptEmbeds.dim(2) != config.textDim())
            throw new ShapeException("replay: prompt_embeds must be [P, <= " + config.textLen() + ", " + config.textDim()
                    + "], got " + promptEmbeds);
        if (promptEmbeds.dim(0) != switchFrameIndices.length + 1)
            throw new IllegalArgumentException("replay: " + promptEmbeds.dim(0) + " prompts need "
                    + (promptEmbeds.dim(0) - 1) + " switch_frame_indices, got " + Arrays.toString(switchFrameIndices));
        int frames = noise.dim(0), n = inference.numFramePerBlock(), s = inference.denoisingStepList().length;
        if (frames % n != 0)
            throw new IllegalArgumentException("replay: " + frames + " frames is not a multiple of num_frame_per_block " + n);
        if (s > 1 && stepNoise == null)
            throw new IllegalArgumentException("replay: inputs.safetensors has no 'step_noise' for " + s + " steps");
        return this;
    }

    /** Latent frames to generate. */
    public int frames() {
        return noise.dim(0);
    }

    /**
     * Runs the generation and returns {@code latents [F, C, H, W]}. The switch to prompt i+1 is requested before the
     * first block that starts at or after {@code switch_frame_indices[i]} (one switch per block, as the reference).
     */
    public Tensor run(DitKernels kernels) {
        int frames = frames(), h = noise.dim(2), w = noise.dim(3), n = inference.numFramePerBlock();
        CausalDit model = new CausalDit(weights, kernels, inference.ropeMode());
        if (inference.ropeMode() instanceof longlive.dit.RopeMode.Absolute && frames > model.maxRopePositions())
            throw new IllegalArgumentException("replay: " + frames + " latent frames exceed the absolute RoPE mode's "
                    + model.maxRopePositions() + "-frame table; use \"rope_mode\": \"relative\"");
        GivenNoise source = new GivenNoise(noise, stepNoise, n, inference.denoisingStepList().length);
        int textRows = promptEmbeds.dim(1), promptSize = textRows * promptEmbeds.dim(2);
        StreamingGenerator gen = new StreamingGenerator(model, inference, h, w, frames, source, prompt(0, promptSize),
                textRows, null);
        float[] out = new float[frames * gen.frameSize()];
        int segment = 0;
        for (int b = 0; b < frames / n; b++) {
            if (segment < switchFrameIndices.length && gen.currentFrame() >= switchFrameIndices[segment]) {
                segment++;
                gen.requestPromptSwitch(prompt(segment, promptSize), textRows);
            }
            gen.step(out, b * n * gen.frameSize());
        }
        return Tensor.of(out, frames, noise.dim(1), h, w);
    }

    private float[] prompt(int i, int size) {
        return Arrays.copyOfRange(promptEmbeds.data(), i * size, (i + 1) * size);
    }
}
