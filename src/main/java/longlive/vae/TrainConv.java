package longlive.vae;

import java.util.Arrays;
import longlive.tensor.ShapeException;

/**
 * A Wan-VAE convolution for TRAINING: forward over a whole clip (no streaming history: the causal time padding is
 * zeros, as at the start of a stream) and its backward, both on the im2col GEMM of {@link CausalConv3d} (same
 * geometries, same taps-major weights, channels-last activations; arrays are addressed from an offset so a layer can
 * run a conv on part of a clip).
 *
 * <p>Backward of {@code out[P, Cout] = col[P, taps Cin] . W^T + b} per output tile:
 * {@code dW += dOut^T . col}, {@code db += column sums of dOut}, {@code dCol = dOut . W} scattered back onto the
 * input positions it was gathered from (col2im; the folded 2x upsampling sums its 4 copies, padding taps are
 * dropped). Tiles of different workers overlap in the input and share dW, so each worker accumulates into its own
 * buffers ({@link TrainScratch}); worker 0 writes straight into the caller's arrays and the others are added after.
 */
public final class TrainConv {
    private final VaeWeights.Conv w;
    private final int strideT, strideHw, padTop, padBottom, padLeft, padRight, timePad, upShift, groups;
    private final float[][] groupBias;

    private TrainConv(VaeWeights.Conv w, int strideT, int strideHw, int padTop, int padBottom, int padLeft,
                      int padRight, int timePad, int upShift, int groups) {
        this.w = w;
        this.strideT = strideT;
        this.strideHw = strideHw;
        this.padTop = padTop;
        this.padBottom = padBottom;
        this.padLeft = padLeft;
        this.padRight = padRight;
        this.timePad = timePad;
        this.upShift = upShift;
        this.groups = groups;
        groupBias = new float[groups][w.out() / groups];
    }

    /** {@code CausalConv3d(in, out, k, padding=k // 2)} (see {@link CausalConv3d#causal}). */
    public static TrainConv causal(VaeWeights.Conv w) {
        return new TrainConv(w, 1, 1, w.kh() / 2, w.kh() / 2, w.kw() / 2, w.kw() / 2, 2 * (w.kt() / 2), 0, 1);
    }

    /** Nearest 2x upsampling then a 3x3 conv (see {@link CausalConv3d#upsampleSpatial}). */
    public static TrainConv upsampleSpatial(VaeWeights.Conv w) {
        return new TrainConv(w, 1, 1, 1, 1, 1, 1, 0, 1, 1);
    }

    /** Zero-pad right/bottom then a stride-2 3x3 conv (see {@link CausalConv3d#downsampleSpatial}). */
    public static TrainConv downsampleSpatial(VaeWeights.Conv w) {
        return new TrainConv(w, 1, 2, 0, 1, 0, 1, 0, 0, 1);
    }

    /** The {@code upsample3d} time conv, channel halves to frames 2t, 2t+1 (see {@link CausalConv3d#upsampleTime}). */
    public static TrainConv upsampleTime(VaeWeights.Conv w) {
        return new TrainConv(w, 1, 1, 0, 0, 0, 0, 2, 0, 2);
    }

    /** The {@code downsample3d} stride-2 time conv (see {@link CausalConv3d#downsampleTime}). */
    public static TrainConv downsampleTime(VaeWeights.Conv w) {
        return new TrainConv(w, 2, 1, 0, 0, 0, 0, 0, 0, 1);
    }

    public VaeWeights.Conv weights() {
        return w;
    }

    /** Channels per output frame. */
    public int outChannels() {
        return w.out() / groups;
    }

    public int outHeight(int h) {
        return ((h << upShift) + padTop + padBottom - w.kh()) / strideHw + 1;
    }

    public int outWidth(int width) {
        return ((width << upShift) + padLeft + padRight - w.kw()) / strideHw + 1;
    }

    /** Output frames (each group counted as a frame) of a clip of {@code frames} frames. */
    public int outFrames(int frames) {
        int len = timePad + frames;
        return len < w.kt() ? 0 : ((len - w.kt()) / strideT + 1) * groups;
    }

    /** The tiling shared by forward and backward. */
    private record Tiling(int ho, int wo, int steps, int rows, int tilesPerFrame, boolean pointwise) {
        int tasks() {
            return steps * tilesPerFrame;
        }
    }

    private Tiling tiling(VaeKernels k, int frames, int h, int width) {
        int ho = outHeight(h), wo = outWidth(width);
        if (h < 1 || width < 1 || frames < 0 || ho < 1 || wo < 1)
            throw new ShapeException("train conv: input [" + frames + ", " + h + ", " + width + ", " + w.in()
                    + "] is too small for kernel [" + w.kt() + ", " + w.kh() + ", " + w.kw() + "]");
        int steps = outFrames(frames) / groups;
        boolean pointwise = w.taps() == 1 && upShift == 0 && strideHw == 1 && padTop + padBottom + padLeft + padRight == 0;
        int threads = k.parallel().threads();
        int rowsBalance = Math.max(1, (ho * Math.max(1, steps) + 2 * threads - 1) / (2 * threads));
        int rowsMem = pointwise ? ho : Math.max(1, CausalConv3d.MAX_TILE_FLOATS / (w.depth() * wo));
        int rows = Math.min(ho, Math.min(rowsBalance, rowsMem));
        return new Tiling(ho, wo, steps, rows, (ho + rows - 1) / rows, pointwise);
    }

