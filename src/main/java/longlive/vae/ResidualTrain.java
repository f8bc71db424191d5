package longlive.vae;

import java.util.Arrays;

/**
 * {@link ResidualBlock} in training form: {@code y = shortcut(x) + conv2(silu(norm2(conv1(silu(norm1(x))))))}.
 * Tape: both norms' outputs and inverse RMS, both SiLU outputs (the convs' inputs), conv1's output, the block output.
 */
final class ResidualTrain implements TrainLayer {
    private final VaeWeights.ResBlock w;
    private final TrainConv conv1, conv2, shortcut;
    private final FrameShape in, out;
    private final int rows;
    private final float[] n1, a1, h1, n2, a2, y, rstd1, rstd2;

    ResidualTrain(VaeWeights.ResBlock w, FrameShape in) {
        this.w = w;
        this.conv1 = TrainConv.causal(w.conv1());
        this.conv2 = TrainConv.causal(w.conv2());
        this.shortcut = w.shortcut() == null ? null : TrainConv.causal(w.shortcut());
        this.in = in;
        this.out = in.withChannels(w.out());
        this.rows = in.positions();
        n1 = new float[(int) in.size()];
        a1 = new float[n1.length];
        h1 = new float[(int) out.size()];
        n2 = new float[h1.length];
        a2 = new float[h1.length];
        y = new float[h1.length];
        rstd1 = new float[rows];
        rstd2 = new float[rows];
    }

    @Override
    public FrameShape inShape() {
        return in;
    }

    @Override
    public FrameShape outShape() {
        return out;
    }

    @Override
    public float[] output() {
        return y;
    }

    @Override
    public long scratchFloats() {
        return Math.max(in.size(), out.size());
    }

    @Override
    public void forward(VaeKernels k, TrainScratch s, float[] x) {
        int t = in.frames(), h = in.height(), wd = in.width(), cin = w.in(), cout = w.out();
        k.rmsNorm().forward(k.parallel(), x, 0, n1, 0, rows, cin, w.norm1(), TrainLayer.eps(cin), rstd1, 0); // residual.0
        k.activations().silu(k.parallel(), n1, 0, a1, 0, rows * cin);                                     // residual.1
        conv1.forward(k, s.forward, a1, 0, t, h, wd, h1, 0, false);                                              // residual.2
        k.rmsNorm().forward(k.parallel(), h1, 0, n2, 0, rows, cout, w.norm2(), TrainLayer.eps(cout), rstd2, 0); // .3
        k.activations().silu(k.parallel(), n2, 0, a2, 0, rows * cout);                                    // residual.4
        if (shortcut == null) System.arraycopy(x, 0, y, 0, rows * cout);                             // identity
        else shortcut.forward(k, s.forward, x, 0, t, h, wd, y, 0, false);                           // shortcut
        conv2.forward(k, s.forward, a2, 0, t, h, wd, y, 0, true);                                  // residual.6 (+)
    }

    @Override
    public void backward(VaeKernels k, TrainScratch s, float[] x, float[] dy, float[] dx, VaeWeights.Layer grad,
                         float[] ga, float[] gb) {
        VaeWeights.ResBlock g = (VaeWeights.ResBlock) grad;
        int t = in.frames(), h = in.height(), wd = in.width(), cin = w.in(), cout = w.out();
        int nIn = rows * cin, nOut = rows * cout;
        if (shortcut != null) shortcut.backward(k, s, x, 0, t, h, wd, dy, 0, dx, 0, g.shortcut());    // skip path
        else if (dx != null) k.elementwise().accumulate(k.parallel(), dy, 0, dx, 0, nOut);
        Arrays.fill(ga, 0, nOut, 0f);
        conv2.backward(k, s, a2, 0, t, h, wd, dy, 0, ga, 0, g.conv2());                            // d a2
        Arrays.fill(gb, 0, nOut, 0f);
        k.activations().siluBackward(k.parallel(), n2, 0, ga, 0, gb, 0, nOut);                      // d n2
        Arrays.fill(ga, 0, nOut, 0f);
        k.rmsNorm().backward(k.parallel(), h1, 0, gb, 0, ga, 0, rows, cout, w.norm2(), rstd2, 0, g.norm2()); // d h1
        Arrays.fill(gb, 0, nIn, 0f);
        conv1.backward(k, s, a1, 0, t, h, wd, ga, 0, gb, 0, g.conv1());                            // d a1
        Arrays.fill(ga, 0, nIn, 0f);
        k.activations().siluBackward(k.parallel(), n1, 0, gb, 0, ga, 0, nIn);                       // d n1
        k.rmsNorm().backward(k.parallel(), x, 0, ga, 0, dx, 0, rows, cin, w.norm1(), rstd1, 0, g.norm1()); // d x
    }
}
