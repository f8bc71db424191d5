package longlive.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import longlive.tensor.ShapeException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every Vector API pointwise kernel against its scalar twin, on awkward shapes (dims not a multiple of the
 * vector width, one row, dim 1), serial and on several threads. Every array sits at a non-zero offset, and
 * gradient buffers start non-zero so that a kernel which overwrites instead of accumulating fails.
 */
class PointwiseKernelsTest {
    private static final int OFF = 5;
    private static final Parallel THREADS = new Parallel(3);

    @AfterAll
    static void closePool() {
        THREADS.close();
    }

    /** Random operands for one shape, each at offset {@link #OFF}; the same seed gives the same data. */
    record Inputs(int rows, int dim, long seed) {
        float[] rnd(String name, int n, double scale) {
            SplittableRandom r = new SplittableRandom(seed * 31 + name.hashCode());
            float[] a = new float[n + OFF + 3];
            for (int i = 0; i < a.length; i++) a[i] = (float) ((r.nextDouble() * 2 - 1) * scale);
            return a;
        }

        float[] rnd(String name, int n) {
            return rnd(name, n, 2.0);
        }

        int n() {
            return rows * dim;
        }

        /** Frames for the adaLN ops: rows split into 3, 2 or 1 equal frames. */
        int frames() {
            return rows % 3 == 0 ? 3 : rows % 2 == 0 ? 2 : 1;
        }
    }

    /** One operation: runs it with the given kernels and returns every output (forward results and gradients). */
    @FunctionalInterface
    interface Op {
        List<float[]> run(PointwiseKernels k, Parallel p, Inputs in);
    }

    static final Map<String, Op> OPS = new LinkedHashMap<>();

