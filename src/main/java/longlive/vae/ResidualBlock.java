package longlive.vae;

/**
 * {@code ResidualBlock} (wan/modules/vae.py): {@code y = shortcut(x) + conv2(silu(norm2(conv1(silu(norm1(x))))))},
 * both convs causal 3x3x3 with their own time history; {@code shortcut} is a 1x1x1 conv when widths differ.
 * (Dropout is 0 in every Wan config and omitted.)
 */
public final class ResidualBlock implements VaeLayer {
    private final VaeWeights.ResBlock w;
    private final CausalConv3d conv1, conv2, shortcut;

    public ResidualBlock(VaeWeights.ResBlock w) {
        this.w = w;
        this.conv1 = CausalConv3d.causal(w.conv1());
        this.conv2 = CausalConv3d.causal(w.conv2());
        this.shortcut = w.shortcut() == null ? null : CausalConv3d.causal(w.shortcut());
    }

    @Override
    public FrameShape outShape(FrameShape in) {
        return in.withChannels(w.out());
    }

    @Override
    public long bufferFloats(FrameShape in) {
        return Math.max(in.size(), outShape(in).size());
    }

    @Override
    public long flops(FrameShape in) {
        int t = in.frames(), h = in.height(), wd = in.width();
        return conv1.flops(t, h, wd) + conv2.flops(t, h, wd) + (shortcut == null ? 0 : shortcut.flops(t, h, wd));
    }

    @Override
    public VaeFeatureCache.LayerCache newCache(FrameShape in) {
        return new VaeFeatureCache.Residual(new TimeHistory(conv1.timePad(), in.frameSize()),
                new TimeHistory(conv2.timePad(), in.height() * in.width() * w.out()));
    }

    @Override
    public FrameShape forward(VaeKernels k, VaeWorkspace ws, VaeFeatureCache.LayerCache cache, float[] in,
                              FrameShape s, float[] out) {
        VaeFeatureCache.Residual c = (VaeFeatureCache.Residual) cache;
        int rows = s.positions(), t = s.frames(), h = s.height(), wd = s.width(), cout = w.out();
        float[] tmp = ws.tmp;
        VaeLayer.normSilu(k, in, tmp, rows, w.in(), w.norm1());                                 // residual.0, .1
        conv1.forward(k, ws.conv, c.conv1().data(), c.conv1().count(), tmp, t, h, wd, out);     // residual.2
        c.conv1().push(tmp, t);
        VaeLayer.normSilu(k, out, out, rows, cout, w.norm2());                                  // residual.3, .4
        conv2.forward(k, ws.conv, c.conv2().data(), c.conv2().count(), out, t, h, wd, tmp);     // residual.6
        c.conv2().push(out, t);
        if (shortcut != null) {
            shortcut.forward(k, ws.conv, null, 0, in, t, h, wd, out);
            k.elementwise().add(k.parallel(), out, 0, tmp, 0, out, 0, rows * cout);
        } else {
            k.elementwise().add(k.parallel(), in, 0, tmp, 0, out, 0, rows * cout);
        }
        return s.withChannels(cout);
    }
}
