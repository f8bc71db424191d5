package longlive.sampling;

import java.util.Arrays;

/**
 * The flow-matching noise schedule of Self-Forcing / LongLive ({@code utils/scheduler.py FlowMatchScheduler} built
 * by {@code WanDiffusionWrapper} with {@code sigma_min 0, extra_one_step true, set_timesteps(1000)}):
 * {@code sigma_i = linspace(1, 0, 1001)[i]} for i in [0, 1000), shifted {@code sigma' = s*sigma / (1 + (s-1)*sigma)},
 * {@code t_i = 1000 * sigma'_i}. The forward process is {@code x_t = (1 - sigma) x0 + sigma noise} and the model
 * predicts the velocity {@code v = noise - x0}.
 *
 * <p>The reference computes the table in float32; so does this class (stored as float, looked up like the reference:
 * nearest table timestep, then its sigma).
 */
public final class FlowMatchSchedule {
    /** Training timesteps of the Wan flow-matching model. */
    public static final int NUM_TRAIN_TIMESTEPS = 1000;

    private final double shift;
    private final float[] sigmas;
    private final float[] timesteps;

    public FlowMatchSchedule(double shift) {
        if (!(shift > 0) || !Double.isFinite(shift))
            throw new IllegalArgumentException("timestep shift must be positive, got " + shift);
        this.shift = shift;
        int n = NUM_TRAIN_TIMESTEPS;
        sigmas = new float[n];
        timesteps = new float[n];
        float fs = (float) shift;
        for (int i = 0; i < n; i++) {
            // torch.linspace(1, 0, 1001) in float32: start + i*step for the first half, end - (steps-1-i)*step after
            float step = -1f / n;
            float s = i < (n + 1) / 2 ? 1f + step * i : 0f - step * (n - i);
            float shifted = fs * s / (1f + (fs - 1f) * s);
            sigmas[i] = shifted;
            timesteps[i] = shifted * n;
        }
    }

    public double shift() {
        return shift;
    }

    /** The 1000 table timesteps, descending from 1000. */
    public float[] timesteps() {
        return timesteps.clone();
    }

    /**
     * The timesteps actually used for a {@code denoising_step_list} (e.g. [1000, 750, 500, 250]): with warping
     * ({@code warp_denoising_step: true}) entry s becomes {@code cat(timesteps, [0])[1000 - s]}, i.e. the shifted
     * timestep ([1000, 937.5, 833.33, 625] for shift 5); without, the integers themselves.
     */
    public float[] denoisingTimesteps(int[] stepList, boolean warp) {
        if (stepList.length == 0) throw new IllegalArgumentException("denoising_step_list is empty");
        float[] out = new float[stepList.length];
        for (int i = 0; i < stepList.length; i++) {
            int s = stepList[i];
            if (s < 0 || s > NUM_TRAIN_TIMESTEPS)
                throw new IllegalArgumentException("denoising_step_list entry " + s + " is outside [0, 1000]: "
                        + Arrays.toString(stepList));
            if (warp) {
                int idx = NUM_TRAIN_TIMESTEPS - s;
                out[i] = idx == NUM_TRAIN_TIMESTEPS ? 0f : timesteps[idx];
            } else {
                out[i] = s;
            }
        }
        return out;
    }

    /** Index of the table timestep nearest to {@code t} (first one on ties, as torch.argmin). */
    public int nearestIndex(double t) {
        int best = 0;
        double bestD = Double.POSITIVE_INFINITY;
        for (int i = 0; i < timesteps.length; i++) {
            double d = Math.abs((double) timesteps[i] - t);
            if (d < bestD) {
                bestD = d;
                best = i;
            }
        }
        return best;
    }

    /** sigma of the table timestep nearest to {@code t} (t = 0 maps to the smallest sigma, 0.005 for shift 5). */
    public float sigma(double t) {
        return sigmas[nearestIndex(t)];
    }

    /**
     * {@code out = (1 - sigma_t) x0 + sigma_t noise} in float32, as {@code FlowMatchScheduler.add_noise}.
     * {@code out} may alias {@code x0}.
     */
    public void addNoise(float[] x0, int x0Off, float[] noise, int noiseOff, double t, float[] out, int outOff, int n) {
        float sigma = sigma(t);
        float keep = 1f - sigma;
        for (int i = 0; i < n; i++) out[outOff + i] = keep * x0[x0Off + i] + sigma * noise[noiseOff + i];
    }

    /**
     * {@code out = x_t - sigma_t * v} computed in float64 and rounded to float32, as
     * {@code WanDiffusionWrapper._convert_flow_pred_to_x0}. {@code out} may alias either input.
     */
    public void x0FromVelocity(float[] xt, int xtOff, float[] v, int vOff, double t, float[] out, int outOff, int n) {
        double sigma = sigma(t);
        for (int i = 0; i < n; i++) out[outOff + i] = (float) ((double) xt[xtOff + i] - sigma * (double) v[vOff + i]);
    }
}
