package longlive.vae;

import java.util.Arrays;

/**
 * Per-worker buffers of the training convolutions ({@link TrainConv#backward}): each worker index owns an im2col
 * tile, its gradient tile, and private gradient accumulators (weights, bias, input) that are summed after the
 * parallel section. Arrays grow to the largest size asked for and are then reused, so a training step allocates
 * nothing after the first.
 */
public final class TrainScratch {
    /** What a buffer is for. */
    enum Slot { COL, DCOL, WEIGHT, BIAS, INPUT }

    private float[][][] buffers = new float[0][][];
    final ConvScratch forward = new ConvScratch();

    private synchronized float[][] worker(int p) {
        if (p >= buffers.length) {
            float[][][] grown = Arrays.copyOf(buffers, p + 1);
            for (int i = buffers.length; i <= p; i++) grown[i] = new float[Slot.values().length][0];
            buffers = grown;
        }
        return buffers[p];
    }

    /** Worker {@code p}'s buffer for {@code s}, at least {@code size} floats, contents undefined. */
    float[] tile(int p, Slot s, int size) {
        float[][] b = worker(p);
        if (b[s.ordinal()].length < size) b[s.ordinal()] = new float[size];
        return b[s.ordinal()];
    }

    /** As {@link #tile} with the first {@code size} floats zeroed. */
    float[] zeroed(int p, Slot s, int size) {
        float[] a = tile(p, s, size);
        Arrays.fill(a, 0, size, 0f);
        return a;
    }

    /** The buffer last handed out for {@code (p, s)}. */
    float[] get(int p, Slot s) {
        return worker(p)[s.ordinal()];
    }
}
