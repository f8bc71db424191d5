package longlive.train;

/**
 * The Distribution Matching Distillation generator loss of the reference ({@code model/dmd.py}
 * {@code _compute_kl_grad} and {@code compute_distribution_matching_loss}), for one sample {@code [F, C, H, W]}.
 * All predictions are x0 predictions (convert a velocity with
 * {@link longlive.sampling.FlowMatchSchedule#x0FromVelocity}) made on the same noisy input
 * {@code x_t = (1 − σ_t)·x + σ_t·ε} at a timestep from {@link TimestepSampler#dmd}.
 * <pre>
 *   real = real_cond + (real_cond − real_uncond) · guidance        (CFG, guidance 3.0 in LongLive)
 *   grad = (fake − real) / mean|x − real|                          (DMD eq. 7 and 8; NaN → 0)
 *   L    = 0.5 · mean_masked (x − sg(x − grad))² = 0.5 · mean_masked grad²
 *   ∂L/∂x = grad / N_masked on masked elements, 0 elsewhere
 * </pre>
 * The loss value is reported in double as the reference; its gradient is what flows back into the generator.
 */
public final class DmdLoss {
    private final double guidance;

    /** @param realGuidanceScale CFG scale of the real score (LongLive: 3.0) */
    public DmdLoss(double realGuidanceScale) {
        if (!(realGuidanceScale >= 0)) throw new IllegalArgumentException("guidance scale must be >= 0");
        this.guidance = realGuidanceScale;
    }

    /** {@code out = cond + (cond − uncond)·scale} (float32, as the reference); {@code out} may alias {@code cond}. */
    public static void cfg(float[] cond, float[] uncond, double scale, float[] out) {
        float s = (float) scale;
        for (int i = 0; i < out.length; i++) {
            float c = cond[i];
            out[i] = c + (c - uncond[i]) * s;
        }
    }

    /**
     * The normalised DMD gradient; writes {@code grad} (may alias {@code fake}).
     *
     * @param x the generator's output (x0), the point the gradient is taken at
     */
    public void klGrad(float[] x, float[] fake, float[] realCond, float[] realUncond, float[] grad) {
        int n = x.length;
        if (fake.length != n || realCond.length != n || realUncond.length != n || grad.length != n)
            throw new IllegalArgumentException("DMD: arrays of " + n + ", " + fake.length + ", " + realCond.length + ", "
                    + realUncond.length + ", " + grad.length + " values");
        float g = (float) guidance;
        double absSum = 0;
        for (int i = 0; i < n; i++) {
            float c = realCond[i];
            float real = c + (c - realUncond[i]) * g;
            absSum += Math.abs(x[i] - real);
            grad[i] = fake[i] - real;
        }
        float normalizer = (float) (absSum / n);
        for (int i = 0; i < n; i++) {
            float v = grad[i] / normalizer;
            grad[i] = Float.isNaN(v) ? 0f : v == Float.POSITIVE_INFINITY ? Float.MAX_VALUE
                    : v == Float.NEGATIVE_INFINITY ? -Float.MAX_VALUE : v;
        }
    }

    /**
     * {@code 0.5·mean(grad²)} over the frames where {@code frameMask} is true (all when null); writes
     * {@code dX = ∂L/∂x} (overwrites; nullable).
     */
    public static double loss(float[] grad, boolean[] frameMask, int frameSize, float[] dX) {
        if (grad.length % frameSize != 0) throw new IllegalArgumentException(grad.length + " values are not whole frames of " + frameSize);
        int frames = grad.length / frameSize;
        if (frameMask != null && frameMask.length != frames)
            throw new IllegalArgumentException("frame mask has " + frameMask.length + " entries for " + frames + " frames");
        long count = 0;
        for (int f = 0; f < frames; f++) if (frameMask == null || frameMask[f]) count += frameSize;
        if (count == 0) throw new IllegalArgumentException("DMD loss: the mask selects no frame");
        double sum = 0;
        for (int f = 0; f < frames; f++) {
            boolean on = frameMask == null || frameMask[f];
            for (int i = f * frameSize; i < (f + 1) * frameSize; i++) {
                if (on) sum += (double) grad[i] * grad[i];
                if (dX != null) dX[i] = on ? (float) (grad[i] / (double) count) : 0f;
            }
        }
        return 0.5 * sum / count;
    }

    public double guidance() {
        return guidance;
    }
}
