package longlive.train;

import longlive.sampling.FlowMatchSchedule;

/**
 * The critic (fake score) loss of DMD with {@code denoising_loss_type: flow} ({@code model/dmd.py critic_loss}):
 * the critic sees the generator's (detached) output {@code x} noised at a timestep from
 * {@link TimestepSampler#dmd}, and learns the flow-matching target {@code ε − x} — unweighted, unlike the
 * teacher's {@link FlowMatchLoss}. The reference converts the critic's velocity to x0 and back in float64
 * ({@code x0 = x_t − σ·v}, {@code v' = (x_t − x0)/σ}); this is reproduced so the loss matches to rounding, and
 * the gradient is taken through that identity.
 * <pre>
 *   L = mean (v' − (ε − x))²,   ∂L/∂v = 2·(v' − (ε − x)) / N
 * </pre>
 */
public final class CriticFlowLoss {
    private final FlowMatchSchedule schedule;

    public CriticFlowLoss(FlowMatchSchedule schedule) {
        this.schedule = schedule;
    }

    /**
     * @param v     the critic's velocity prediction {@code [F, C, H, W]}
     * @param xt    its input
     * @param x     the clean generator output it was made from
     * @param t     the (one) timestep of the sample
     * @param dV    receives {@code ∂L/∂v} (overwrites; nullable)
     */
    public double loss(float[] v, float[] xt, float[] x, float[] noise, double t, float[] dV) {
        int n = v.length;
        if (xt.length != n || x.length != n || noise.length != n)
            throw new IllegalArgumentException("critic loss: arrays of " + n + ", " + xt.length + ", " + x.length + ", " + noise.length);
        double sigma = schedule.sigma(t);
        double sum = 0;
        for (int i = 0; i < n; i++) {
            float x0 = (float) ((double) xt[i] - sigma * v[i]);
            float flow = (float) (((double) xt[i] - x0) / sigma);
            float diff = flow - (noise[i] - x[i]);
            sum += (double) diff * diff;
            if (dV != null) dV[i] = (float) (2.0 * diff / n);
        }
        return sum / n;
    }
}
