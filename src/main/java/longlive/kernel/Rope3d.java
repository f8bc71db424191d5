package longlive.kernel;

import static longlive.kernel.PointwiseChecks.SPECIES;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;

/**
 * Wan's 3D rotary position embedding (wan/modules/model.py {@code rope_apply}, causal_model.py
 * {@code causal_rope_apply} with {@code start_frame}): each head's adjacent pairs {@code (x[2i], x[2i+1])} are
 * rotated as complex numbers by the angles of the token's (frame, row, column) position, see {@link RopeTable}.
 *
 * <p>Layout: {@code x, y [frames * gridH * gridW, heads * headDim]}, tokens in (f, h, w) order (w fastest),
 * row-major from an element offset. The token of local frame f has temporal position {@code startFrame + f}:
 * the absolute frame index in the reference's absolute mode, the cache slot index in the relative ("infinity")
 * mode. Positions past the table throw an {@link IllegalArgumentException}.
 *
 * <p>The rotation is computed in float32 from float32 cos/sin (the reference computes it in float64 and
 * rounds the result to float32; the difference is a few ulp).
 *
 * <p>Two implementations: {@link #scalar()} (the reference) and {@link #vector()}.
 */
public abstract sealed class Rope3d permits Rope3d.Scalar, Rope3d.Vector {
    private static final Rope3d SCALAR = new Scalar();
    private static final Rope3d VECTOR = new Vector();

    Rope3d() {}

    public static Rope3d scalar() {
        return SCALAR;
    }

    public static Rope3d vector() {
        return VECTOR;
    }

    /**
     * {@code y = rotate(x, +angle)} for every token and head.
     *
     * @param y may be {@code x} at the same offset (in place)
     */
    public final void forward(Parallel par, RopeTable table, float[] x, int xOff, float[] y, int yOff,
                              int heads, int frames, int gridH, int gridW, int startFrame) {
        run("rope3d", par, table, x, xOff, y, yOff, heads, frames, gridH, gridW, startFrame, false);
    }

    /**
     * Backward of {@link #forward}: {@code dx += rotate(dy, -angle)} (the rotation is orthogonal).
     *
     * @param dy {@code [tokens, heads * headDim]}; must not overlap dx
     */
    public final void backward(Parallel par, RopeTable table, float[] dy, int dyOff, float[] dx, int dxOff,
                               int heads, int frames, int gridH, int gridW, int startFrame) {
        run("rope3dBackward", par, table, dy, dyOff, dx, dxOff, heads, frames, gridH, gridW, startFrame, true);
    }

    private void run(String op, Parallel par, RopeTable table, float[] src, int srcOff, float[] dst, int dstOff,
                     int heads, int frames, int gridH, int gridW, int startFrame, boolean backward) {
        if (table == null) throw new IllegalArgumentException(op + ": the RoPE table is null");
        if (heads < 1) throw new IllegalArgumentException(op + ": heads must be >= 1, got " + heads);
        table.requirePositions(op, startFrame, frames, gridH, gridW);
        int headDim = table.headDim();
        int dim = heads * headDim;
        int perFrame = gridH * gridW;
        int tokens = frames * perFrame;
        long n = (long) tokens * dim;
        String in = backward ? "dy" : "x", out = backward ? "dx" : "y";
        PointwiseChecks.requireView(op, in, src, srcOff, n, tokens, dim);
        PointwiseChecks.requireView(op, out, dst, dstOff, n, tokens, dim);
        par.forRange(tokens, PointwiseChecks.rowGrain(dim), (from, to) -> {
            float[] cos = new float[headDim], sin = new float[headDim]; // one pair per task, reused for every token
            for (int t = from; t < to; t++) {
                int f = t / perFrame, rem = t - f * perFrame, h = rem / gridW, w = rem - h * gridW;
                table.fillRow(startFrame + f, h, w, cos, sin);
                for (int head = 0; head < heads; head++) {
                    int so = srcOff + t * dim + head * headDim, d0 = dstOff + t * dim + head * headDim;
                    if (backward) rotateBackAccumulate(src, so, dst, d0, headDim, cos, sin);
                    else rotate(src, so, dst, d0, headDim, cos, sin);
                }
            }
        });
    }