    static {
        OPS.put("layerNorm affine", (k, p, in) -> {
            int r = in.rows(), d = in.dim();
            float[] x = in.rnd("x", in.n()), y = in.rnd("y", in.n()), mean = in.rnd("m", r), rstd = in.rnd("s", r);
            k.layerNorm().forward(p, x, OFF, y, OFF, r, d, in.rnd("w", d), in.rnd("b", d), 1e-6f, mean, rstd, OFF);
            return List.of(y, mean, rstd);
        });
        OPS.put("layerNorm plain in place", (k, p, in) -> {
            float[] x = in.rnd("x", in.n());
            k.layerNorm().forward(p, x, OFF, x, OFF, in.rows(), in.dim(), null, null, 1e-6f, null, null, 0);
            return List.of(x);
        });
        OPS.put("layerNormBackward affine", (k, p, in) -> layerNormBackward(k, p, in, true));
        OPS.put("layerNormBackward plain", (k, p, in) -> layerNormBackward(k, p, in, false));
        OPS.put("rmsNorm", (k, p, in) -> {
            int r = in.rows(), d = in.dim();
            float[] x = in.rnd("x", in.n()), y = in.rnd("y", in.n()), rstd = in.rnd("s", r);
            k.rmsNorm().forward(p, x, OFF, y, OFF, r, d, in.rnd("w", d), 1e-6f, rstd, OFF);
            return List.of(y, rstd);
        });
        OPS.put("rmsNorm no weight in place", (k, p, in) -> {
            float[] x = in.rnd("x", in.n());
            k.rmsNorm().forward(p, x, OFF, x, OFF, in.rows(), in.dim(), null, 1e-6f, null, 0);
            return List.of(x);
        });
        OPS.put("rmsNormBackward", (k, p, in) -> {
            int r = in.rows(), d = in.dim();
            float[] x = in.rnd("x", in.n()), w = in.rnd("w", d), rstd = new float[r + OFF];
            k.rmsNorm().forward(Parallel.serial(), x, OFF, in.rnd("y", in.n()), OFF, r, d, w, 1e-6f, rstd, OFF);
            float[] dx = in.rnd("dx", in.n()), dw = in.rnd("dw", d);
            k.rmsNorm().backward(p, x, OFF, in.rnd("dy", in.n()), OFF, dx, OFF, r, d, w, rstd, OFF, dw);
            return List.of(dx, dw);
        });
        OPS.put("channelRmsNorm (rows = channels)", (k, p, in) -> {
            float[] y = in.rnd("y", in.n());
            k.channelRmsNorm().forward(p, in.rnd("x", in.n()), OFF, y, OFF, in.rows(), in.dim(), in.rnd("g", in.rows()),
                    in.rnd("b", in.rows()));
            return List.of(y);
        });
        OPS.put("softmax", (k, p, in) -> {
            float[] x = in.rnd("x", in.n(), 8), y = in.rnd("y", in.n());
            k.softmax().forward(p, x, OFF, y, OFF, in.rows(), in.dim());
            return List.of(y);
        });
        OPS.put("softmaxBackward", (k, p, in) -> {
            float[] y = in.rnd("x", in.n(), 8);
            Softmax.scalar().forward(Parallel.serial(), y, OFF, y, OFF, in.rows(), in.dim());
            float[] dx = in.rnd("dx", in.n());
            k.softmax().backward(p, y, OFF, in.rnd("dy", in.n()), OFF, dx, OFF, in.rows(), in.dim());
            return List.of(dx);
        });
        OPS.put("gelu", (k, p, in) -> {
            float[] x = in.rnd("x", in.n(), 6), y = in.rnd("y", in.n());
            k.activations().gelu(p, x, OFF, y, OFF, in.n());
            return List.of(y);
        });
        OPS.put("geluBackward", (k, p, in) -> {
            float[] dx = in.rnd("dx", in.n());
            k.activations().geluBackward(p, in.rnd("x", in.n(), 6), OFF, in.rnd("dy", in.n()), OFF, dx, OFF, in.n());
            return List.of(dx);
        });
        OPS.put("silu", (k, p, in) -> {
            float[] x = in.rnd("x", in.n(), 12), y = in.rnd("y", in.n());
            k.activations().silu(p, x, OFF, y, OFF, in.n());
            return List.of(y);
        });
        OPS.put("siluBackward", (k, p, in) -> {
            float[] dx = in.rnd("dx", in.n());
            k.activations().siluBackward(p, in.rnd("x", in.n(), 12), OFF, in.rnd("dy", in.n()), OFF, dx, OFF, in.n());
            return List.of(dx);
        });
        OPS.put("geluGated", (k, p, in) -> {
            float[] y = in.rnd("y", in.n());
            k.activations().geluGated(p, in.rnd("a", in.n(), 6), OFF, in.rnd("b", in.n()), OFF, y, OFF, in.n());
            return List.of(y);
        });
        OPS.put("geluGatedBackward", (k, p, in) -> {
            float[] da = in.rnd("da", in.n()), db = in.rnd("db", in.n());
            k.activations().geluGatedBackward(p, in.rnd("a", in.n(), 6), OFF, in.rnd("b", in.n()), OFF,
                    in.rnd("dy", in.n()), OFF, da, OFF, db, OFF, in.n());
            return List.of(da, db);
        });
        OPS.put("adaLnModulate", (k, p, in) -> {
            int f = in.frames(), d = in.dim();
            float[] e = in.rnd("e", 3 * f * d, 0.5), y = in.rnd("y", in.n());
            // e laid out [frames, 3, dim] like Wan's e0 chunks: shift at chunk 0, scale at chunk 1
            k.adaLn().modulate(p, in.rnd("x", in.n()), OFF, y, OFF, f, in.rows() / f, d, e, OFF, e, OFF + d, 3 * d);
            return List.of(y);
        });
        OPS.put("adaLnModulateBackward", (k, p, in) -> {
            int f = in.frames(), d = in.dim();
            float[] e = in.rnd("e", 3 * f * d, 0.5), de = in.rnd("de", 3 * f * d), dx = in.rnd("dx", in.n());
            k.adaLn().modulateBackward(p, in.rnd("x", in.n()), OFF, in.rnd("dy", in.n()), OFF, dx, OFF, f,
                    in.rows() / f, d, e, OFF + d, 3 * d, de, OFF, de, OFF + d);
            return List.of(dx, de);
        });
        OPS.put("adaLnGatedResidual", (k, p, in) -> {
            int f = in.frames(), d = in.dim();
            float[] x = in.rnd("x", in.n());
            k.adaLn().gatedResidual(p, x, OFF, in.rnd("y", in.n()), OFF, f, in.rows() / f, d,
                    in.rnd("e", 3 * f * d, 0.5), OFF + 2 * d, 3 * d);
            return List.of(x);
        });
        OPS.put("adaLnGatedResidualBackward", (k, p, in) -> {
            int f = in.frames(), d = in.dim();
            float[] dy = in.rnd("dy", in.n()), de = in.rnd("de", 3 * f * d);
            k.adaLn().gatedResidualBackward(p, in.rnd("y", in.n()), OFF, in.rnd("dOut", in.n()), OFF, dy, OFF, f,
                    in.rows() / f, d, in.rnd("e", 3 * f * d, 0.5), OFF + 2 * d, 3 * d, de, OFF + 2 * d);
            return List.of(dy, de);
        });
        OPS.put("add", (k, p, in) -> {
            float[] out = in.rnd("o", in.n());
            k.elementwise().add(p, in.rnd("a", in.n()), OFF, in.rnd("b", in.n()), OFF, out, OFF, in.n());
            return List.of(out);
        });
        OPS.put("mul", (k, p, in) -> {
            float[] out = in.rnd("o", in.n());
            k.elementwise().mul(p, in.rnd("a", in.n()), OFF, in.rnd("b", in.n()), OFF, out, OFF, in.n());
            return List.of(out);
        });
        OPS.put("axpy and accumulate", (k, p, in) -> {
            float[] y = in.rnd("y", in.n());
            k.elementwise().axpy(p, -0.75f, in.rnd("x", in.n()), OFF, y, OFF, in.n());
            k.elementwise().accumulate(p, in.rnd("z", in.n()), OFF, y, OFF, in.n());
            return List.of(y);
        });
        OPS.put("scale in place", (k, p, in) -> {
            float[] x = in.rnd("x", in.n());
            k.elementwise().scale(p, 1.5f, x, OFF, x, OFF, in.n());
            return List.of(x);
        });
        OPS.put("addRowVector", (k, p, in) -> {
            float[] x = in.rnd("x", in.n());
            k.elementwise().addRowVector(p, x, OFF, in.rows(), in.dim(), in.rnd("v", in.dim()), OFF);
            return List.of(x);
        });
        OPS.put("sumOfSquares", (k, p, in) ->
                List.of(new float[] {(float) k.elementwise().sumOfSquares(p, in.rnd("x", in.n()), OFF, in.n())}));
    }

