package longlive.vae;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import java.util.function.DoubleSupplier;

/** Central finite differences against an analytic gradient, on a random sample of entries. */
final class GradCheck {
    private GradCheck() {}

    /**
     * Checks {@code grad[i] ~ (L(p + h e_i) - L(p - h e_i)) / 2h} for {@code samples} random i (all if fewer).
     * An entry passes when {@code |fd - g| <= tol * max(|fd|, |g|) + floor}, floor = {@code tol * max|grad|}:
     * entries far below the array's scale are dominated by float rounding of the loss.
     *
     * @return the largest relative error seen
     */
    static double check(String what, DoubleSupplier loss, float[] param, float[] grad, int n, int samples, double h,
                        double tol, Random r) {
        double maxAbs = 0;
        for (int i = 0; i < n; i++) maxAbs = Math.max(maxAbs, Math.abs(grad[i]));
        assertTrue(maxAbs > 0 || n == 0, what + ": gradient is all zero");
        double floor = tol * maxAbs, worst = 0;
        for (int s = 0; s < Math.min(samples, n); s++) {
            int i = samples >= n ? s : r.nextInt(n);
            float orig = param[i];
            param[i] = (float) (orig + h);
            double lp = loss.getAsDouble();
            param[i] = (float) (orig - h);
            double lm = loss.getAsDouble();
            param[i] = orig;
            double fd = (lp - lm) / (2 * h), g = grad[i];
            double err = Math.abs(fd - g);
            worst = Math.max(worst, err / Math.max(Math.max(Math.abs(fd), Math.abs(g)), floor / tol));
            assertTrue(err <= tol * Math.max(Math.abs(fd), Math.abs(g)) + floor,
                    what + "[" + i + "]: finite difference " + fd + ", backward " + g);
        }
        return worst;
    }

    static float[] random(Random r, int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (r.nextGaussian() * scale);
        return a;
    }

    /** {@code sum(y[i] * w[i])} in double. */
    static double dot(float[] y, float[] w, int n) {
        double s = 0;
        for (int i = 0; i < n; i++) s += (double) y[i] * w[i];
        return s;
    }
}
