package longlive.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import longlive.sampling.FlowMatchSchedule;
import longlive.testing.GradCheck;
import org.junit.jupiter.api.Test;

/** Finite-difference checks of every loss gradient, and the timestep samplers. */
class LossGradTest {
    private static final int FRAMES = 6, FRAME = 10, N = FRAMES * FRAME;

    private static float[] rand(SplittableRandom r, int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (r.nextGaussian() * scale);
        return a;
    }

    @Test
    void dmdGradientIsTheGradientOfItsLoss() {
        // L(x) = 0.5·mean_masked (x − sg(x − grad))²: with the target held fixed, dL/dx must be grad/N.
        SplittableRandom r = new SplittableRandom(1);
        float[] x = rand(r, N, 1), fake = rand(r, N, 1), rc = rand(r, N, 1), ru = rand(r, N, 1), grad = new float[N], dX = new float[N];
        new DmdLoss(3.0).klGrad(x, fake, rc, ru, grad);
        boolean[] mask = {false, false, false, true, true, true};
        DmdLoss.loss(grad, mask, FRAME, dX);
        float[] target = new float[N];
        for (int i = 0; i < N; i++) target[i] = x[i] - grad[i];
        GradCheck.check("dmd", x, dX, () -> {
            double s = 0;
            for (int f = 3; f < FRAMES; f++)
                for (int i = f * FRAME; i < (f + 1) * FRAME; i++) s += 0.5 * (x[i] - target[i]) * (x[i] - target[i]);
            return s / (3 * FRAME);
        }, 1e-2, 1e-3, N);
        for (int i = 0; i < 3 * FRAME; i++) assertEquals(0f, dX[i]);
    }

    @Test
    void dmdGradientPointsFromTheRealTowardsTheFakeScore() {
        // fake == real → zero gradient; NaN normaliser (x == real everywhere) → zeros, as nan_to_num.
        SplittableRandom r = new SplittableRandom(2);
        float[] x = rand(r, N, 1), c = rand(r, N, 1), u = rand(r, N, 1), real = new float[N], grad = new float[N];
        DmdLoss.cfg(c, u, 3.0, real);
        new DmdLoss(3.0).klGrad(x, real, c, u, grad);
        for (float g : grad) assertEquals(0f, g, 1e-6f);
        new DmdLoss(3.0).klGrad(real, real, c, u, grad);
        for (float g : grad) assertEquals(0f, g);
    }

    @Test
    void flowCriticAndOdeGradients() {
        SplittableRandom r = new SplittableRandom(3);
        FlowMatchSchedule s = new FlowMatchSchedule(5.0);
        FlowMatchLoss fm = new FlowMatchLoss(s);
        float[] pred = rand(r, N, 1), x0 = rand(r, N, 1), noise = rand(r, N, 1), d = new float[N];
        int[] idx = {100, 100, 100, 600, 600, 600};
        fm.loss(pred, x0, noise, idx, FRAME, d);
        GradCheck.check("flow", pred, d.clone(), () -> fm.loss(pred, x0, noise, idx, FRAME, null), 1e-2, 1e-3, N);

        // per-cell weights (ObjectWeights): the gradient carries them, and all-ones weights are the plain loss exactly
        int cells = 5;   // FRAME = 2 channels x 5 cells
        float[] cw = new float[idx.length * cells], ones = new float[cw.length];
        for (int i = 0; i < cw.length; i++) cw[i] = 1 + 3 * (float) r.nextDouble();
        java.util.Arrays.fill(ones, 1f);
        fm.loss(pred, x0, noise, idx, FRAME, cw, cells, d);
        GradCheck.check("weighted flow", pred, d.clone(), () -> fm.loss(pred, x0, noise, idx, FRAME, cw, cells, null),
                1e-2, 1e-3, N);
        float[] dOnes = new float[N], dPlain = new float[N];
        assertEquals(fm.loss(pred, x0, noise, idx, FRAME, dPlain), fm.loss(pred, x0, noise, idx, FRAME, ones, cells, dOnes));
        assertArrayEquals(dPlain, dOnes);
        assertThrows(IllegalArgumentException.class, () -> fm.loss(pred, x0, noise, idx, FRAME, ones, cells + 1, null));

        CriticFlowLoss critic = new CriticFlowLoss(s);
        float[] xt = new float[N];
        s.addNoise(x0, 0, noise, 0, 500, xt, 0, N);
        critic.loss(pred, xt, x0, noise, 500, d);
        GradCheck.check("critic", pred, d.clone(), () -> critic.loss(pred, xt, x0, noise, 500, null), 1e-2, 2e-3, N);

        float[] t = {0, 0, 0, 250, 250, 250};
        double l = OdeRegressionLoss.loss(pred, x0, t, FRAME, d);
        assertTrue(l > 0);
        GradCheck.check("ode", pred, d.clone(), () -> OdeRegressionLoss.loss(pred, x0, t, FRAME, null), 1e-2, 1e-3, N);
        for (int i = 0; i < 3 * FRAME; i++) assertEquals(0f, d[i]);
    }

