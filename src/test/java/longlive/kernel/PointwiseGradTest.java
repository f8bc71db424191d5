package longlive.kernel;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.stream.Stream;
import longlive.testing.GradCheck;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Finite-difference checks of every pointwise backward, for both implementations. The loss is
 * {@code sum(forward(...) * probe)}; backward is seeded with the probe. Gradient buffers start at
 * {@link #PREFILL}, which is subtracted afterwards: a backward that overwrites instead of accumulating fails.
 * Dims are 37 (two 16-lane vectors plus a tail) so the Vector paths and their scalar tails are both exercised.
 */
class PointwiseGradTest {
    private static final float PREFILL = 0.25f;
    private static final int FRAMES = 2, TPF = 3, ROWS = FRAMES * TPF, DIM = 37, N = ROWS * DIM;
    private static final double EPS = 1e-2, TOL = 2e-2;

    static Stream<Arguments> impls() {
        return Stream.of(Arguments.of("scalar", PointwiseKernels.scalar()),
                Arguments.of("vector", PointwiseKernels.vector()));
    }

    private static float[] rnd(long seed, int n, double scale) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) ((r.nextDouble() * 2 - 1) * scale);
        return a;
    }

    private static float[] prefilled(int n) {
        float[] a = new float[n];
        Arrays.fill(a, PREFILL);
        return a;
    }

    /** Runs {@code forward(out)} into a fresh buffer of {@code n} floats and returns {@code sum(out * probe)}. */
    private static Supplier<Double> loss(int n, float[] probe, Consumer<float[]> forward) {
        return () -> {
            float[] out = new float[n];
            forward.accept(out);
            return GradCheck.dot(out, probe);
        };
    }

    /** Compares the accumulated gradient minus the prefill with central differences of the loss. */
    private static void check(String name, float[] input, float[] accumulated, Supplier<Double> loss) {
        float[] g = accumulated.clone();
        for (int i = 0; i < g.length; i++) g[i] -= PREFILL;
        GradCheck.check(name, input, g, loss, EPS, TOL, 1000);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("impls")
    void layerNormAffine(String name, PointwiseKernels k) {
        float[] x = rnd(1, N, 2), w = rnd(2, DIM, 1.5), b = rnd(3, DIM, 1), probe = rnd(4, N, 1);
        float[] mean = new float[ROWS], rstd = new float[ROWS];
        Consumer<float[]> fwd = out -> k.layerNorm().forward(Parallel.serial(), x, 0, out, 0, ROWS, DIM, w, b,
                1e-5f, mean, rstd, 0);
        fwd.accept(new float[N]);
        float[] dx = prefilled(N), dw = prefilled(DIM), db = prefilled(DIM);
        k.layerNorm().backward(Parallel.serial(), x, 0, probe, 0, dx, 0, ROWS, DIM, w, mean, rstd, 0, dw, db);
        check(name + " layerNorm dx", x, dx, loss(N, probe, fwd));
        check(name + " layerNorm dweight", w, dw, loss(N, probe, fwd));
        check(name + " layerNorm dbias", b, db, loss(N, probe, fwd));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("impls")
    void layerNormPlain(String name, PointwiseKernels k) {
        float[] x = rnd(5, N, 3), probe = rnd(6, N, 1), mean = new float[ROWS], rstd = new float[ROWS];
        Consumer<float[]> fwd = out -> k.layerNorm().forward(Parallel.serial(), x, 0, out, 0, ROWS, DIM, null, null,
                1e-6f, mean, rstd, 0);
        fwd.accept(new float[N]);
        float[] dx = prefilled(N);
        k.layerNorm().backward(Parallel.serial(), x, 0, probe, 0, dx, 0, ROWS, DIM, null, mean, rstd, 0, null, null);
        check(name + " layerNorm (no affine) dx", x, dx, loss(N, probe, fwd));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("impls")
    void rmsNorm(String name, PointwiseKernels k) {
        float[] x = rnd(7, N, 2), w = rnd(8, DIM, 1.5), probe = rnd(9, N, 1), rstd = new float[ROWS];
        Consumer<float[]> fwd = out -> k.rmsNorm().forward(Parallel.serial(), x, 0, out, 0, ROWS, DIM, w, 1e-6f, rstd, 0);
        fwd.accept(new float[N]);
        float[] dx = prefilled(N), dw = prefilled(DIM);
        k.rmsNorm().backward(Parallel.serial(), x, 0, probe, 0, dx, 0, ROWS, DIM, w, rstd, 0, dw);
        check(name + " rmsNorm dx", x, dx, loss(N, probe, fwd));
        check(name + " rmsNorm dweight", w, dw, loss(N, probe, fwd));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("impls")
    void rope(String name, PointwiseKernels k) {
        // headDim 36: 18 pairs split 6 temporal, 6 height, 6 width; two 16-lane vectors plus a tail of 4
        RopeTable table = new RopeTable(36, 64, 10000);
        int heads = 2, frames = 2, gh = 2, gw = 3, start = 5, n = frames * gh * gw * heads * 36;
        float[] x = rnd(10, n, 2), probe = rnd(11, n, 1);
        Consumer<float[]> fwd = out -> k.rope().forward(Parallel.serial(), table, x, 0, out, 0, heads, frames, gh, gw,
                start);
        float[] dx = prefilled(n);
        k.rope().backward(Parallel.serial(), table, probe, 0, dx, 0, heads, frames, gh, gw, start);
        check(name + " rope dx", x, dx, loss(n, probe, fwd));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("impls")
    void activations(String name, PointwiseKernels k) {
        Activations a = k.activations();
        float[] x = rnd(12, N, 4), probe = rnd(13, N, 1);
        float[] dx = prefilled(N);
        a.geluBackward(Parallel.serial(), x, 0, probe, 0, dx, 0, N);
        check(name + " gelu dx", x, dx, loss(N, probe, out -> a.gelu(Parallel.serial(), x, 0, out, 0, N)));
        float[] ds = prefilled(N);
        a.siluBackward(Parallel.serial(), x, 0, probe, 0, ds, 0, N);
        check(name + " silu dx", x, ds, loss(N, probe, out -> a.silu(Parallel.serial(), x, 0, out, 0, N)));
        float[] b = rnd(14, N, 2), da = prefilled(N), db = prefilled(N);
        a.geluGatedBackward(Parallel.serial(), x, 0, b, 0, probe, 0, da, 0, db, 0, N);
        Consumer<float[]> gated = out -> a.geluGated(Parallel.serial(), x, 0, b, 0, out, 0, N);
        check(name + " geluGated da", x, da, loss(N, probe, gated));
        check(name + " geluGated db", b, db, loss(N, probe, gated));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("impls")
    void softmax(String name, PointwiseKernels k) {
        float[] x = rnd(15, N, 3), probe = rnd(16, N, 1), y = new float[N];
        Consumer<float[]> fwd = out -> k.softmax().forward(Parallel.serial(), x, 0, out, 0, ROWS, DIM);
        fwd.accept(y);
        float[] dx = prefilled(N);
        k.softmax().backward(Parallel.serial(), y, 0, probe, 0, dx, 0, ROWS, DIM);
        check(name + " softmax dx", x, dx, loss(N, probe, fwd));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("impls")
    void adaLnModulate(String name, PointwiseKernels k) {
        // modulation laid out [frames, 2, dim]: shift at chunk 0, scale at chunk 1 (stride 2*dim)
        int stride = 2 * DIM;
        float[] x = rnd(17, N, 2), e = rnd(18, FRAMES * stride, 0.5), probe = rnd(19, N, 1);
        Consumer<float[]> fwd = out -> k.adaLn().modulate(Parallel.serial(), x, 0, out, 0, FRAMES, TPF, DIM,
                e, 0, e, DIM, stride);
        float[] dx = prefilled(N), de = prefilled(FRAMES * stride);
        k.adaLn().modulateBackward(Parallel.serial(), x, 0, probe, 0, dx, 0, FRAMES, TPF, DIM, e, DIM, stride,
                de, 0, de, DIM);
        check(name + " modulate dx", x, dx, loss(N, probe, fwd));
        check(name + " modulate dshift,dscale", e, de, loss(N, probe, fwd));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("impls")
    void adaLnGatedResidual(String name, PointwiseKernels k) {
        int stride = 3 * DIM, gateOff = 2 * DIM;
        float[] x = rnd(20, N, 2), y = rnd(21, N, 2), e = rnd(22, FRAMES * stride, 0.5), probe = rnd(23, N, 1);
        Consumer<float[]> fwd = out -> {
            System.arraycopy(x, 0, out, 0, N);
            k.adaLn().gatedResidual(Parallel.serial(), out, 0, y, 0, FRAMES, TPF, DIM, e, gateOff, stride);
        };
        float[] dy = prefilled(N), de = prefilled(FRAMES * stride);
        k.adaLn().gatedResidualBackward(Parallel.serial(), y, 0, probe, 0, dy, 0, FRAMES, TPF, DIM, e, gateOff, stride,
                de, gateOff);
        check(name + " gatedResidual dy", y, dy, loss(N, probe, fwd));
        check(name + " gatedResidual dgate", e, de, loss(N, probe, fwd));
        // the residual input passes through: dL/dx = dOut
        float[] passThrough = probe.clone();
        for (int i = 0; i < N; i++) passThrough[i] += PREFILL;
        check(name + " gatedResidual dx (pass-through)", x, passThrough, loss(N, probe, fwd));
    }
}
