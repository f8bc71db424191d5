package longlive.vae;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import java.util.function.Function;
import java.util.stream.Stream;
import longlive.kernel.Parallel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The training convolution: forward equal to the inference {@link CausalConv3d} (zero history), and the backward
 * (dX, dW, db) against finite differences, for every geometry the VAE uses, on 3 workers (private accumulators
 * summed) and awkward sizes.
 */
class TrainConvTest {
    private static final Parallel PAR = new Parallel(3);

    @AfterAll
    static void close() {
        PAR.close();
    }

    record Geometry(String name, int cout, int cin, int kt, int kh, int kw, Function<VaeWeights.Conv, TrainConv> train,
                    Function<VaeWeights.Conv, CausalConv3d> infer, int frames) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Geometry> geometries() {
        return Stream.of(
                new Geometry("causal 3x3x3", 5, 3, 3, 3, 3, TrainConv::causal, CausalConv3d::causal, 4),
                new Geometry("pointwise", 4, 6, 1, 1, 1, TrainConv::causal, CausalConv3d::causal, 3),
                new Geometry("upsample spatial", 3, 4, 1, 3, 3, TrainConv::upsampleSpatial, CausalConv3d::upsampleSpatial, 2),
                new Geometry("downsample spatial", 4, 4, 1, 3, 3, TrainConv::downsampleSpatial, CausalConv3d::downsampleSpatial, 2),
                new Geometry("upsample time", 6, 3, 3, 1, 1, TrainConv::upsampleTime, CausalConv3d::upsampleTime, 3),
                new Geometry("downsample time", 3, 3, 3, 1, 1, TrainConv::downsampleTime, CausalConv3d::downsampleTime, 5));
    }

    private static VaeWeights.Conv conv(Geometry g, Random r) {
        VaeWeights.Conv c = VaeWeights.Conv.zeros(g.cout, g.cin, g.kt, g.kh, g.kw);
        float[] w = GradCheck.random(r, c.weight().length, 1.0 / Math.sqrt(c.depth()));
        System.arraycopy(w, 0, c.weight(), 0, w.length);
        float[] b = GradCheck.random(r, g.cout, 0.1);
        System.arraycopy(b, 0, c.bias(), 0, b.length);
        return c;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("geometries")
    void forwardEqualsInferenceConv(Geometry g) {
        Random r = new Random(1);
        VaeWeights.Conv c = conv(g, r);
        int h = 7, w = 5;
        VaeKernels k = VaeKernels.scalar(PAR);
        TrainConv t = g.train.apply(c);
        CausalConv3d inf = g.infer.apply(c);
        float[] x = GradCheck.random(r, g.frames * h * w * g.cin, 1);
        int n = t.outFrames(g.frames) * t.outHeight(h) * t.outWidth(w) * t.outChannels();
        float[] a = new float[n + 3], b = new float[n];
        int frames = t.forward(k, new ConvScratch(), pad(x, 2), 2, g.frames, h, w, a, 3, false);
        assertEquals(inf.outFrames(0, g.frames), frames);
        inf.forward(k, new ConvScratch(), null, 0, x, g.frames, h, w, b);
        float[] a0 = java.util.Arrays.copyOfRange(a, 3, n + 3);
        assertArrayEquals(b, a0, 1e-5f, g.name);
    }

    private static float[] pad(float[] x, int off) {
        float[] y = new float[x.length + off];
        System.arraycopy(x, 0, y, off, x.length);
        return y;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("geometries")
    void backwardMatchesFiniteDifferences(Geometry g) {
        Random r = new Random(2);
        VaeWeights.Conv c = conv(g, r);
        int h = 7, w = 5;
        for (VaeKernels k : new VaeKernels[] {VaeKernels.scalar(PAR), VaeKernels.fast(PAR)}) {
            TrainConv t = g.train.apply(c);
            float[] x = GradCheck.random(r, g.frames * h * w * g.cin, 1);
            int n = t.outFrames(g.frames) * t.outHeight(h) * t.outWidth(w) * t.outChannels();
            float[] y = new float[n], proj = GradCheck.random(r, n, 1);
            ConvScratch cs = new ConvScratch();
            java.util.function.DoubleSupplier loss = () -> {
                t.forward(k, cs, x, 0, g.frames, h, w, y, 0, false);
                return GradCheck.dot(y, proj, n);
            };
            VaeWeights.Conv grad = VaeWeights.Conv.zeros(g.cout, g.cin, g.kt, g.kh, g.kw);
            float[] dx = new float[x.length + 1];
            // pre-filled gradients: backward must ADD to them
            java.util.Arrays.fill(dx, 0.5f);
            java.util.Arrays.fill(grad.weight(), 0.25f);
            t.backward(k, new TrainScratch(), x, 0, g.frames, h, w, proj, 0, dx, 1, grad);
            for (int i = 1; i < dx.length; i++) dx[i - 1] = dx[i] - 0.5f;
            for (int i = 0; i < grad.weight().length; i++) grad.weight()[i] -= 0.25f;
            Random s = new Random(3);
            GradCheck.check(g + " dx", loss, x, dx, x.length, 40, 1e-2, 1e-2, s);
            GradCheck.check(g + " dW", loss, c.weight(), grad.weight(), c.weight().length, 40, 1e-2, 1e-2, s);
            GradCheck.check(g + " db", loss, c.bias(), grad.bias(), c.bias().length, 40, 1e-2, 1e-2, s);
        }
    }
}
