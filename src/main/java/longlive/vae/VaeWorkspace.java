package longlive.vae;

/**
 * The buffers one encoder/decoder reuses for every call: two ping-pong activation buffers, a temporary, the
 * attention scratch and the per-thread im2col tiles. Sized once from the model's shape walk.
 */
public final class VaeWorkspace {
    final float[] a, b, tmp;
    /** Attention scratch, each {@code [h * w, C]} of the largest attention layer. */
    final float[] attnNorm, q, k, v, o;
    final ConvScratch conv = new ConvScratch();

    VaeWorkspace(long bufferFloats, long attentionFloats) {
        int n = checked(bufferFloats), m = checked(attentionFloats);
        a = new float[n];
        b = new float[n];
        tmp = new float[n];
        attnNorm = new float[m];
        q = new float[m];
        k = new float[m];
        v = new float[m];
        o = new float[m];
    }

    private static int checked(long n) {
        if (n > Integer.MAX_VALUE - 8)
            throw new IllegalArgumentException("VAE workspace: a buffer of " + n
                    + " floats is larger than a Java array; decode a smaller resolution");
        return (int) n;
    }
}
