package longlive.train;

/**
 * The causal student's initialisation (CausVid §4.3; Self-Forcing {@code model/ode_regression.py}): the teacher's
 * ODE trajectories are stored at a few timesteps (Self-Forcing keeps steps 0, 12, 24, 36 of a 48-step shift-8
 * CFG-6 sampler, plus the clean end), each block of the student's input is drawn from one of them
 * ({@link TimestepSampler#odeIndices}) and the student regresses the clean end:
 * <pre>
 *   L = mean over frames with t ≠ 0 of (x0_pred − x0_target)²,   ∂L/∂x0_pred = 2·(x0_pred − x0_target) / N
 * </pre>
 * (frames that were given the clean latent itself, t = 0, carry no loss).
 */
public final class OdeRegressionLoss {
    private OdeRegressionLoss() {}

    /**
     * @param pred     the student's x0 prediction {@code [F, C, H, W]}
     * @param target   the trajectory's clean end
     * @param timestep per-frame timestep the student was given (0 = clean)
     * @param dPred    receives {@code ∂L/∂pred} (overwrites; nullable)
     * @return the loss, or 0 when every frame had t = 0
     */
    public static double loss(float[] pred, float[] target, float[] timestep, int frameSize, float[] dPred) {
        int frames = timestep.length;
        if (pred.length != frames * frameSize || target.length != pred.length)
            throw new IllegalArgumentException("ODE loss: " + frames + " frames of " + frameSize + " do not fit "
                    + pred.length + " / " + target.length + " values");
        long count = 0;
        for (float t : timestep) if (t != 0) count += frameSize;
        double sum = 0;
        for (int f = 0; f < frames; f++) {
            boolean on = timestep[f] != 0;
            for (int i = f * frameSize; i < (f + 1) * frameSize; i++) {
                float d = pred[i] - target[i];
                if (on) sum += (double) d * d;
                if (dPred != null) dPred[i] = on ? (float) (2.0 * d / count) : 0f;
            }
        }
        return count == 0 ? 0 : sum / count;
    }
}
