package longlive.stream;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Arrays;
import longlive.dit.RopeMode;

/**
 * The streaming-inference settings of LongLive (configs/longlive_inference.yaml and the {@code schedule.json} of a
 * replay case): {@code num_frame_per_block, denoising_step_list, warp_denoising_step, timestep_shift,
 * local_attn_size, sink_size, global_sink, context_noise}, plus the RoPE mode (absolute, or the relative mode of
 * longlive_inference_infinity.yaml).
 *
 * @param localAttnSize window in latent frames, or -1 for global attention (the cache then grows to the video length)
 * @param sinkSize      latent frames kept forever at the start of the window
 * @param globalSink    at a prompt switch, keep the sink's keys/values from the first prompt (true) or recompute all
 * @param contextNoise  timestep of the cache pass on the clean output (0)
 */
public record InferenceConfig(int numFramePerBlock, int[] denoisingStepList, boolean warpDenoisingStep,
                              double timestepShift, int localAttnSize, int sinkSize, boolean globalSink,
                              int contextNoise, RopeMode ropeMode) {

    /** LongLive's inference defaults (longlive_inference.yaml / longlive_interactive_inference.yaml). */
    public static final InferenceConfig LONGLIVE = new InferenceConfig(3, new int[] {1000, 750, 500, 250}, true, 5.0,
            12, 3, true, 0, RopeMode.ABSOLUTE);

    public InferenceConfig {
        if (numFramePerBlock < 1)
            throw new IllegalArgumentException("num_frame_per_block must be >= 1, got " + numFramePerBlock);
        if (denoisingStepList == null || denoisingStepList.length == 0)
            throw new IllegalArgumentException("denoising_step_list must not be empty");
        denoisingStepList = denoisingStepList.clone();
        for (int s : denoisingStepList)
            if (s < 0 || s > 1000)
                throw new IllegalArgumentException("denoising_step_list entries must be in [0, 1000]: "
                        + Arrays.toString(denoisingStepList));
        if (!(timestepShift > 0)) throw new IllegalArgumentException("timestep_shift must be > 0, got " + timestepShift);
        if (localAttnSize != -1 && localAttnSize < 1)
            throw new IllegalArgumentException("local_attn_size must be -1 (global) or >= 1, got " + localAttnSize);
        if (sinkSize < 0) throw new IllegalArgumentException("sink_size must be >= 0, got " + sinkSize);
        if (localAttnSize != -1 && sinkSize + numFramePerBlock > localAttnSize)
            throw new IllegalArgumentException("local_attn_size " + localAttnSize + " must hold the sink (" + sinkSize
                    + ") plus one block (" + numFramePerBlock + ") of frames");
        if (contextNoise < 0 || contextNoise > 1000)
            throw new IllegalArgumentException("context_noise must be in [0, 1000], got " + contextNoise);
        if (ropeMode == null) throw new IllegalArgumentException("rope mode must be given");
    }

    @Override
    public int[] denoisingStepList() {
        return denoisingStepList.clone();
    }

    public boolean globalAttention() {
        return localAttnSize == -1;
    }

    /** The same settings with another RoPE mode. */
    public InferenceConfig withRopeMode(RopeMode mode) {
        return new InferenceConfig(numFramePerBlock, denoisingStepList, warpDenoisingStep, timestepShift, localAttnSize,
                sinkSize, globalSink, contextNoise, mode);
    }

    /** The same settings with another attention window ({@code local_attn_size}, -1 = global) and sink. */
    public InferenceConfig withWindow(int localAttnSize, int sinkSize) {
        return new InferenceConfig(numFramePerBlock, denoisingStepList, warpDenoisingStep, timestepShift, localAttnSize,
                sinkSize, globalSink, contextNoise, ropeMode);
    }

    /** The same settings with another {@code global_sink}. */
    public InferenceConfig withGlobalSink(boolean g) {
        return new InferenceConfig(numFramePerBlock, denoisingStepList, warpDenoisingStep, timestepShift, localAttnSize,
                sinkSize, g, contextNoise, ropeMode);
    }

    /**
     * Reads the keys of a {@code schedule.json} (missing keys take LongLive's defaults; {@code rope_mode} is
     * "absolute" unless given).
     */
    public static InferenceConfig fromJson(JsonNode n) {
        if (n == null || !n.isObject()) throw new IllegalArgumentException("schedule.json is not a JSON object");
        InferenceConfig d = LONGLIVE;
        int[] steps = d.denoisingStepList;
        if (n.has("denoising_step_list")) {
            JsonNode a = n.get("denoising_step_list");
            if (!a.isArray()) throw new IllegalArgumentException("denoising_step_list must be a list of ints, got " + a);
            steps = new int[a.size()];
            for (int i = 0; i < steps.length; i++) steps[i] = intOf(a.get(i), "denoising_step_list[" + i + "]");
        }
        return new InferenceConfig(
                n.has("num_frame_per_block") ? intOf(n.get("num_frame_per_block"), "num_frame_per_block") : d.numFramePerBlock,
                steps,
                n.has("warp_denoising_step") ? boolOf(n.get("warp_denoising_step"), "warp_denoising_step") : d.warpDenoisingStep,
                n.has("timestep_shift") ? n.get("timestep_shift").asDouble() : d.timestepShift,
                n.has("local_attn_size") ? intOf(n.get("local_attn_size"), "local_attn_size") : d.localAttnSize,
                n.has("sink_size") ? intOf(n.get("sink_size"), "sink_size") : d.sinkSize,
                n.has("global_sink") ? boolOf(n.get("global_sink"), "global_sink") : d.globalSink,
                n.has("context_noise") ? intOf(n.get("context_noise"), "context_noise") : d.contextNoise,
                n.has("rope_mode") ? RopeMode.parse(n.get("rope_mode").asText()) : d.ropeMode);
    }

    private static int intOf(JsonNode v, String key) {
        if (v == null || !v.isIntegralNumber() || !v.canConvertToInt())
            throw new IllegalArgumentException(key + " must be an integer, got " + v);
        return v.asInt();
    }

    private static boolean boolOf(JsonNode v, String key) {
        if (v == null || !v.isBoolean()) throw new IllegalArgumentException(key + " must be true or false, got " + v);
        return v.booleanValue();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof InferenceConfig c && numFramePerBlock == c.numFramePerBlock
                && Arrays.equals(denoisingStepList, c.denoisingStepList) && warpDenoisingStep == c.warpDenoisingStep
                && timestepShift == c.timestepShift && localAttnSize == c.localAttnSize && sinkSize == c.sinkSize
                && globalSink == c.globalSink && contextNoise == c.contextNoise && ropeMode.equals(c.ropeMode);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(denoisingStepList) * 31 + java.util.Objects.hash(numFramePerBlock, warpDenoisingStep,
                timestepShift, localAttnSize, sinkSize, globalSink, contextNoise, ropeMode);
    }

    @Override
    public String toString() {
        return "InferenceConfig[num_frame_per_block=" + numFramePerBlock + ", denoising_step_list="
                + Arrays.toString(denoisingStepList) + ", warp=" + warpDenoisingStep + ", shift=" + timestepShift
                + ", local_attn_size=" + localAttnSize + ", sink_size=" + sinkSize + ", global_sink=" + globalSink
                + ", context_noise=" + contextNoise + ", rope=" + ropeMode + "]";
    }
}
