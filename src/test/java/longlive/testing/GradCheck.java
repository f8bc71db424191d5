package longlive.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.function.Supplier;

/**
 * Finite-difference gradient checks for backward kernels.
 *
 * <p>Usage: make the loss a scalar {@code L = sum(out * probe)} with a fixed random {@code probe}, run the
 * forward and the backward once (backward seeded with {@code dOut = probe}) to get the analytic gradient of
 * an input, then call {@link #check}: it perturbs each checked element of the input by ±eps, re-evaluates the
 * loss (in double) and compares the central difference with the analytic value.
 */
public final class GradCheck {
    private GradCheck() {}

    /**
     * @param name      what is being checked, for the failure message
     * @param input     the input array; perturbed in place and restored
     * @param analytic  the analytic dL/dinput, same length as input
     * @param loss      recomputes the scalar loss from the current contents of {@code input}
     * @param eps       perturbation (1e-2..1e-3 suits float32 kernels)
     * @param tol       allowed |num - ana| / max(1, |num|, |ana|) ... relative to scale
     * @param maxChecks checks at most this many evenly spaced elements (all if input is smaller)
     */
    public static void check(String name, float[] input, float[] analytic, Supplier<Double> loss,
                             double eps, double tol, int maxChecks) {
        if (input.length != analytic.length)
            fail(name + ": gradient length " + analytic.length + " != input length " + input.length);
        double scale = 1e-3;
        for (float g : analytic) scale = Math.max(scale, Math.abs(g));
        int stride = Math.max(1, input.length / Math.max(1, maxChecks));
        double worst = 0;
        int worstAt = -1;
        double worstNum = 0;
        for (int i = 0; i < input.length; i += stride) {
            float saved = input[i];
            input[i] = (float) (saved + eps);
            double up = loss.get();
            input[i] = (float) (saved - eps);
            double down = loss.get();
            input[i] = saved;
            // the perturbation actually applied in float32 may differ slightly from eps
            double h = ((double) (float) (saved + eps)) - ((double) (float) (saved - eps));
            double numeric = (up - down) / h;
            double err = Math.abs(numeric - analytic[i]) / Math.max(scale, Math.abs(numeric));
            if (err > worst) {
                worst = err;
                worstAt = i;
                worstNum = numeric;
            }
        }
        if (worst > tol)
            fail(String.format("%s: gradient mismatch at element %d: numeric %.6g vs analytic %.6g (rel err %.3g > %.3g)",
                    name, worstAt, worstNum, analytic[worstAt], worst, tol));
    }

    /** sum(out[i] * probe[i]) in double, the scalar loss used with {@link #check}. */
    public static double dot(float[] out, float[] probe) {
        double s = 0;
        for (int i = 0; i < out.length; i++) s += (double) out[i] * probe[i];
        return s;
    }
}