    private static List<float[]> layerNormBackward(PointwiseKernels k, Parallel p, Inputs in, boolean affine) {
        int r = in.rows(), d = in.dim();
        float[] x = in.rnd("x", in.n()), w = affine ? in.rnd("w", d) : null;
        float[] mean = new float[r + OFF], rstd = new float[r + OFF];
        k.layerNorm().forward(Parallel.serial(), x, OFF, in.rnd("y", in.n()), OFF, r, d, w, null, 1e-6f, mean, rstd, OFF);
        float[] dx = in.rnd("dx", in.n()), dw = affine ? in.rnd("dw", d) : null, db = in.rnd("db", d);
        k.layerNorm().backward(p, x, OFF, in.rnd("dy", in.n()), OFF, dx, OFF, r, d, w, mean, rstd, OFF, dw, db);
        List<float[]> out = new ArrayList<>(List.of(dx, db));
        if (affine) out.add(dw);
        return out;
    }

    /** (rows, dim) pairs: one row, dim 1, odd dims, exact vector multiples, and shapes large enough to split. */
    private static final int[][] SHAPES = {
            {1, 1}, {1, 7}, {4, 1}, {3, 17}, {2, 16}, {6, 33}, {5, 64}, {9, 100}, {12, 1536}, {700, 67}, {48, 1539},
    };

    static Stream<Arguments> cases() {
        List<Arguments> all = new ArrayList<>();
        for (String op : OPS.keySet())
            for (int[] s : SHAPES)
                for (int threads : new int[] {1, 3}) all.add(Arguments.of(op, s[0], s[1], threads));
        return all.stream();
    }

    @ParameterizedTest(name = "{0} [{1} x {2}] threads={3}")
    @MethodSource("cases")
    void vectorMatchesScalar(String opName, int rows, int dim, int threads) {
        Op op = OPS.get(opName);
        Inputs in = new Inputs(rows, dim, 1000L * rows + dim);
        Parallel par = threads == 1 ? Parallel.serial() : THREADS;
        List<float[]> expected = op.run(PointwiseKernels.scalar(), Parallel.serial(), in);
        List<float[]> actual = op.run(PointwiseKernels.vector(), par, in);
        assertEquals(expected.size(), actual.size());
        for (int i = 0; i < expected.size(); i++)
            assertClose(opName + " output " + i, expected.get(i), actual.get(i), tolerance(opName, rows));
        // The scalar reference is plain Java arithmetic: splitting over threads must not change one bit (rows and
        // gradient columns are each owned by one task). The Vector version is only compared within tolerance:
        // reduceLanes order and EXP/TANH differ between JIT-compiled intrinsics and the interpreter fallback.
        if (threads > 1) {
            List<float[]> scalarThreaded = op.run(PointwiseKernels.scalar(), par, in);
            for (int i = 0; i < expected.size(); i++)
                assertArrayEquals(expected.get(i), scalarThreaded.get(i), opName + " scalar output " + i);
        }
    }

