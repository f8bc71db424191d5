package longlive.train;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * AdamW over a {@link ParamSet}, reproducing {@code torch.optim.AdamW} (torch 1.13, single-tensor path) in float32
 * arithmetic, operation for operation, so a few steps match PyTorch to float rounding (tested against golden
 * numbers). Per parameter, with step count t shared by all parameters:
 * <pre>
 *   p   *= 1 - lr·wd                         (decoupled weight decay)
 *   m    = β1·m + (1 − β1)·g
 *   v    = β2·v + (1 − β2)·g²
 *   p   -= lr / (1 − β1^t) · m / (√v / √(1 − β2^t) + eps)
 * </pre>
 * The moments ({@link #expAvg}, {@link #expAvgSq}) have exactly the layout of the parameters; they and
 * {@link #steps()} are the state a checkpoint saves.
 */
public final class AdamW {
    private final ParamSet params;
    private final AdamWConfig config;
    private final Map<String, float[]> expAvg = new LinkedHashMap<>();
    private final Map<String, float[]> expAvgSq = new LinkedHashMap<>();
    private long steps;

    public AdamW(ParamSet params, AdamWConfig config) {
        this.params = params;
        this.config = config;
        for (Param p : params) {
            expAvg.put(p.name(), new float[p.size()]);
            expAvgSq.put(p.name(), new float[p.size()]);
        }
    }

    /** Applies one update with learning rate {@code lr} from the gradients currently in the parameters. */
    public void step(double lr) {
        if (!(lr >= 0) || !Double.isFinite(lr)) throw new IllegalArgumentException("learning rate must be >= 0, got " + lr);
        steps++;
        float decay = (float) (1 - lr * config.weightDecay());
        float b1 = (float) config.beta1(), b2 = (float) config.beta2();
        float oneMinusB1 = (float) (1 - config.beta1()), oneMinusB2 = (float) (1 - config.beta2());
        // Bias corrections in double, as torch computes them with Python floats.
        double bc1 = 1 - Math.pow(config.beta1(), steps);
        float bc2Sqrt = (float) Math.sqrt(1 - Math.pow(config.beta2(), steps));
        float negStepSize = (float) (-lr / bc1);
        float eps = (float) config.eps();
        for (Param p : params) {
            float[] w = p.value(), g = p.grad(), m = expAvg.get(p.name()), v = expAvgSq.get(p.name());
            if (m == null) throw new IllegalStateException(p.name() + " was added to the set after the optimizer was made");
            for (int i = 0; i < w.length; i++) {
                float gi = g[i];
                float mi = m[i] * b1 + oneMinusB1 * gi;
                float vi = v[i] * b2 + oneMinusB2 * gi * gi;
                m[i] = mi;
                v[i] = vi;
                float denom = (float) Math.sqrt(vi) / bc2Sqrt + eps;
                w[i] = w[i] * decay + negStepSize * mi / denom;
            }
        }
    }

    /** Number of steps taken (torch's per-parameter {@code step}, identical for all parameters here). */
    public long steps() {
        return steps;
    }

    /** Restores the step count from a checkpoint. */
    public void setSteps(long steps) {
        if (steps < 0) throw new IllegalArgumentException("steps must be >= 0");
        this.steps = steps;
    }

    /** First moment of {@code name} (live array: a checkpoint load writes into it). */
    public float[] expAvg(String name) {
        return state(expAvg, name);
    }

    /** Second moment of {@code name} (live array). */
    public float[] expAvgSq(String name) {
        return state(expAvgSq, name);
    }

    private float[] state(Map<String, float[]> map, String name) {
        float[] s = map.get(name);
        if (s == null) throw new IllegalArgumentException("optimizer has no state for '" + name + "'");
        return s;
    }

    /** The parameters this optimizer updates. */
    public ParamSet params() {
        return params;
    }

    public AdamWConfig config() {
        return config;
    }
}
