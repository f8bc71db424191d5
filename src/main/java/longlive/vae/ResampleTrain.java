package longlive.vae;

import java.util.Arrays;

/**
 * {@link Resample} in training form, over a whole clip (what the reference's chunked, cached forward computes):
 * <ul>
 * <li>{@code upsample3d}: frame 0 skips the time conv (the reference's {@code 'Rep'} first chunk); frames 1.. go
 * through the causal (3,1,1) time conv with zero history, each giving two frames; then the spatial 2x + 3x3 conv.
 * {@code T -> 1 + 2 (T - 1)} frames.</li>
 * <li>{@code downsample3d}: the spatial stride-2 conv on every frame, then frame 0 passes through and frames
 * {@code (2j-2, 2j-1, 2j)} give output frame j (the stride-2 time conv over the whole clip).
 * {@code T = 1 + 2k -> 1 + k}.</li>
 * <li>the 2d modes: the spatial conv only.</li>
 * </ul>
 * Tape: the time conv's input or output ({@code mid}) and the layer output.
 */
final class ResampleTrain implements TrainLayer {
    private final VaeWeights.Resample w;
    private final TrainConv spatial, time;
    private final FrameShape in, mid, out;
    private final float[] midBuf, y;

    ResampleTrain(VaeWeights.Resample w, FrameShape in) {
        this.w = w;
        this.in = in;
        ResampleMode m = w.mode();
        this.spatial = m.upsamples() ? TrainConv.upsampleSpatial(w.conv()) : TrainConv.downsampleSpatial(w.conv());
        this.time = !m.temporal() ? null
                : m == ResampleMode.UPSAMPLE_3D ? TrainConv.upsampleTime(w.timeConv()) : TrainConv.downsampleTime(w.timeConv());
        int t = in.frames(), ho = spatial.outHeight(in.height()), wo = spatial.outWidth(in.width());
        if (m == ResampleMode.DOWNSAMPLE_3D && t % 2 == 0)
            throw new IllegalArgumentException("downsample3d needs 1 + 2k frames, got " + t);
        this.mid = switch (m) {
            case UPSAMPLE_3D -> in.withFrames(1 + 2 * (t - 1));
            case DOWNSAMPLE_3D -> new FrameShape(t, ho, wo, in.channels());
            default -> in;
        };
        int tOut = switch (m) {
            case UPSAMPLE_3D -> mid.frames();
            case DOWNSAMPLE_3D -> 1 + (t - 1) / 2;
            default -> t;
        };
        this.out = new FrameShape(tOut, ho, wo, spatial.outChannels());
        this.midBuf = m.temporal() ? new float[(int) mid.size()] : null;
        this.y = new float[(int) out.size()];
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
        return Math.max(Math.max(in.size(), mid.size()), out.size());
    }

    @Override
    public void forward(VaeKernels k, TrainScratch s, float[] x) {
        int t = in.frames(), h = in.height(), wd = in.width();
        switch (w.mode()) {
            case UPSAMPLE_2D, DOWNSAMPLE_2D -> spatial.forward(k, s.forward, x, 0, t, h, wd, y, 0, false);
            case UPSAMPLE_3D -> {
                int f = in.frameSize();
                System.arraycopy(x, 0, midBuf, 0, f);                                    // frame 0: 'Rep'
                time.forward(k, s.forward, x, f, t - 1, h, wd, midBuf, f, false);        // time_conv, halves -> frames
                spatial.forward(k, s.forward, midBuf, 0, mid.frames(), h, wd, y, 0, false);  // resample
            }
            case DOWNSAMPLE_3D -> {
                spatial.forward(k, s.forward, x, 0, t, h, wd, midBuf, 0, false);         // resample
                int f = mid.frameSize();
                System.arraycopy(midBuf, 0, y, 0, f);                                    // frame 0 passes
                time.forward(k, s.forward, midBuf, 0, t, mid.height(), mid.width(), y, f, false); // time_conv
            }
        }
    }

    @Override
    public void backward(VaeKernels k, TrainScratch s, float[] x, float[] dy, float[] dx, VaeWeights.Layer grad,
                         float[] ga, float[] gb) {
        VaeWeights.Resample g = (VaeWeights.Resample) grad;
        int t = in.frames(), h = in.height(), wd = in.width();
        switch (w.mode()) {
            case UPSAMPLE_2D, DOWNSAMPLE_2D -> spatial.backward(k, s, x, 0, t, h, wd, dy, 0, dx, 0, g.conv());
            case UPSAMPLE_3D -> {
                int f = in.frameSize();
                Arrays.fill(ga, 0, (int) mid.size(), 0f);
                spatial.backward(k, s, midBuf, 0, mid.frames(), h, wd, dy, 0, ga, 0, g.conv());
                if (dx != null) for (int i = 0; i < f; i++) dx[i] += ga[i];
                time.backward(k, s, x, f, t - 1, h, wd, ga, f, dx, f, g.timeConv());
            }
            case DOWNSAMPLE_3D -> {
                int f = mid.frameSize();
                Arrays.fill(ga, 0, (int) mid.size(), 0f);
                System.arraycopy(dy, 0, ga, 0, f);
                time.backward(k, s, midBuf, 0, t, mid.height(), mid.width(), dy, f, ga, 0, g.timeConv());
                spatial.backward(k, s, x, 0, t, h, wd, ga, 0, dx, 0, g.conv());
            }
        }
    }
}