    /** {@code y = x * cos + swapPairs(x) * sin} over one head. */
    abstract void rotate(float[] x, int xo, float[] y, int yo, int headDim, float[] cos, float[] sin);

    /** {@code dx += dy * cos - swapPairs(dy) * sin} over one head (rotation by the negative angle). */
    abstract void rotateBackAccumulate(float[] dy, int dyo, float[] dx, int dxo, int headDim, float[] cos, float[] sin);

    static final class Scalar extends Rope3d {
        @Override
        void rotate(float[] x, int xo, float[] y, int yo, int headDim, float[] cos, float[] sin) {
            for (int i = 0; i < headDim; i += 2) {
                float re = x[xo + i], im = x[xo + i + 1];
                // (re + i im) * (c + i s), with sin[i] = -s and sin[i + 1] = +s
                y[yo + i] = re * cos[i] + im * sin[i];
                y[yo + i + 1] = im * cos[i + 1] + re * sin[i + 1];
            }
        }

        @Override
        void rotateBackAccumulate(float[] dy, int dyo, float[] dx, int dxo, int headDim, float[] cos, float[] sin) {
            for (int i = 0; i < headDim; i += 2) {
                float re = dy[dyo + i], im = dy[dyo + i + 1];
                dx[dxo + i] += re * cos[i] - im * sin[i];
                dx[dxo + i + 1] += im * cos[i + 1] - re * sin[i + 1];
            }
        }
    }

    static final class Vector extends Rope3d {
        /** Exchanges the two elements of every adjacent pair; vectors start at even offsets, so pairs never split. */
        private static final VectorShuffle<Float> SWAP_PAIRS = VectorShuffle.fromOp(SPECIES, i -> i ^ 1);

        @Override
        void rotate(float[] x, int xo, float[] y, int yo, int headDim, float[] cos, float[] sin) {
            int L = SPECIES.length(), ub = SPECIES.loopBound(headDim);
            int i = 0;
            for (; i < ub; i += L) {
                FloatVector v = FloatVector.fromArray(SPECIES, x, xo + i);
                FloatVector swapped = v.rearrange(SWAP_PAIRS);
                FloatVector r = v.mul(FloatVector.fromArray(SPECIES, cos, i))
                        .add(swapped.mul(FloatVector.fromArray(SPECIES, sin, i)));
                r.intoArray(y, yo + i);
            }
            for (; i < headDim; i += 2) {
                float re = x[xo + i], im = x[xo + i + 1];
                y[yo + i] = re * cos[i] + im * sin[i];
                y[yo + i + 1] = im * cos[i + 1] + re * sin[i + 1];
            }
        }

        @Override
        void rotateBackAccumulate(float[] dy, int dyo, float[] dx, int dxo, int headDim, float[] cos, float[] sin) {
            int L = SPECIES.length(), ub = SPECIES.loopBound(headDim);
            int i = 0;
            for (; i < ub; i += L) {
                FloatVector v = FloatVector.fromArray(SPECIES, dy, dyo + i);
                FloatVector swapped = v.rearrange(SWAP_PAIRS);
                FloatVector r = v.mul(FloatVector.fromArray(SPECIES, cos, i))
                        .sub(swapped.mul(FloatVector.fromArray(SPECIES, sin, i)));
                FloatVector.fromArray(SPECIES, dx, dxo + i).add(r).intoArray(dx, dxo + i);
            }
            for (; i < headDim; i += 2) {
                float re = dy[dyo + i], im = dy[dyo + i + 1];
                dx[dxo + i] += re * cos[i] - im * sin[i];
                dx[dxo + i + 1] += im * cos[i + 1] - re * sin[i + 1];
            }
        }
    }
}
