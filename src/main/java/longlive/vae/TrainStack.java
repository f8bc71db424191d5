package longlive.vae;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * {@link VaeStack} in training form: an encoder ({@code Encoder3d}) or decoder ({@code Decoder3d}) run over a whole
 * clip of a fixed shape, recording the tape its {@link #backward} needs. Built once per clip shape; every buffer is
 * allocated here, so repeated steps allocate nothing.
 */
final class TrainStack {
    private final TrainConv conv1, head;
    private final float[] headNorm;
    private final List<TrainLayer> layers;
    private final FrameShape in, top, out;
    private final float[] h0, nh, ah, rstd, y, ga, gb, gradA, gradB;

    private TrainStack(VaeWeights.Conv conv1, List<VaeWeights.Layer> weights, float[] headNorm, VaeWeights.Conv head,
                       FrameShape in) {
        this.conv1 = TrainConv.causal(conv1);
        this.head = TrainConv.causal(head);
        this.headNorm = headNorm;
        this.in = in;
        FrameShape s = in.withChannels(conv1.out());
        h0 = new float[(int) s.size()];
        long scratch = s.size(), grads = s.size();
        List<TrainLayer> ls = new ArrayList<>();
        for (VaeWeights.Layer l : weights) {
            TrainLayer t = switch (l) {
                case VaeWeights.ResBlock r -> new ResidualTrain(r, s);
                case VaeWeights.Attn a -> new AttentionTrain(a, s);
                case VaeWeights.Resample r -> new ResampleTrain(r, s);
            };
            ls.add(t);
            scratch = Math.max(scratch, t.scratchFloats());
            s = t.outShape();
            grads = Math.max(grads, s.size());
        }
        this.layers = List.copyOf(ls);
        this.top = s;
        if (s.channels() != head.in())
            throw new IllegalArgumentException("TrainStack: the layers end with " + s.channels() + " channels, the head takes "
                    + head.in());
        this.out = s.withChannels(head.out());
        nh = new float[(int) s.size()];
        ah = new float[nh.length];
        rstd = new float[s.positions()];
        y = new float[(int) out.size()];
        ga = new float[(int) scratch];
        gb = new float[(int) scratch];
        gradA = new float[(int) grads];
        gradB = new float[(int) grads];
    }

    static TrainStack encoder(VaeWeights w, FrameShape video) {
        VaeWeights.Encoder e = w.encoder();
        List<VaeWeights.Layer> ls = new ArrayList<>(e.downsamples());
        ls.addAll(e.middle());
        return new TrainStack(e.conv1(), ls, e.headNorm(), e.head(), video);
    }

    static TrainStack decoder(VaeWeights w, FrameShape latents) {
        VaeWeights.Decoder d = w.decoder();
        List<VaeWeights.Layer> ls = new ArrayList<>(d.middle());
        ls.addAll(d.upsamples());
        return new TrainStack(d.conv1(), ls, d.headNorm(), d.head(), latents);
    }

    FrameShape inShape() {
        return in;
    }

    FrameShape outShape() {
        return out;
    }

    /** The output of the last {@link #forward}. */
    float[] output() {
        return y;
    }

    /** Runs the stack on {@code x [inShape]}; the result is in {@link #output()}. */
    void forward(VaeKernels k, TrainScratch s, float[] x) {
        conv1.forward(k, s.forward, x, 0, in.frames(), in.height(), in.width(), h0, 0, false);    // conv1
        float[] cur = h0;
        for (TrainLayer l : layers) {                                                            // layers
            l.forward(k, s, cur);
            cur = l.output();
        }
        int rows = top.positions(), c = top.channels();
        k.rmsNorm().forward(k.parallel(), cur, 0, nh, 0, rows, c, headNorm, TrainLayer.eps(c), rstd, 0); // head.0
        k.activations().silu(k.parallel(), nh, 0, ah, 0, rows * c);                                     // head.1
        head.forward(k, s.forward, ah, 0, top.frames(), top.height(), top.width(), y, 0, false);        // head.2
    }

    /**
     * Backward of the last {@link #forward}: ACCUMULATES into {@code grads} (the encoder's or decoder's part of a
     * gradient twin, chosen by {@code encoder}) and into {@code dx} when not null.
     */
    void backward(VaeKernels k, TrainScratch s, float[] x, float[] dy, float[] dx, VaeWeights grads, boolean encoder) {
        VaeWeights.Conv gConv1, gHead;
        float[] gNorm;
        List<VaeWeights.Layer> gLayers = new ArrayList<>();
        if (encoder) {
            gConv1 = grads.encoder().conv1();
            gHead = grads.encoder().head();
            gNorm = grads.encoder().headNorm();
            gLayers.addAll(grads.encoder().downsamples());
            gLayers.addAll(grads.encoder().middle());
        } else {
            gConv1 = grads.decoder().conv1();
            gHead = grads.decoder().head();
            gNorm = grads.decoder().headNorm();
            gLayers.addAll(grads.decoder().middle());
            gLayers.addAll(grads.decoder().upsamples());
        }
        int rows = top.positions(), c = top.channels(), n = rows * c;
        float[] last = layers.isEmpty() ? h0 : layers.getLast().output();
        Arrays.fill(ga, 0, n, 0f);
        head.backward(k, s, ah, 0, top.frames(), top.height(), top.width(), dy, 0, ga, 0, gHead);  // head.2
        Arrays.fill(gb, 0, n, 0f);
        k.activations().siluBackward(k.parallel(), nh, 0, ga, 0, gb, 0, n);                        // head.1
        float[] d = gradA, spare = gradB;
        Arrays.fill(d, 0, n, 0f);
        k.rmsNorm().backward(k.parallel(), last, 0, gb, 0, d, 0, rows, c, headNorm, rstd, 0, gNorm);  // head.0
        for (int i = layers.size() - 1; i >= 0; i--) {                                           // layers, reversed
            TrainLayer l = layers.get(i);
            float[] li = i == 0 ? h0 : layers.get(i - 1).output();
            Arrays.fill(spare, 0, (int) l.inShape().size(), 0f);
            l.backward(k, s, li, d, spare, gLayers.get(i), ga, gb);
            float[] t = d;
            d = spare;
            spare = t;
        }
        conv1.backward(k, s, x, 0, in.frames(), in.height(), in.width(), d, 0, dx, 0, gConv1);   // conv1
    }
}