    @Test
    void samplers() {
        assertEquals(20f, TimestepSampler.dmdShift(0, 5));
        assertEquals(980f, TimestepSampler.dmdShift(999, 5));
        assertEquals(500f, TimestepSampler.dmdShift(500, 1));
        // shift 5 maps the middle of the range up: 5·0.5/(1 + 4·0.5) = 0.8333
        assertEquals(833.333f, TimestepSampler.dmdShift(500, 5), 1e-3f);
        SplittableRandom r = new SplittableRandom(4);
        float lo = 1e9f, hi = -1e9f;
        for (int i = 0; i < 4000; i++) {
            float t = TimestepSampler.dmd(r, 5);
            lo = Math.min(lo, t);
            hi = Math.max(hi, t);
        }
        assertEquals(20f, lo);
        assertEquals(980f, hi);
        int[] idx = TimestepSampler.flowIndices(r, 9, 3);
        for (int b = 0; b < 9; b += 3) assertTrue(idx[b] == idx[b + 1] && idx[b] == idx[b + 2] && idx[b] >= 0 && idx[b] < 1000);
        int[] ode = TimestepSampler.odeIndices(r, 6, 3, 5);
        for (int v : ode) assertTrue(v >= 0 && v < 5);
    }

    @Test
    void exitStepsAndDenoisedRange() {
        SplittableRandom r = new SplittableRandom(6);
        int[] counts = new int[4];
        for (int i = 0; i < 400; i++) {
            int[] e = TimestepSampler.exitSteps(r, 7, 4, true, false);
            for (int v : e) assertEquals(e[0], v, "same step across blocks");
            counts[e[0]]++;
        }
        for (int c : counts) assertTrue(c > 60, "every exit step is drawn: " + java.util.Arrays.toString(counts));
        int[] per = TimestepSampler.exitSteps(new SplittableRandom(1), 50, 4, false, false);
        assertTrue(java.util.Arrays.stream(per).distinct().count() > 1);
        for (int v : TimestepSampler.exitSteps(r, 5, 4, false, true)) assertEquals(3, v);
        FlowMatchSchedule s = new FlowMatchSchedule(5.0);
        float[] steps = s.denoisingTimesteps(new int[] {1000, 750, 500, 250}, true); // [1000, 937.5, 833.3, 625]
        assertArrayEquals(new int[] {1000, 750}, TimestepSampler.denoisedRange(s, steps, 0)); // the unwarped step list back
        assertArrayEquals(new int[] {750, 500}, TimestepSampler.denoisedRange(s, steps, 1));
        assertArrayEquals(new int[] {250, 0}, TimestepSampler.denoisedRange(s, steps, 3));
    }
}
