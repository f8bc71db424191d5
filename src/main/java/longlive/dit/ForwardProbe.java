package longlive.dit;

/**
 * Sees the intermediate activations of a forward (tests compare them with the reference layer by layer). Names:
 * {@code patch_emb [tokens, dim]}, {@code e [frames, dim]}, {@code e0 [frames, 6, dim]},
 * {@code block_out_<i> [tokens, dim]}, {@code head_out [tokens, out_dim * pt * ph * pw]}. The arrays are the model's
 * live buffers: copy what you keep.
 */
@FunctionalInterface
public interface ForwardProbe {
    void tensor(String name, float[] data, int offset, int length);
}
