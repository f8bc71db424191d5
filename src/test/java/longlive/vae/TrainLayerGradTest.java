package longlive.vae;

import java.util.Random;
import java.util.function.DoubleSupplier;
import java.util.stream.Stream;
import longlive.kernel.Parallel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Finite-difference checks of each training layer's backward, per layer type: residual block with and without
 * the 1x1 shortcut, attention block, and the four resample modes (incl. the time convs, 'Rep' first frame and
 * the pass-through frame), for the input and every parameter tensor, on the scalar and the fast kernels.
 */
class TrainLayerGradTest {
    private static final Parallel PAR = new Parallel(3);

    @AfterAll
    static void close() {
        PAR.close();
    }

    record Case(String name, VaeWeights.Layer layer, FrameShape in) {
        @Override
        public String toString() {
            return name;
        }
    }

    private static VaeWeights.Conv conv(Random r, int out, int in, int kt, int kh, int kw) {
        VaeWeights.Conv c = VaeWeights.Conv.zeros(out, in, kt, kh, kw);
        fill(r, c.weight(), 1.0 / Math.sqrt(c.depth()), 0);
        fill(r, c.bias(), 0.1, 0);
        return c;
    }

    private static float[] gamma(Random r, int c) {
        float[] g = new float[c];
        fill(r, g, 0.2, 1);
        return g;
    }

    private static void fill(Random r, float[] a, double sd, double mean) {
        for (int i = 0; i < a.length; i++) a[i] = (float) (mean + sd * r.nextGaussian());
    }

    static Stream<Case> cases() {
        Random r = new Random(21);
        return Stream.of(
                new Case("residual", new VaeWeights.ResBlock(gamma(r, 4), conv(r, 4, 4, 3, 3, 3), gamma(r, 4),
                        conv(r, 4, 4, 3, 3, 3), null), new FrameShape(3, 5, 4, 4)),
                new Case("residual + shortcut", new VaeWeights.ResBlock(gamma(r, 3), conv(r, 5, 3, 3, 3, 3), gamma(r, 5),
                        conv(r, 5, 5, 3, 3, 3), conv(r, 5, 3, 1, 1, 1)), new FrameShape(3, 4, 5, 3)),
                new Case("attention", new VaeWeights.Attn(gamma(r, 6), conv(r, 18, 6, 1, 1, 1), conv(r, 6, 6, 1, 1, 1)),
                        new FrameShape(2, 3, 4, 6)),
                new Case("upsample2d", new VaeWeights.Resample(ResampleMode.UPSAMPLE_2D, conv(r, 2, 4, 1, 3, 3), null),
                        new FrameShape(2, 3, 4, 4)),
                new Case("upsample3d", new VaeWeights.Resample(ResampleMode.UPSAMPLE_3D, conv(r, 2, 4, 1, 3, 3),
                        conv(r, 8, 4, 3, 1, 1)), new FrameShape(3, 3, 2, 4)),
                new Case("downsample2d", new VaeWeights.Resample(ResampleMode.DOWNSAMPLE_2D, conv(r, 3, 3, 1, 3, 3), null),
                        new FrameShape(2, 6, 5, 3)),
                new Case("downsample3d", new VaeWeights.Resample(ResampleMode.DOWNSAMPLE_3D, conv(r, 3, 3, 1, 3, 3),
                        conv(r, 3, 3, 3, 1, 1)), new FrameShape(5, 4, 6, 3)));
    }

    private static TrainLayer build(Case c) {
        return switch (c.layer) {
            case VaeWeights.ResBlock b -> new ResidualTrain(b, c.in);
            case VaeWeights.Attn a -> new AttentionTrain(a, c.in);
            case VaeWeights.Resample s -> new ResampleTrain(s, c.in);
        };
    }

    /** A zero gradient twin of {@code l}. */
    private static VaeWeights.Layer zerosLike(VaeWeights.Layer l) {
        return switch (l) {
            case VaeWeights.ResBlock b -> new VaeWeights.ResBlock(new float[b.norm1().length], zeros(b.conv1()),
                    new float[b.norm2().length], zeros(b.conv2()), b.shortcut() == null ? null : zeros(b.shortcut()));
            case VaeWeights.Attn a -> new VaeWeights.Attn(new float[a.norm().length], zeros(a.toQkv()), zeros(a.proj()));
            case VaeWeights.Resample s -> new VaeWeights.Resample(s.mode(), zeros(s.conv()),
                    s.timeConv() == null ? null : zeros(s.timeConv()));
        };
    }

    private static VaeWeights.Conv zeros(VaeWeights.Conv c) {
        return VaeWeights.Conv.zeros(c.out(), c.in(), c.kt(), c.kh(), c.kw());
    }

    /** Parameter arrays of a layer, in a fixed order. */
    private static float[][] arrays(VaeWeights.Layer l) {
        return switch (l) {
            case VaeWeights.ResBlock b -> b.shortcut() == null
                    ? new float[][] {b.norm1(), b.conv1().weight(), b.conv1().bias(), b.norm2(), b.conv2().weight(), b.conv2().bias()}
                    : new float[][] {b.norm1(), b.conv1().weight(), b.conv1().bias(), b.norm2(), b.conv2().weight(),
                            b.conv2().bias(), b.shortcut().weight(), b.shortcut().bias()};
            case VaeWeights.Attn a -> new float[][] {a.norm(), a.toQkv().weight(), a.toQkv().bias(), a.proj().weight(),
                    a.proj().bias()};
            case VaeWeights.Resample s -> s.timeConv() == null ? new float[][] {s.conv().weight(), s.conv().bias()}
                    : new float[][] {s.conv().weight(), s.conv().bias(), s.timeConv().weight(), s.timeConv().bias()};
        };
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void backwardMatchesFiniteDifferences(Case c) {
        for (VaeKernels k : new VaeKernels[] {VaeKernels.scalar(PAR), VaeKernels.fast(PAR)}) {
            Random r = new Random(22);
            TrainLayer l = build(c);
            TrainScratch s = new TrainScratch();
            float[] x = GradCheck.random(r, (int) c.in.size(), 1);
            int n = (int) l.outShape().size();
            float[] proj = GradCheck.random(r, n, 1);
            DoubleSupplier loss = () -> {
                l.forward(k, s, x);
                return GradCheck.dot(l.output(), proj, n);
            };
            loss.getAsDouble();
            VaeWeights.Layer g = zerosLike(c.layer);
            float[] dx = new float[x.length];
            float[] ga = new float[(int) l.scratchFloats()], gb = new float[ga.length];
            l.backward(k, s, x, proj, dx, g, ga, gb);
            Random pick = new Random(23);
            GradCheck.check(c + " dx", loss, x, dx, x.length, 30, 1e-2, 2e-2, pick);
            float[][] ws = arrays(c.layer), gs = arrays(g);
            for (int i = 0; i < ws.length; i++)
                GradCheck.check(c + " param " + i, loss, ws[i], gs[i], ws[i].length, 15, 1e-2, 2e-2, pick);
        }
    }
}