    static Stream<Arguments> ropeCases() {
        // headDim, heads, frames, gridH, gridW, startFrame: Wan's 128, a tail-only head (12), a vector-plus-tail
        // head (36), one token, and a grid big enough to be split over threads
        int[][] c = {{128, 2, 2, 3, 4, 0}, {12, 3, 2, 2, 3, 9}, {36, 2, 1, 1, 1, 1023}, {2, 1, 3, 1, 2, 4},
                {128, 12, 1, 10, 13, 200}, {64, 3, 3, 7, 5, 17}};
        List<Arguments> all = new ArrayList<>();
        for (int[] k : c)
            for (int threads : new int[] {1, 3}) all.add(Arguments.of(k[0], k[1], k[2], k[3], k[4], k[5], threads));
        return all.stream();
    }

    @ParameterizedTest(name = "rope headDim {0} heads {1} grid {2}x{3}x{4} start {5} threads={6}")
    @MethodSource("ropeCases")
    void ropeVectorMatchesScalar(int headDim, int heads, int frames, int gh, int gw, int start, int threads) {
        RopeTable table = RopeTable.wan(headDim);
        Parallel par = threads == 1 ? Parallel.serial() : THREADS;
        int tokens = frames * gh * gw;
        Inputs in = new Inputs(tokens, heads * headDim, headDim + 7L * start);
        float[] x = in.rnd("x", in.n()), ys = in.rnd("y", in.n()), yv = ys.clone();
        Rope3d.scalar().forward(Parallel.serial(), table, x, OFF, ys, OFF, heads, frames, gh, gw, start);
        Rope3d.vector().forward(par, table, x, OFF, yv, OFF, heads, frames, gh, gw, start);
        assertClose("rope forward", ys, yv, 2e-6);
        float[] dy = in.rnd("dy", in.n()), dxs = in.rnd("dx", in.n()), dxv = dxs.clone();
        Rope3d.scalar().backward(Parallel.serial(), table, dy, OFF, dxs, OFF, heads, frames, gh, gw, start);
        Rope3d.vector().backward(par, table, dy, OFF, dxv, OFF, heads, frames, gh, gw, start);
        assertClose("rope backward", dxs, dxv, 2e-6);
    }

