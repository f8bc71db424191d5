package longlive.vae;

/**
 * Per-thread im2col tile buffers shared by all convolutions of one model: each worker gets its own array, grown
 * to the largest tile it has needed and then reused, so a steady stream allocates nothing.
 */
public final class ConvScratch {
    private final ThreadLocal<float[]> tiles = ThreadLocal.withInitial(() -> new float[0]);

    /** This thread's buffer, at least {@code size} floats (contents undefined). */
    float[] tile(int size) {
        float[] t = tiles.get();
        if (t.length < size) tiles.set(t = new float[size]);
        return t;
    }
}