    private static void fits(String what, float[] a, int off, long n) {
        if (off < 0 || (long) off + n > a.length)
            throw new ShapeException("train conv: " + what + " of " + n + " floats from offset " + off
                    + " does not fit an array of " + a.length);
    }

    /**
     * {@code out [outFrames, ho, wo, outChannels] (+)= conv(x [frames, h, w, in])} with zero time padding.
     *
     * @param accumulate add to {@code out} instead of overwriting it
     * @return output frames written
     */
    public int forward(VaeKernels k, ConvScratch scratch, float[] x, int xOff, int frames, int h, int width,
                       float[] out, int outOff, boolean accumulate) {
        Tiling t = tiling(k, frames, h, width);
        int cin = w.in(), cg = outChannels(), depth = w.depth(), frameIn = h * width * cin;
        fits("input", x, xOff, (long) frames * frameIn);
        fits("output", out, outOff, (long) t.steps * groups * t.ho * t.wo * cg);
        if (t.steps == 0) return 0;
        for (int g = 0; g < groups; g++) System.arraycopy(w.bias(), g * cg, groupBias[g], 0, cg); // weights move in training
        k.parallel().forRange(t.tasks(), 1, (from, to) -> {
            float[] col = t.pointwise ? null : scratch.tile(t.rows * t.wo * depth);
            for (int task = from; task < to; task++) {
                int step = task / t.tilesPerFrame, r0 = (task % t.tilesPerFrame) * t.rows, r1 = Math.min(t.ho, r0 + t.rows);
                int positions = (r1 - r0) * t.wo;
                float[] a = col;
                int aOff = 0;
                if (t.pointwise) {
                    a = x;
                    aOff = xOff + step * frameIn + r0 * width * cin;
                } else {
                    im2col(col, step, r0, r1, t.wo, h, width, x, xOff);
                }
                for (int g = 0; g < groups; g++) {
                    int cOff = outOff + ((step * groups + g) * t.ho + r0) * t.wo * cg;
                    k.tileGemm().gemm(positions, cg, depth, a, aOff, false, w.weight(), g * cg * depth, true,
                            groupBias[g], out, cOff, accumulate);
                }
            }
        });
        return t.steps * groups;
    }

    /**
     * Backward of {@link #forward}; ACCUMULATES {@code dx} (nullable: no input gradient) and {@code grad}'s weight and
     * bias (same layout as the weights).
     *
     * @param x    the forward input
     * @param dOut {@code [outFrames, ho, wo, outChannels]}
     */
    public void backward(VaeKernels k, TrainScratch scratch, float[] x, int xOff, int frames, int h, int width,
                         float[] dOut, int dOutOff, float[] dx, int dxOff, VaeWeights.Conv grad) {
        Tiling t = tiling(k, frames, h, width);
        int cin = w.in(), cg = outChannels(), depth = w.depth(), frameIn = h * width * cin;
        int inSize = frames * frameIn;
        fits("input", x, xOff, inSize);
        fits("output gradient", dOut, dOutOff, (long) t.steps * groups * t.ho * t.wo * cg);
        if (dx != null) fits("input gradient", dx, dxOff, inSize);
        if (t.steps == 0) return;
        int workers = Math.min(k.parallel().threads(), t.tasks());
        int wSize = w.weight().length;
        k.parallel().forEach(workers, p -> {
            // worker 0 accumulates into the caller's arrays, the others into zeroed private ones (summed below)
            float[] dW = p == 0 ? grad.weight() : scratch.zeroed(p, TrainScratch.Slot.WEIGHT, wSize);
            float[] dB = p == 0 ? grad.bias() : scratch.zeroed(p, TrainScratch.Slot.BIAS, w.out());
            float[] dX = dx == null ? null : p == 0 ? dx : scratch.zeroed(p, TrainScratch.Slot.INPUT, inSize);
            int dXOff = p == 0 ? dxOff : 0;
            float[] col = t.pointwise ? null : scratch.tile(p, TrainScratch.Slot.COL, t.rows * t.wo * depth);
            float[] dCol = t.pointwise || dX == null ? null : scratch.tile(p, TrainScratch.Slot.DCOL, t.rows * t.wo * depth);
            int from = (int) ((long) t.tasks() * p / workers), to = (int) ((long) t.tasks() * (p + 1) / workers);
            for (int task = from; task < to; task++) {
                int step = task / t.tilesPerFrame, r0 = (task % t.tilesPerFrame) * t.rows, r1 = Math.min(t.ho, r0 + t.rows);
                int positions = (r1 - r0) * t.wo;
                float[] a = col;
                int aOff = 0, rowOff = step * frameIn + r0 * width * cin;
                if (t.pointwise) {
                    a = x;
                    aOff = xOff + rowOff;
                } else {
                    im2col(col, step, r0, r1, t.wo, h, width, x, xOff);
                }
                for (int g = 0; g < groups; g++) {
                    int yOff = dOutOff + ((step * groups + g) * t.ho + r0) * t.wo * cg;
                    k.tileGemm().gemm(cg, depth, positions, dOut, yOff, true, a, aOff, false, null,
                            dW, g * cg * depth, true);                                             // dW += dY^T col
                    for (int r = 0; r < positions; r++) {                                          // db += sum dY
                        int row = yOff + r * cg;
                        for (int j = 0; j < cg; j++) dB[g * cg + j] += dOut[row + j];
                    }
                    if (dX == null) continue;
                    if (t.pointwise)                                                              // dX += dY W
                        k.tileGemm().gemm(positions, cin, cg, dOut, yOff, false, w.weight(), g * cg * depth, false,
                                null, dX, dXOff + rowOff, true);
                    else
                        k.tileGemm().gemm(positions, depth, cg, dOut, yOff, false, w.weight(), g * cg * depth, false,
                                null, dCol, 0, g > 0);                                              // dCol = dY W
                }
                if (dX != null && !t.pointwise) col2im(dCol, step, r0, r1, t.wo, h, width, dX, dXOff);
            }
        });
        for (int p = 1; p < workers; p++) {
            add(scratch.get(p, TrainScratch.Slot.WEIGHT), grad.weight(), wSize);
            add(scratch.get(p, TrainScratch.Slot.BIAS), grad.bias(), w.out());
            if (dx != null) k.elementwise().accumulate(k.parallel(), scratch.get(p, TrainScratch.Slot.INPUT), 0, dx, dxOff, inSize);
        }
    }

