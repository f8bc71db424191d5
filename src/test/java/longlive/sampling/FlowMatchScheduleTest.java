package longlive.sampling;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class FlowMatchScheduleTest {
    final FlowMatchSchedule s = new FlowMatchSchedule(5.0);

    @Test
    void warpedTimestepsFollowTheShiftFormula() {
        // sigma' = 5 sigma / (1 + 4 sigma) for sigma = 1, .75, .5, .25 -> t = 1000, 937.5, 833.33.., 625
        float[] t = s.denoisingTimesteps(new int[] {1000, 750, 500, 250}, true);
        assertArrayEquals(new float[] {1000f, 937.5f, 833.3333f, 625f}, t, 1e-3f);
        for (int i = 0; i < 4; i++) {
            double sigma = 1 - 0.25 * i, shifted = 5 * sigma / (1 + 4 * sigma);
            assertEquals(1000 * shifted, t[i], 1e-3);
            assertEquals(shifted, s.sigma(t[i]), 1e-6);
        }
    }

    @Test
    void unwarpedStepsAreTheIntegersAndZeroWarpsToZero() {
        assertArrayEquals(new float[] {1000f, 750f}, s.denoisingTimesteps(new int[] {1000, 750}, false));
        assertArrayEquals(new float[] {0f}, s.denoisingTimesteps(new int[] {0}, true));
        assertThrows(IllegalArgumentException.class, () -> s.denoisingTimesteps(new int[] {1001}, true));
        assertThrows(IllegalArgumentException.class, () -> new FlowMatchSchedule(0));
    }

    @Test
    void tableIsDescendingFrom1000AndLookupPicksNearest() {
        float[] t = s.timesteps();
        assertEquals(1000, t.length);
        assertEquals(1000f, t[0]);
        for (int i = 1; i < t.length; i++) assertEquals(true, t[i] < t[i - 1]);
        // the smallest entry: sigma = 0.001 shifted = 0.005/1.004
        assertEquals(0.005 / 1.004, s.sigma(0), 1e-7);
        assertEquals(999, s.nearestIndex(0));
        assertEquals(250, s.nearestIndex(937.5));
    }

    @Test
    void addNoiseAndX0FromVelocityInvertEachOther() {
        float[] x0 = {1f, -2f, 0.5f}, noise = {0.3f, 0.1f, -1f}, xt = new float[3], back = new float[3];
        double t = 833.3333;
        double sigma = s.sigma(t);
        s.addNoise(x0, 0, noise, 0, t, xt, 0, 3);
        for (int i = 0; i < 3; i++) assertEquals((1 - sigma) * x0[i] + sigma * noise[i], xt[i], 1e-6);
        float[] v = new float[3];
        for (int i = 0; i < 3; i++) v[i] = noise[i] - x0[i];
        s.x0FromVelocity(xt, 0, v, 0, t, back, 0, 3);
        assertArrayEquals(x0, back, 1e-6f);
    }
}
