package longlive.kernel;

import static longlive.kernel.PointwiseChecks.SPECIES;

import jdk.incubator.vector.FloatVector;

/**
 * Channel-first L2 normalization of the Wan VAE (wan/modules/vae.py {@code RMS_norm}):
 * {@code y[c, n] = x[c, n] / max(||x[:, n]||_2, 1e-12) * sqrt(C) * gamma[c] + bias[c]}, normalizing over the
 * channel dimension C at every position n (every voxel of a {@code [C, T, H, W]} feature map, flattened to
 * {@code N = T * H * W}). Forward only: the VAE is not trained here.
 *
 * <p>Layout: {@code x, y [C, N]} row-major from an offset (each channel's N positions contiguous);
 * {@code gamma, bias [C]} (bias nullable). Work is split over position ranges, vectorized along positions.
 *
 * <p>Two implementations: {@link #scalar()} (the reference, double accumulators) and {@link #vector()}.
 */
public abstract sealed class ChannelRmsNorm permits ChannelRmsNorm.Scalar, ChannelRmsNorm.Vector {
    private static final ChannelRmsNorm SCALAR = new Scalar();
    private static final ChannelRmsNorm VECTOR = new Vector();
    /** {@code F.normalize}'s default eps: the norm is clamped from below, not shifted. */
    static final float NORM_EPS = 1e-12f;

    ChannelRmsNorm() {}

    public static ChannelRmsNorm scalar() {
        return SCALAR;
    }

    public static ChannelRmsNorm vector() {
        return VECTOR;
    }

    /** @param y may be {@code x} at the same offset (in place) */
    public final void forward(Parallel par, float[] x, int xOff, float[] y, int yOff, int channels, int positions,
                              float[] gamma, float[] bias) {
        String op = "channelRmsNorm";
        if (channels < 1 || positions < 0)
            throw new longlive.tensor.ShapeException(op + ": x [" + channels + ", " + positions
                    + "] needs channels >= 1 and positions >= 0");
        long n = (long) channels * positions;
        PointwiseChecks.requireView(op, "x", x, xOff, n, channels, positions);
        PointwiseChecks.requireView(op, "y", y, yOff, n, channels, positions);
        PointwiseChecks.requireView(op, "gamma", gamma, 0, channels, channels);
        PointwiseChecks.optionalView(op, "bias", bias, 0, channels, channels);
        float scale = (float) Math.sqrt(channels);
        par.forRange(positions, PointwiseChecks.rowGrain(channels), (from, to) -> {
            float[] inv = new float[to - from]; // per-position 1 / norm, once per task
            forwardRange(x, xOff, y, yOff, channels, positions, from, to, gamma, bias, scale, inv);
        });
    }

    abstract void forwardRange(float[] x, int xOff, float[] y, int yOff, int channels, int positions, int from, int to,
                               float[] gamma, float[] bias, float scale, float[] inv);

    static final class Scalar extends ChannelRmsNorm {
        @Override
        void forwardRange(float[] x, int xOff, float[] y, int yOff, int channels, int positions, int from, int to,
                          float[] gamma, float[] bias, float scale, float[] inv) {
            for (int p = from; p < to; p++) {
                double ss = 0;
                for (int c = 0; c < channels; c++) {
                    double v = x[xOff + c * positions + p];
                    ss += v * v;
                }
                inv[p - from] = (float) (1.0 / Math.max(Math.sqrt(ss), NORM_EPS));
            }
            for (int c = 0; c < channels; c++) {
                float g = gamma[c] * scale, b = bias == null ? 0f : bias[c];
                int xr = xOff + c * positions, yr = yOff + c * positions;
                for (int p = from; p < to; p++) y[yr + p] = x[xr + p] * inv[p - from] * g + b;
            }
        }
    }

    static final class Vector extends ChannelRmsNorm {
        @Override
        void forwardRange(float[] x, int xOff, float[] y, int yOff, int channels, int positions, int from, int to,
                          float[] gamma, float[] bias, float scale, float[] inv) {
            int L = SPECIES.length(), len = to - from, ub = SPECIES.loopBound(len);
            // sum of squares per position, accumulated channel by channel into inv[] (reads stay contiguous)
            java.util.Arrays.fill(inv, 0f);
            for (int c = 0; c < channels; c++) {
                int xr = xOff + c * positions + from;
                int i = 0;
                for (; i < ub; i += L) {
                    FloatVector v = FloatVector.fromArray(SPECIES, x, xr + i);
                    v.fma(v, FloatVector.fromArray(SPECIES, inv, i)).intoArray(inv, i);
                }
                for (; i < len; i++) inv[i] += x[xr + i] * x[xr + i];
            }
            for (int i = 0; i < len; i++) inv[i] = 1f / Math.max((float) Math.sqrt(inv[i]), NORM_EPS);
            for (int c = 0; c < channels; c++) {
                float g = gamma[c] * scale, b = bias == null ? 0f : bias[c];
                int xr = xOff + c * positions + from, yr = yOff + c * positions + from;
                int i = 0;
                for (; i < ub; i += L)
                    FloatVector.fromArray(SPECIES, x, xr + i).mul(FloatVector.fromArray(SPECIES, inv, i)).mul(g).add(b)
                            .intoArray(y, yr + i);
                for (; i < len; i++) y[yr + i] = x[xr + i] * inv[i] * g + b;
            }
        }
    }
}
