package longlive.io;

import java.util.Arrays;

/**
 * Reads bf16 tensors of a checkpoint as raw bits ({@code short[]}, the top 16 bits of each float32) without widening
 * them, so a bf16 model can be held in bf16 (umT5-XXL: 11.4 GB instead of 22.8 GB). Works on the tensors of
 * safetensors files and torch zips (both memory-mapped); in-memory tensors are float32 and never bf16.
 */
public final class Bf16Tensors {
    private Bf16Tensors() {}

    /** True if the named tensor is stored as BF16 (and can be read by {@link #bits}). */
    public static boolean isBf16(StateDict sd, String name) {
        return sd.ref(name).dtype() == DType.BF16 && sd.ref(name) instanceof MappedTensor;
    }

    /**
     * The raw bits of the named BF16 tensor, refused unless it has exactly {@code expected} shape.
     *
     * @throws CheckpointException naming the tensor and file when it is missing, not BF16 or mis-shaped
     */
    public static short[] bits(StateDict sd, String name, int... expected) {
        TensorRef r = sd.ref(name);
        int[] s = r.shape();
        if (!Arrays.equals(s, expected))
            throw new CheckpointException(sd.source() + ": tensor '" + name + "' has shape " + Arrays.toString(s)
                    + ", expected " + Arrays.toString(expected));
        if (!(r instanceof MappedTensor m) || r.dtype() != DType.BF16)
            throw new CheckpointException(sd.source() + ": tensor '" + name + "' is " + r.dtype()
                    + ", not BF16; read it widened with StateDict.tensor");
        return m.toBf16Bits();
    }
}
