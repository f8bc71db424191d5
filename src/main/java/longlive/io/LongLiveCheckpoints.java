package longlive.io;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * Where LongLive keeps its weights inside its checkpoint files, and how their names map to Wan2.1's.
 *
 * <ul>
 *   <li>{@code longlive_base.pt} (and training checkpoints {@code model.pt}): a dict {@code {"generator": sd,
 *       "generator_ema": sd?, "critic": sd, "*_optimizer": ..., "step": int}}; older ones use {@code "model"}.
 *       The generator is a {@code WanDiffusionWrapper}, so its names carry a {@code model.} prefix in front of
 *       the Wan2.1 names; EMA weights may carry FSDP's {@code _fsdp_wrapped_module.} (the reference
 *       {@code inference.py} removes it).</li>
 *   <li>{@code lora.pt}: {@code {"generator_lora": sd, "critic_lora": sd, "step": int}} or a bare LoRA state
 *       dict; names in PEFT form, see {@link LoraMerge}.</li>
 * </ul>
 */
public final class LongLiveCheckpoints {
    /** Keys tried, in order, when no generator key is given (mirrors the reference inference.py). */
    public static final List<String> GENERATOR_KEYS = List.of("generator", "model");
    /** Wrapper module names that FSDP, activation checkpointing and torch.compile insert into parameter names. */
    public static final List<String> WRAPPER_SEGMENTS = List.of("_fsdp_wrapped_module.", "_checkpoint_wrapped_module.",
            "_orig_mod.");
    /** The prefix {@code WanDiffusionWrapper} adds before the Wan2.1 names. */
    public static final String WRAPPER_PREFIX = "model.";

    private LongLiveCheckpoints() {}

    /**
     * Generator weights from a LongLive {@code .pt} with Wan2.1 names: the dict under {@code key} (null: the
     * first of {@link #GENERATOR_KEYS} present, or the top level if it is itself a state dict), wrapper segments
     * removed, {@code model.} stripped when present. A {@code .safetensors} file is returned as is (names cleaned
     * the same way). Closing the result closes the file.
     */
    public static StateDict generator(Path file, String key) {
        return generator(file, key, WRAPPER_PREFIX);
    }

    /** Like {@link #generator(Path, String)} with another prefix to strip where present (null: none). */
    public static StateDict generator(Path file, String key, String stripPrefix) {
        StateDict sd = open(file, key, GENERATOR_KEYS);
        try {
            return clean(sd, stripPrefix);
        } catch (RuntimeException e) {
            sd.close();
            throw e;
        }
    }

    /** The LoRA state dict of a LongLive {@code lora.pt}: under {@code key} (null: "generator_lora" or the top level). */
    public static StateDict lora(Path file, String key) {
        return open(file, key, List.of("generator_lora"));
    }

    private static StateDict open(Path file, String key, List<String> defaults) {
        if (file.getFileName().toString().endsWith(".safetensors")) {
            if (key != null) throw new CheckpointException(file + ": a safetensors file has no nested keys (got '" + key + "')");
            return SafeTensors.load(file);
        }
        TorchCheckpoint ckpt = TorchCheckpoint.open(file);
        try {
            if (key != null) return ckpt.stateDict(key);
            Set<String> keys = ckpt.root() instanceof java.util.Map<?, ?> ? ckpt.keys() : Set.of();
            for (String k : defaults) if (keys.contains(k)) return ckpt.stateDict(k);
            return ckpt.stateDict();
        } catch (RuntimeException e) {
            ckpt.close();
            throw e;
        }
    }

    /** Removes {@link #WRAPPER_SEGMENTS} anywhere in the names, then {@code prefix} where present (null: none). */
    public static StateDict clean(StateDict sd, String prefix) {
        StateDict out = sd.rename(k -> {
            for (String w : WRAPPER_SEGMENTS) k = k.replace(w, "");
            return k;
        });
        return prefix == null || prefix.isEmpty() || !out.anyStartsWith(prefix) ? out : out.stripPrefix(prefix);
    }
}