    /** Bad shapes throw a ShapeException that names the op, the operand and its shape, for both implementations. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("impls")
    void shapeErrorsNameOpAndShape(String name, PointwiseKernels k) {
        Parallel p = Parallel.serial();
        float[] small = new float[10], big = new float[100];
        assertShapeError("layerNorm: y [4, 5]", () -> k.layerNorm().forward(p, big, 0, small, 0, 4, 5, null, null, 1e-6f,
                null, null, 0));
        assertShapeError("layerNorm: weight [5]", () -> k.layerNorm().forward(p, big, 0, big, 0, 4, 5, new float[4], null,
                1e-6f, null, null, 0));
        assertShapeError("layerNormBackward: rstd [4]", () -> k.layerNorm().backward(p, big, 0, big, 0, big, 0, 4, 5, null,
                big, new float[3], 0, null, null));
        assertShapeError("rmsNorm: x [3, 5]", () -> k.rmsNorm().forward(p, small, 0, big, 0, 3, 5, null, 1e-6f, null, 0));
        assertShapeError("rmsNorm: x [2, 0]", () -> k.rmsNorm().forward(p, small, 0, big, 0, 2, 0, null, 1e-6f, null, 0));
        assertShapeError("rmsNormBackward: dweight [5]", () -> k.rmsNorm().backward(p, big, 0, big, 0, null, 0, 4, 5, null,
                big, 0, new float[4]));
        assertShapeError("softmax: y [2, 10] needs 20 floats from offset 0",
                () -> k.softmax().forward(p, big, 0, small, 0, 2, 10));
        assertShapeError("gelu: y [11] needs 11 floats from offset 0", () -> k.activations().gelu(p, big, 0, small, 0, 11));
        assertShapeError("geluGatedBackward: db [10] needs 10 floats from offset 1",
                () -> k.activations().geluGatedBackward(p, big, 0, big, 0, big, 0, null, 0, small, 1, 10));
        assertShapeError("adaLnModulate: scale [2, 5]", () -> k.adaLn().modulate(p, big, 0, big, 0, 2, 3, 5, big, 0,
                new float[9], 0, 5));
        assertShapeError("adaLnModulate: shift row stride 4 is smaller than dim 5", () -> k.adaLn().modulate(p, big, 0, big,
                0, 2, 3, 5, big, 0, big, 0, 4));
        assertShapeError("adaLnGatedResidualBackward: dgate [3, 5]", () -> k.adaLn().gatedResidualBackward(p, big, 0, big,
                0, big, 0, 3, 2, 5, big, 0, 5, small, 0));
        assertShapeError("rope3d: x [12, 24]", () -> k.rope().forward(p, RopeTable.wan(12), big, 0, new float[300], 0, 2,
                2, 2, 3, 0));
        assertShapeError("axpy: y [11] needs 11 floats from offset -1",
                () -> k.elementwise().axpy(p, 1f, big, 0, big, -1, 11));
        assertShapeError("addRowVector: v [10] needs 10 floats from offset 5", () -> k.elementwise().addRowVector(p, big,
                0, 3, 10, small, 5));
    }

    /** Wan VAE RMS_norm: x / max(||x[:, n]||, 1e-12) * sqrt(C) * gamma + bias; an all-zero position gives bias. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("impls")
    void channelRmsNormFollowsTheFormula(String name, PointwiseKernels k) {
        int channels = 5, positions = 19;
        Inputs in = new Inputs(channels, positions, 3);
        float[] x = in.rnd("x", channels * positions), gamma = in.rnd("g", channels), bias = in.rnd("b", channels);
        for (int c = 0; c < channels; c++) x[OFF + c * positions + 7] = 0; // position 7 is all zeros
        float[] y = new float[x.length];
        k.channelRmsNorm().forward(Parallel.serial(), x, OFF, y, OFF, channels, positions, gamma, bias);
        for (int p = 0; p < positions; p++) {
            double ss = 0;
            for (int c = 0; c < channels; c++) ss += Math.pow(x[OFF + c * positions + p], 2);
            double norm = Math.max(Math.sqrt(ss), 1e-12);
            for (int c = 0; c < channels; c++) {
                double expected = x[OFF + c * positions + p] / norm * Math.sqrt(channels) * gamma[c] + bias[c];
                assertEquals(expected, y[OFF + c * positions + p], 1e-5, "channel " + c + " position " + p);
            }
        }
    }

    static Stream<Arguments> impls() {
        return Stream.of(Arguments.of("scalar", PointwiseKernels.scalar()),
                Arguments.of("vector", PointwiseKernels.vector()));
    }

    private static void assertShapeError(String expectedStart, Runnable call) {
        ShapeException e = assertThrows(ShapeException.class, call::run);
        assertTrue(e.getMessage().startsWith(expectedStart), "message was: " + e.getMessage());
    }

    /** Float32 lanes vs double accumulators: reductions over many rows (parameter gradients) get more slack. */
    private static double tolerance(String op, int rows) {
        if (op.equals("sumOfSquares")) return 1e-5;
        if (op.contains("Backward") && rows > 100) return 1e-4;
        return 2e-5;
    }

    /** Element-wise |expected - actual| <= tol * max(1, |expected|), reporting the worst element. */
    static void assertClose(String what, float[] expected, float[] actual, double tol) {
        assertEquals(expected.length, actual.length, what + ": length");
        double worst = 0;
        int at = -1;
        for (int i = 0; i < expected.length; i++) {
            if (Float.isNaN(actual[i]) != Float.isNaN(expected[i])) fail(what + ": NaN mismatch at " + i);
            double err = Math.abs(expected[i] - actual[i]) / Math.max(1, Math.abs(expected[i]));
            if (err > worst) {
                worst = err;
                at = i;
            }
        }
        if (worst > tol)
            fail(String.format("%s: element %d expected %.8g but got %.8g (rel err %.3g > %.3g)",
                    what, at, expected[at], actual[at], worst, tol));
    }
}
