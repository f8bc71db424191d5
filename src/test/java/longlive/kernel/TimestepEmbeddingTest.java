package longlive.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** The sinusoidal timestep embedding: cos first, then sin, frequencies 10000^(-i/half), float64 math. */
class TimestepEmbeddingTest {

    @Test
    void cosThenSinWithWanFrequencies() {
        double[] t = {0, 937.5, 1000};
        int dim = 256, half = 128;
        float[] out = new float[2 + t.length * dim];
        TimestepEmbedding.sinusoidal(t, 0, t.length, dim, out, 2);
        for (int r = 0; r < t.length; r++)
            for (int i = 0; i < half; i++) {
                double a = t[r] / Math.pow(10000, (double) i / half);
                assertEquals((float) Math.cos(a), out[2 + r * dim + i], "cos row " + r + " i " + i);
                assertEquals((float) Math.sin(a), out[2 + r * dim + half + i], "sin row " + r + " i " + i);
            }
        // t = 0: cos half all ones, sin half all zeros; i = 0 has frequency 1
        assertEquals(1f, out[2 + 5]);
        assertEquals(0f, out[2 + half + 5]);
        assertEquals((float) Math.sin(937.5), out[2 + dim + half]);
    }

    @Test
    void rejectsOddDimAndShortOutput() {
        assertThrows(IllegalArgumentException.class,
                () -> TimestepEmbedding.sinusoidal(new double[] {1}, 0, 1, 7, new float[7], 0));
        assertThrows(longlive.tensor.ShapeException.class,
                () -> TimestepEmbedding.sinusoidal(new double[] {1, 2}, 0, 2, 8, new float[15], 0));
    }
}
