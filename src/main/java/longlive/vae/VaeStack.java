package longlive.vae;

import java.util.ArrayList;
import java.util.List;

/**
 * An encoder ({@code Encoder3d}) or decoder ({@code Decoder3d}) of the Wan-VAE: a causal input conv, the layer
 * stack, and the head (RMS_norm, SiLU, causal conv). Built for one input resolution, it owns the buffers it runs in
 * (sized once from a walk of the layer shapes), so a stream of calls allocates nothing.
 *
 * <p>{@link #forward} runs one chunk of frames; the {@link VaeFeatureCache} passed in carries every conv's time
 * history from chunk to chunk (the reference's {@code feat_cache}).
 */
public final class VaeStack {
    private final CausalConv3d conv1, head;
    private final float[] headNorm;
    private final List<VaeLayer> layers;
    private final FrameShape[] layerIn;
    private final FrameShape maxIn, maxOut;
    private final VaeWorkspace ws;
    private final long steadyFlops;

    private VaeStack(VaeWeights.Conv conv1, List<VaeWeights.Layer> layerWeights, float[] headNorm, VaeWeights.Conv head,
                     FrameShape maxIn) {
        if (conv1.in() != maxIn.channels())
            throw new IllegalArgumentException("VaeStack: input has " + maxIn.channels() + " channels, conv1 takes "
                    + conv1.in());
        this.conv1 = CausalConv3d.causal(conv1);
        this.head = CausalConv3d.causal(head);
        this.headNorm = headNorm;
        this.maxIn = maxIn;
        List<VaeLayer> ls = new ArrayList<>();
        for (VaeWeights.Layer l : layerWeights)
            ls.add(switch (l) {
                case VaeWeights.ResBlock r -> new ResidualBlock(r);
                case VaeWeights.Attn a -> new AttentionBlock(a);
                case VaeWeights.Resample r -> new Resample(r);
            });
        this.layers = List.copyOf(ls);
        // Shape walk in steady streaming state (the largest chunk every layer sees) to size the buffers once.
        layerIn = new FrameShape[layers.size()];
        FrameShape s = maxIn.withChannels(this.conv1.outChannels());
        long buf = Math.max(maxIn.size(), s.size()), attn = 1;
        long flops = this.conv1.flops(maxIn.frames(), maxIn.height(), maxIn.width());
        for (int i = 0; i < layers.size(); i++) {
            layerIn[i] = s;
            VaeLayer l = layers.get(i);
            buf = Math.max(buf, l.bufferFloats(s));
            if (l instanceof AttentionBlock a) attn = Math.max(attn, a.scratchFloats(s));
            flops += l.flops(s);
            s = l.outShape(s);
            if (s.frames() < 1)
                throw new IllegalArgumentException("VaeStack: layer " + i + " leaves no frames for a chunk of "
                        + maxIn.frames());
        }
        if (s.channels() != head.in())
            throw new IllegalArgumentException("VaeStack: the layers end with " + s.channels() + " channels, the head takes "
                    + head.in());
        buf = Math.max(buf, s.size());
        this.maxOut = new FrameShape(s.frames(), s.height(), s.width(), this.head.outChannels());
        this.steadyFlops = flops + this.head.flops(s.frames(), s.height(), s.width());
        this.ws = new VaeWorkspace(buf, attn);
    }

    /** The decoder for latents of {@code latentH x latentW}, one latent frame per call (as the reference runs it). */
    public static VaeStack decoder(VaeWeights w, int latentH, int latentW) {
        return decoder(w, latentH, latentW, 1);
    }

    /**
     * A decoder that takes up to {@code chunkFrames} latent frames per call. The stream's first call must be a single
     * frame (the first latent frame becomes one video frame); later chunks give {@code temporalFactor} frames each.
     */
    public static VaeStack decoder(VaeWeights w, int latentH, int latentW, int chunkFrames) {
        VaeWeights.Decoder d = w.decoder();
        return new VaeStack(d.conv1(), concat(d.middle(), d.upsamples()), d.headNorm(), d.head(),
                new FrameShape(chunkFrames, latentH, latentW, w.config().zDim()));
    }

    /** The encoder for video of {@code height x width}, chunks of at most {@code chunkFrames} frames per call. */
    public static VaeStack encoder(VaeWeights w, int height, int width, int chunkFrames) {
        VaeWeights.Encoder e = w.encoder();
        return new VaeStack(e.conv1(), concat(e.downsamples(), e.middle()), e.headNorm(), e.head(),
                new FrameShape(chunkFrames, height, width, 3));
    }

    private static List<VaeWeights.Layer> concat(List<VaeWeights.Layer> a, List<VaeWeights.Layer> b) {
        List<VaeWeights.Layer> r = new ArrayList<>(a);
        r.addAll(b);
        return r;
    }

    /** The input of the largest chunk: {@code [frames, h, w, c]}. */
    public FrameShape maxInput() {
        return maxIn;
    }

    /** The output of the largest chunk in steady state. */
    public FrameShape maxOutput() {
        return maxOut;
    }

    /** Floating-point operations of one largest chunk in steady state (convs and attention; norms excluded). */
    public long steadyFlops() {
        return steadyFlops;
    }

    /** A fresh stream state for this stack. */
    public VaeFeatureCache newCache() {
        List<VaeFeatureCache.LayerCache> cs = new ArrayList<>();
        for (int i = 0; i < layers.size(); i++) cs.add(layers.get(i).newCache(layerIn[i]));
        FrameShape last = layers.isEmpty() ? maxIn.withChannels(conv1.outChannels())
                : layers.getLast().outShape(layerIn[layers.size() - 1]);
        return new VaeFeatureCache(new TimeHistory(conv1.timePad(), maxIn.frameSize()), cs,
                new TimeHistory(head.timePad(), last.frameSize()));
    }

    /**
     * Runs one chunk.
     *
     * @param x   {@code [frames, h, w, c]} channels-last, {@code frames <= maxInput().frames()}
     * @param out receives {@code [T', h', w', c']}, at least {@code maxOutput().size()} floats
     * @return the output shape
     */
    public FrameShape forward(VaeKernels k, VaeFeatureCache cache, float[] x, int frames, float[] out) {
        if (frames < 1 || frames > maxIn.frames())
            throw new IllegalArgumentException("VaeStack: a chunk of " + frames + " frames; this stack takes 1.."
                    + maxIn.frames());
        if (cache.layers().size() != layers.size())
            throw new IllegalArgumentException("VaeStack: the cache has " + cache.layers().size() + " layers, the model "
                    + layers.size());
        FrameShape s = maxIn.withFrames(frames);
        float[] cur = ws.a, nxt = ws.b;
        TimeHistory in = cache.input();
        conv1.forward(k, ws.conv, in.data(), in.count(), x, frames, s.height(), s.width(), cur);   // conv1
        in.push(x, frames);
        s = s.withChannels(conv1.outChannels());
        for (int i = 0; i < layers.size(); i++) {                                                   // stack
            s = layers.get(i).forward(k, ws, cache.layers().get(i), cur, s, nxt);
            float[] t = cur;
            cur = nxt;
            nxt = t;
        }
        VaeLayer.normSilu(k, cur, ws.tmp, s.positions(), s.channels(), headNorm);                  // head.0, .1
        TimeHistory hh = cache.head();
        head.forward(k, ws.conv, hh.data(), hh.count(), ws.tmp, s.frames(), s.height(), s.width(), out); // head.2
        hh.push(ws.tmp, s.frames());
        return s.withChannels(head.outChannels());
    }
}
