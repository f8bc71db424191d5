package longlive.vae;

/**
 * {@code Resample} (wan/modules/vae.py) with its streaming time state:
 * <ul>
 * <li>{@code upsample2d}: nearest 2x in H, W and a 3x3 conv to C/2 (fused: see {@link CausalConv3d}).</li>
 * <li>{@code upsample3d}: first a causal (3,1,1) time conv to 2C whose halves become frames 2t and 2t+1, then as
 * 2d. The stream's FIRST chunk skips the time conv and is not remembered (the reference's {@code 'Rep'}), so the
 * first latent frame gives one frame and every later one two (per 3d level).</li>
 * <li>{@code downsample2d}: zero-pad right/bottom, 3x3 conv stride 2.</li>
 * <li>{@code downsample3d}: as 2d, then a (3,1,1) stride-2 time conv over [previous chunk's last frame, chunk];
 * the first chunk passes through (and its last frame is remembered).</li>
 * </ul>
 */
public final class Resample implements VaeLayer {
    private final VaeWeights.Resample w;
    private final CausalConv3d spatial, time;

    public Resample(VaeWeights.Resample w) {
        this.w = w;
        ResampleMode m = w.mode();
        this.spatial = m.upsamples() ? CausalConv3d.upsampleSpatial(w.conv()) : CausalConv3d.downsampleSpatial(w.conv());
        this.time = !m.temporal() ? null
                : m == ResampleMode.UPSAMPLE_3D ? CausalConv3d.upsampleTime(w.timeConv())
                : CausalConv3d.downsampleTime(w.timeConv());
    }

    public ResampleMode mode() {
        return w.mode();
    }

    @Override
    public FrameShape outShape(FrameShape in) {
        int t = switch (w.mode()) {
            case UPSAMPLE_3D -> 2 * in.frames();
            case DOWNSAMPLE_3D -> in.frames() / 2; // [last frame, T frames] through kernel 3, stride 2
            default -> in.frames();
        };
        return new FrameShape(t, spatial.outHeight(in.height()), spatial.outWidth(in.width()), spatial.outChannels());
    }

    @Override
    public long bufferFloats(FrameShape in) {
        long mid = w.mode() == ResampleMode.UPSAMPLE_3D ? 2 * in.size()
                : in.frames() * (long) spatial.outHeight(in.height()) * spatial.outWidth(in.width()) * in.channels();
        return Math.max(Math.max(in.size(), mid), outShape(in).size());
    }

    @Override
    public long flops(FrameShape in) {
        int t = in.frames(), h = in.height(), wd = in.width(), ho = spatial.outHeight(h), wo = spatial.outWidth(wd);
        return switch (w.mode()) {
            case UPSAMPLE_2D, DOWNSAMPLE_2D -> spatial.flops(t, ho, wo);
            case UPSAMPLE_3D -> time.flops(2 * t, h, wd) + spatial.flops(2 * t, ho, wo);
            case DOWNSAMPLE_3D -> spatial.flops(t, ho, wo) + time.flops(t / 2, ho, wo);
        };
    }

    @Override
    public VaeFeatureCache.LayerCache newCache(FrameShape in) {
        TimeHistory h = switch (w.mode()) {
            case UPSAMPLE_3D -> new TimeHistory(time.timePad(), in.frameSize());
            case DOWNSAMPLE_3D -> new TimeHistory(1, spatial.outHeight(in.height()) * spatial.outWidth(in.width())
                    * in.channels());
            default -> null;
        };
        return new VaeFeatureCache.Resampling(h);
    }

    @Override
    public FrameShape forward(VaeKernels k, VaeWorkspace ws, VaeFeatureCache.LayerCache cache, float[] in,
                              FrameShape s, float[] out) {
        VaeFeatureCache.Resampling c = (VaeFeatureCache.Resampling) cache;
        int t = s.frames(), h = s.height(), wd = s.width();
        int ho = spatial.outHeight(h), wo = spatial.outWidth(wd);
        switch (w.mode()) {
            case UPSAMPLE_2D, DOWNSAMPLE_2D -> {
                spatial.forward(k, ws.conv, null, 0, in, t, h, wd, out);
                return new FrameShape(t, ho, wo, spatial.outChannels());
            }
            case UPSAMPLE_3D -> {
                if (!c.started) { // 'Rep': no time conv, history stays empty (zeros)
                    c.started = true;
                    spatial.forward(k, ws.conv, null, 0, in, t, h, wd, out);
                    return new FrameShape(t, ho, wo, spatial.outChannels());
                }
                int t2 = time.forward(k, ws.conv, c.time.data(), c.time.count(), in, t, h, wd, ws.tmp);
                c.time.push(in, t);
                spatial.forward(k, ws.conv, null, 0, ws.tmp, t2, h, wd, out);
                return new FrameShape(t2, ho, wo, spatial.outChannels());
            }
            case DOWNSAMPLE_3D -> {
                if (!c.started) { // first chunk: spatial only, remember its last frame
                    c.started = true;
                    spatial.forward(k, ws.conv, null, 0, in, t, h, wd, out);
                    c.time.push(out, t);
                    return new FrameShape(t, ho, wo, spatial.outChannels());
                }
                spatial.forward(k, ws.conv, null, 0, in, t, h, wd, ws.tmp);
                int t2 = time.forward(k, ws.conv, c.time.data(), c.time.count(), ws.tmp, t, ho, wo, out);
                c.time.push(ws.tmp, t);
                return new FrameShape(t2, ho, wo, spatial.outChannels());
            }
        }
        throw new AssertionError(w.mode());
    }
}
