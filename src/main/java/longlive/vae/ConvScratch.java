package longlive.vae;

/**
 * Per-thread buffers shared by all convolutions of one model: each thread gets its own arrays, grown to the largest
 * size it has needed and then reused, so a steady stream allocates nothing. Workers use the im2col tiles, the
 * direct convolution's edge tiles and tap offsets; the thread that calls a convolution owns its padded input and
 * packed weights, which its workers only read.
 */
public final class ConvScratch {
    private final ThreadLocal<float[]> tiles = ThreadLocal.withInitial(() -> new float[0]);
    private final ThreadLocal<float[]> edgeTiles = ThreadLocal.withInitial(() -> new float[0]);
    private final ThreadLocal<int[]> pairBases = ThreadLocal.withInitial(() -> new int[0]);
    private final ThreadLocal<float[]> padded = ThreadLocal.withInitial(() -> new float[0]);
    private final ThreadLocal<float[]> packed = ThreadLocal.withInitial(() -> new float[0]);

    /** This thread's im2col tile, at least {@code size} floats (contents undefined). */
    float[] tile(int size) {
        return atLeast(tiles, size);
    }

    /** This thread's direct-convolution edge tile, at least {@code size} floats. */
    float[] edgeTile(int size) {
        return atLeast(edgeTiles, size);
    }

    /** This thread's tap-pair offsets, at least {@code size} ints. */
    int[] pairBases(int size) {
        int[] t = pairBases.get();
        if (t.length < size) pairBases.set(t = new int[size]);
        return t;
    }

    /** The calling thread's padded input, at least {@code size} floats. */
    float[] padded(int size) {
        return atLeast(padded, size);
    }

    /** The calling thread's packed weights, at least {@code size} floats. */
    float[] packed(int size) {
        return atLeast(packed, size);
    }

    /** The array in {@code slot} for this thread, replaced by a larger one if it holds fewer than {@code size}. */
    private static float[] atLeast(ThreadLocal<float[]> slot, int size) {
        float[] t = slot.get();
        if (t.length < size) slot.set(t = new float[size]);
        return t;
    }
}
