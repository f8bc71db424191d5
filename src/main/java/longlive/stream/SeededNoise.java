package longlive.stream;

import java.util.SplittableRandom;

/**
 * Standard Gaussian draws derived from one seed: each (block, step) gets its own generator seeded from
 * {@code (seed, block, step)}, so the same seed always gives the same stream, whatever order or thread asks.
 */
public final class SeededNoise implements NoiseSource {
    private final long seed;

    public SeededNoise(long seed) {
        this.seed = seed;
    }

    @Override
    public void initial(int block, float[] out, int off, int n) {
        fill(generator(block, -1), out, off, n);
    }

    @Override
    public void step(int block, int step, float[] out, int off, int n) {
        if (step < 0) throw new IllegalArgumentException("step must be >= 0, got " + step);
        fill(generator(block, step), out, off, n);
    }

    private SplittableRandom generator(int block, int step) {
        if (block < 0) throw new IllegalArgumentException("block must be >= 0, got " + block);
        long mixed = seed * 0x9E3779B97F4A7C15L + ((long) block << 20) + (step + 1);
        return new SplittableRandom(mixed).split();
    }

    /** Box-Muller in float64, both outputs used. */
    private static void fill(SplittableRandom r, float[] out, int off, int n) {
        int i = 0;
        while (i < n) {
            double u1 = 1.0 - r.nextDouble(), u2 = r.nextDouble();
            double rad = Math.sqrt(-2.0 * Math.log(u1)), a = 2 * Math.PI * u2;
            out[off + i++] = (float) (rad * Math.cos(a));
            if (i < n) out[off + i++] = (float) (rad * Math.sin(a));
        }
    }
}
