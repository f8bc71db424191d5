package longlive.train;

import longlive.sampling.FlowMatchSchedule;

/**
 * The flow-matching training loss of a diffusion model (the teacher and the critic's pretraining), as Self-Forcing's
 * {@code CausalDiffusion.generator_loss} with the reference {@code FlowMatchScheduler} (shift, sigma_min 0,
 * extra_one_step, {@code set_timesteps(1000, training=True)}):
 * <pre>
 *   t_f = timesteps[index_f]            index per block ~ U{0..999}  ({@link TimestepSampler#flowIndices})
 *   x_t = (1 − σ_t)·x0 + σ_t·ε           ({@link #noisyInput})
 *   target = ε − x0
 *   L = mean_f( w(t_f) · mean_{c,h,w}(v_pred − target)² )
 * </pre>
 * with the "bell-shaped" training weight {@code w = (y − min y) · 1000 / Σ(y − min y)},
 * {@code y = exp(−2·((t − 500)/1000)²)} over the 1000 table timesteps (emphasises mid-range noise; 0 at t = 1000).
 * Tensors are one sample {@code [F, C, H, W]} flattened, {@code frameSize = C·H·W}.
 */
public final class FlowMatchLoss {
    private final FlowMatchSchedule schedule;
    private final float[] timesteps;
    private final float[] weights;

    public FlowMatchLoss(FlowMatchSchedule schedule) {
        this.schedule = schedule;
        this.timesteps = schedule.timesteps();
        this.weights = trainingWeights(timesteps);
    }

    /** The training weight table over the schedule's timesteps (float32, as the reference). */
    static float[] trainingWeights(float[] timesteps) {
        int n = timesteps.length;
        float[] y = new float[n];
        float min = Float.POSITIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            float d = (timesteps[i] - n / 2f) / n;
            y[i] = (float) Math.exp(-2f * d * d);
            min = Math.min(min, y[i]);
        }
        double sum = 0;
        for (int i = 0; i < n; i++) {
            y[i] -= min;
            sum += y[i];
        }
        float k = (float) (n / sum);
        for (int i = 0; i < n; i++) y[i] *= k;
        return y;
    }

    /** Training weight of table index {@code index}. */
    public float weight(int index) {
        return weights[index];
    }

    /** Timestep of table index {@code index}. */
    public float timestep(int index) {
        return timesteps[index];
    }

    public FlowMatchSchedule schedule() {
        return schedule;
    }

    /** {@code xt[f] = (1 − σ)·x0[f] + σ·noise[f]} for each frame at its own table index. */
    public void noisyInput(float[] x0, float[] noise, int[] index, int frameSize, float[] xt) {
        for (int f = 0; f < index.length; f++)
            schedule.addNoise(x0, f * frameSize, noise, f * frameSize, timesteps[index[f]], xt, f * frameSize, frameSize);
    }

    /**
     * The weighted loss; writes {@code dPred = ∂L/∂pred} (overwrites; nullable).
     *
     * @param pred  the model's velocity prediction {@code [F, C, H, W]}
     * @param index per-frame table index
     */
    public double loss(float[] pred, float[] x0, float[] noise, int[] index, int frameSize, float[] dPred) {
        return loss(pred, x0, noise, index, frameSize, null, 0, dPred);
    }

    /**
     * The loss with each latent cell's squared error also weighted by {@code cellWeight[f · cells + h · W + w]}
     * (the same for every channel; {@link ObjectWeights}); {@code cellWeight == null} is {@link #loss the plain loss}.
     *
     * @param cells latent cells per frame, {@code H · W} ({@code frameSize} is {@code C · H · W})
     */
    public double loss(float[] pred, float[] x0, float[] noise, int[] index, int frameSize, float[] cellWeight,
                       int cells, float[] dPred) {
        int frames = index.length;
        if (cellWeight != null && (cells < 1 || frameSize % cells != 0 || cellWeight.length != frames * cells))
            throw new IllegalArgumentException("flow loss: cell weights of " + cellWeight.length + " for " + frames
                    + " frames of " + cells + " cells (frame size " + frameSize + ")");
        if (pred.length != frames * frameSize || x0.length != pred.length || noise.length != pred.length)
            throw new IllegalArgumentException("flow loss: " + frames + " frames of " + frameSize + " do not fit arrays of "
                    + pred.length + ", " + x0.length + ", " + noise.length);
        double total = 0;
        for (int f = 0; f < frames; f++) {
            double sq = 0;
            float w = weights[index[f]];
            // d/dpred of w·mean(·)/F is 2·w·(pred − target) / (frameSize·F)
            float g = (float) (2.0 * w / ((double) frameSize * frames));
            if (cellWeight == null) {
                for (int i = f * frameSize; i < (f + 1) * frameSize; i++) {
                    float diff = pred[i] - (noise[i] - x0[i]);
                    sq += (double) diff * diff;
                    if (dPred != null) dPred[i] = g * diff;
                }
            } else {
                for (int i = f * frameSize, j = 0; i < (f + 1) * frameSize; i++, j++) {
                    float diff = pred[i] - (noise[i] - x0[i]), cw = cellWeight[f * cells + j % cells];
                    sq += (double) cw * diff * diff;
                    if (dPred != null) dPred[i] = g * cw * diff;
                }
            }
            total += w * (sq / frameSize);
        }
        return total / frames;
    }
}