    private static void add(float[] src, float[] dst, int n) {
        for (int i = 0; i < n; i++) dst[i] += src[i];
    }

    /** Fills {@code col[(r1 - r0) * wo, taps * in]}: row p holds the receptive field of output position p. */
    private void im2col(float[] col, int step, int r0, int r1, int wo, int h, int width, float[] x, int xOff) {
        int cin = w.in(), kt = w.kt(), kh = w.kh(), kw = w.kw(), frameIn = h * width * cin;
        int hu = h << upShift, wu = width << upShift;
        int dst = 0;
        for (int oy = r0; oy < r1; oy++) {
            for (int ox = 0; ox < wo; ox++) {
                for (int a = 0; a < kt; a++) {
                    int q = step * strideT + a - timePad; // input frame; negative = causal zero padding
                    int frameOff = xOff + q * frameIn;
                    for (int b = 0; b < kh; b++) {
                        int iy = oy * strideHw + b - padTop;
                        boolean rowIn = q >= 0 && iy >= 0 && iy < hu;
                        int rowOff = frameOff + (iy >> upShift) * width * cin;
                        int ix0 = ox * strideHw - padLeft;
                        if (rowIn && upShift == 0 && ix0 >= 0 && ix0 + kw <= wu) { // interior: kw taps are one run
                            System.arraycopy(x, rowOff + ix0 * cin, col, dst, kw * cin);
                            dst += kw * cin;
                            continue;
                        }
                        for (int c = 0; c < kw; c++, dst += cin) {
                            int ix = ox * strideHw + c - padLeft;
                            if (rowIn && ix >= 0 && ix < wu)
                                System.arraycopy(x, rowOff + (ix >> upShift) * cin, col, dst, cin);
                            else
                                Arrays.fill(col, dst, dst + cin, 0f);
                        }
                    }
                }
            }
        }
    }

    /** The adjoint of {@link #im2col}: adds each row of {@code dCol} back onto the input positions it came from. */
    private void col2im(float[] dCol, int step, int r0, int r1, int wo, int h, int width, float[] dx, int dxOff) {
        int cin = w.in(), kt = w.kt(), kh = w.kh(), kw = w.kw(), frameIn = h * width * cin;
        int hu = h << upShift, wu = width << upShift;
        int src = 0;
        for (int oy = r0; oy < r1; oy++) {
            for (int ox = 0; ox < wo; ox++) {
                for (int a = 0; a < kt; a++) {
                    int q = step * strideT + a - timePad;
                    int frameOff = dxOff + q * frameIn;
                    for (int b = 0; b < kh; b++) {
                        int iy = oy * strideHw + b - padTop;
                        boolean rowIn = q >= 0 && iy >= 0 && iy < hu;
                        int rowOff = frameOff + (iy >> upShift) * width * cin;
                        for (int c = 0; c < kw; c++, src += cin) {
                            int ix = ox * strideHw + c - padLeft;
                            if (!rowIn || ix < 0 || ix >= wu) continue;
                            int d = rowOff + (ix >> upShift) * cin;
                            for (int i = 0; i < cin; i++) dx[d + i] += dCol[src + i];
                        }
                    }
                }
            }
        }
    }
}
