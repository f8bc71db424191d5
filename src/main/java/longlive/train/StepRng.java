package longlive.train;

import java.util.SplittableRandom;

/**
 * Counter-based random streams for training: the generator for (seed, stream, step) depends on nothing else,
 * so a run resumed from a checkpoint at step N draws exactly the numbers the uninterrupted run drew (no RNG state
 * needs saving). Use one stream id per purpose (noise, timesteps, data, dropout) so they never correlate.
 */
public final class StepRng {
    /** Stream ids used by the training code. */
    public static final long DATA = 1, NOISE = 2, TIMESTEP = 3, DROPOUT = 4, EXIT_STEP = 5;

    private StepRng() {}

    /** A fresh generator for {@code (seed, stream, step)}. */
    public static SplittableRandom of(long seed, long stream, long step) {
        return new SplittableRandom(mix(mix(seed, stream), step));
    }

    /** SplitMix64 finaliser of a pair: neighbouring inputs give unrelated outputs. */
    public static long mix(long a, long b) {
        long z = a * 0x9E3779B97F4A7C15L + b * 0xBF58476D1CE4E5B9L + 0x94D049BB133111EBL;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
