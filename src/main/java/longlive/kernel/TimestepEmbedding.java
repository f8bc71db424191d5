package longlive.kernel;

/**
 * The sinusoidal timestep embedding of Wan (wan/modules/model.py {@code sinusoidal_embedding_1d}), computed in
 * float64 like the reference and rounded to float32 once: {@code cat(cos(t * f_i), sin(t * f_i))},
 * {@code f_i = 10000^(-i / half)}, {@code i = 0..half-1}, {@code half = dim / 2} (cos first).
 * Scalar only: it is {@code frames x 256} values per step.
 */
public final class TimestepEmbedding {
    private TimestepEmbedding() {}

    /**
     * Writes the embedding of each of {@code count} positions (timesteps, may be fractional, e.g. 937.5) as one
     * row of {@code out [count, dim]} from {@code outOff}.
     *
     * @param dim even, >= 2 (Wan: freq_dim 256)
     */
    public static void sinusoidal(double[] positions, int posOff, int count, int dim, float[] out, int outOff) {
        if (dim < 2 || dim % 2 != 0)
            throw new IllegalArgumentException("sinusoidal embedding: dim must be even and >= 2, got " + dim);
        if (count < 0 || posOff < 0 || posOff + count > positions.length)
            throw new longlive.tensor.ShapeException("sinusoidal embedding: positions [" + count + "] from offset " + posOff
                    + " do not fit an array of " + positions.length);
        PointwiseChecks.requireView("sinusoidal embedding", "out", out, outOff, (long) count * dim, count, dim);
        int half = dim / 2;
        for (int r = 0; r < count; r++) {
            double t = positions[posOff + r];
            int o = outOff + r * dim;
            for (int i = 0; i < half; i++) {
                double a = t * Math.pow(10000.0, -(double) i / half);
                out[o + i] = (float) Math.cos(a);
                out[o + half + i] = (float) Math.sin(a);
            }
        }
    }
}
