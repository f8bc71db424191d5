package longlive.vae;

import java.util.Arrays;
import longlive.kernel.DirectConv;
import longlive.tensor.ShapeException;

/**
 * A Wan-VAE convolution ({@code CausalConv3d}, and the Conv2d layers of {@code Resample}) on the engine's GEMM.
 *
 * <p>Activations are CHANNELS-LAST frames: a clip of T frames is {@code [T, H, W, C]}, so an output tile of P
 * positions is the product {@code out[P, Cout] = col[P, taps * Cin] . W[Cout, taps * Cin]^T} with the weight in the
 * taps-major layout of {@link VaeWeights.Conv}. Each task builds its own im2col tile (copies of contiguous
 * {@code Cin}-float runs) in a per-thread buffer and runs a serial GEMM on it; 1x1x1 convolutions read their input
 * rows directly. Nothing is allocated per call beyond a few lambdas (the tile buffers grow once per thread).
 *
 * <p>Time: the input is the padded sequence {@code [zeros(max(0, timePad - histFrames)), hist, x]} (the reference
 * pads {@code 2 * padding[0]} frames in front and replaces as many as the cache holds by cached frames), and
 * {@code outFrames = (len - kt) / strideT + 1}. Space: zero padding (top, bottom, left, right); an optional
 * nearest-neighbour 2x upsampling of the input is folded into the im2col reads (the upsampled tensor never exists).
 * {@code groups = 2} writes output channel halves to consecutive frames (the {@code upsample3d} time conv:
 * frame {@code 2t + i} gets channels {@code [i C, (i + 1) C)} of time step t).
 *
 * <p>With {@link VaeKernels#directConv()} the stride-1 convolutions that are not 1x1x1 (the 3x3x3 ones, almost all
 * of the VAE's arithmetic, and the upsampling 3x3) skip im2col and run on {@link DirectConv} instead.
 */
public final class CausalConv3d {
    /** Floats per im2col tile (per thread): 8 MiB keeps a tile in the outer caches yet gives the GEMM long rows. */
    static final int MAX_TILE_FLOATS = 1 << 21;

    private final VaeWeights.Conv w;
    private final int strideT, strideH, strideW, padTop, padBottom, padLeft, padRight, timePad, upShift, groups;
    private final float[][] groupBias;

    private CausalConv3d(VaeWeights.Conv w, int strideT, int strideHw, int padTop, int padBottom, int padLeft,
                         int padRight, int timePad, int upShift, int groups) {
        this.w = w;
        this.strideT = strideT;
        this.strideH = strideHw;
        this.strideW = strideHw;
        this.padTop = padTop;
        this.padBottom = padBottom;
        this.padLeft = padLeft;
        this.padRight = padRight;
        this.timePad = timePad;
        this.upShift = upShift;
        this.groups = groups;
        if (w.out() % groups != 0) throw new IllegalArgumentException("conv: " + w.out() + " outputs in " + groups + " groups");
        int cg = w.out() / groups;
        groupBias = new float[groups][];
        for (int g = 0; g < groups; g++) groupBias[g] = Arrays.copyOfRange(w.bias(), g * cg, (g + 1) * cg);
    }

    /**
     * The reference {@code CausalConv3d(in, out, k, padding=k // 2)}: kernel 3 pads 1 in H, W and 2 frames in front
     * (causal); kernel 1 pads nothing.
     */
    public static CausalConv3d causal(VaeWeights.Conv w) {
        return new CausalConv3d(w, 1, 1, w.kh() / 2, w.kh() / 2, w.kw() / 2, w.kw() / 2, 2 * (w.kt() / 2), 0, 1);
    }

    /** {@code Upsample(2x nearest)} then {@code Conv2d(C, C/2, 3, padding=1)}. */
    public static CausalConv3d upsampleSpatial(VaeWeights.Conv w) {
        return new CausalConv3d(w, 1, 1, 1, 1, 1, 1, 0, 1, 1);
    }

    /** {@code ZeroPad2d((0, 1, 0, 1))} then {@code Conv2d(C, C, 3, stride=2)}. */
    public static CausalConv3d downsampleSpatial(VaeWeights.Conv w) {
        return new CausalConv3d(w, 1, 2, 0, 1, 0, 1, 0, 0, 1);
    }

    /** The {@code upsample3d} time conv {@code CausalConv3d(C, 2C, (3,1,1), padding=(1,0,0))}, halves to frames. */
    public static CausalConv3d upsampleTime(VaeWeights.Conv w) {
        return new CausalConv3d(w, 1, 1, 0, 0, 0, 0, 2, 0, 2);
    }

    /** The {@code downsample3d} time conv {@code CausalConv3d(C, C, (3,1,1), stride=(2,1,1))}, no padding. */
    public static CausalConv3d downsampleTime(VaeWeights.Conv w) {
        return new CausalConv3d(w, 2, 1, 0, 0, 0, 0, 0, 0, 1);
    }

    public VaeWeights.Conv weights() {
        return w;
    }

    public int in() {
        return w.in();
    }

    /** Channels per output frame ({@code out / groups}). */
    public int outChannels() {
        return w.out() / groups;
    }

    /** Frames this conv looks back: the history a streaming cache must keep. */
    public int timePad() {
        return timePad;
    }

    /** Multiply-adds x 2 of one call producing {@code outFrames} frames of {@code ho x wo} (padding taps included). */
    public long flops(int outFrames, int ho, int wo) {
        return 2L * outFrames * ho * wo * outChannels() * w.depth();
    }

    public int outHeight(int h) {
        return ((h << upShift) + padTop + padBottom - w.kh()) / strideH + 1;
    }

    public int outWidth(int width) {
        return ((width << upShift) + padLeft + padRight - w.kw()) / strideW + 1;
    }

    /** Output frames (counting each group as a frame) for {@code frames} new frames after {@code histFrames}. */
    public int outFrames(int histFrames, int frames) {
        int len = Math.max(0, timePad - histFrames) + histFrames + frames;
        return len < w.kt() ? 0 : ((len - w.kt()) / strideT + 1) * groups;
    }

    /**
     * Runs the convolution.
     *
     * @param hist       {@code [histFrames, h, w, in]} frames preceding {@code x} (a stream's cache), or null if 0
     * @param x          {@code [frames, h, w, in]}
     * @param out        {@code [outFrames, outHeight, outWidth, outChannels]}
     * @return the number of output frames written
     */
    public int forward(VaeKernels k, ConvScratch scratch, float[] hist, int histFrames, float[] x, int frames, int h,
                       int width, float[] out) {
        int cin = w.in(), frameIn = h * width * cin;
        int ho = outHeight(h), wo = outWidth(width), cg = outChannels();
        int outFrames = outFrames(histFrames, frames);
        if (h < 1 || width < 1 || frames < 0 || histFrames < 0 || ho < 1 || wo < 1)
            throw new ShapeException("conv: input [" + frames + ", " + h + ", " + width + ", " + cin + "] is too small for kernel ["
                    + w.kt() + ", " + w.kh() + ", " + w.kw() + "]");
        if ((long) frames * frameIn > x.length || (histFrames > 0 && (hist == null || (long) histFrames * frameIn > hist.length)))
            throw new ShapeException("conv: input [" + frames + ", " + h + ", " + width + ", " + cin + "] (history "
                    + histFrames + " frames) does not fit arrays of " + x.length + " / "
                    + (hist == null ? 0 : hist.length) + " floats");
        if ((long) outFrames * ho * wo * cg > out.length)
            throw new ShapeException("conv: output [" + outFrames + ", " + ho + ", " + wo + ", " + cg + "] does not fit "
                    + out.length + " floats");
        int steps = outFrames / groups;
        if (steps == 0) return 0;
        int depth = w.depth();
        boolean pointwise = w.taps() == 1 && upShift == 0 && strideH == 1 && padTop + padBottom + padLeft + padRight == 0;
        if (k.directConv() && !pointwise && groups == 1 && strideH == 1 && strideT == 1) {
            forwardDirect(k, scratch, hist, histFrames, x, steps, h, width, out);
            return outFrames;
        }
        int threads = k.parallel().threads();
        int rowsBalance = Math.max(1, (ho * steps + 2 * threads - 1) / (2 * threads));
        int rowsMem = pointwise ? ho : Math.max(1, MAX_TILE_FLOATS / (depth * wo));
        int rows = Math.min(ho, Math.min(rowsBalance, rowsMem));
        int tilesPerFrame = (ho + rows - 1) / rows;
        int zeros = Math.max(0, timePad - histFrames);
        k.parallel().forRange(steps * tilesPerFrame, 1, (from, to) -> {
            float[] col = pointwise ? null : scratch.tile(rows * wo * depth);
            for (int task = from; task < to; task++) {
                int step = task / tilesPerFrame, r0 = (task % tilesPerFrame) * rows, r1 = Math.min(ho, r0 + rows);
                int positions = (r1 - r0) * wo;
                float[] a;
                int aOff;
                if (pointwise) {
                    int q = step * strideT - zeros; // the single tap's frame in [hist, x]
                    a = q < histFrames ? hist : x;
                    aOff = (q < histFrames ? q : q - histFrames) * frameIn + r0 * width * cin;
                } else {
                    im2col(col, step, r0, r1, wo, h, width, zeros, hist, histFrames, x);
                    a = col;
                    aOff = 0;
                }
                for (int g = 0; g < groups; g++) {
                    int cOff = ((step * groups + g) * ho + r0) * wo * cg;
                    k.tileGemm().gemm(positions, cg, depth, a, aOff, false, w.weight(), g * cg * depth, true,
                            groupBias[g], out, cOff, false);
                }
            }
        });
        return outFrames;
    }

    /**
     * The stride-1 convolution on {@link DirectConv}: the input sequence {@code [zeros, hist, x]} is copied once
     * into zero-padded frames (in parallel over rows; the 2x nearest upsampling of {@link #upsampleSpatial} is done
     * in that copy), the weights packed once, then every output row is one {@link DirectConv#row} call reading the
     * padded frames in place.
     */
    private void forwardDirect(VaeKernels k, ConvScratch scratch, float[] hist, int histFrames, float[] x, int steps,
                               int h, int width, float[] out) {
        int cin = w.in(), cout = w.out(), kt = w.kt(), kh = w.kh(), kw = w.kw();
        int ho = outHeight(h), wo = outWidth(width), zeros = Math.max(0, timePad - histFrames);
        int hu = h << upShift, wu = width << upShift; // the conv's input size, after any upsampling
        int pw = wu + padLeft + padRight, ph = hu + padTop + padBottom, padRow = pw * cin, padFrame = ph * padRow;
        int frames = steps - 1 + kt; // the padded frames the outputs read: stride 1, so step s reads s .. s + kt - 1
        float[] packed = scratch.packed(DirectConv.packedSize(cout, w.depth()));
        DirectConv.pack(w.weight(), 0, cout, w.depth(), w.bias(), packed);
        float[] padded = scratch.padded(frames * padFrame + DirectConv.slack(cin, kw));
        int frameIn = h * width * cin;
        k.parallel().forRange(frames * ph, 8, (from, to) -> {
            for (int t = from; t < to; t++) {
                int q = t / ph, py = t % ph, iy = py - padTop, dst = q * padFrame + py * padRow;
                int src = q - zeros; // frame index in [hist, x]; negative = the causal zero padding
                if (src < 0 || iy < 0 || iy >= hu) {
                    Arrays.fill(padded, dst, dst + padRow, 0f);
                    continue;
                }
                float[] a = src < histFrames ? hist : x;
                int aOff = (src < histFrames ? src : src - histFrames) * frameIn + (iy >> upShift) * width * cin;
                int interior = dst + padLeft * cin;
                Arrays.fill(padded, dst, interior, 0f);
                if (upShift == 0) System.arraycopy(a, aOff, padded, interior, width * cin);
                else
                    for (int ix = 0; ix < wu; ix++)
                        System.arraycopy(a, aOff + (ix >> upShift) * cin, padded, interior + ix * cin, cin);
                Arrays.fill(padded, interior + wu * cin, dst + padRow, 0f);
            }
        });
        Arrays.fill(padded, frames * padFrame, frames * padFrame + DirectConv.slack(cin, kw), 0f);
        int pairs = kt * kh, run = kw * cin;
        k.parallel().forRange(steps * ho, 1, (from, to) -> {
            int[] base = scratch.pairBases(pairs);
            float[] tile = scratch.edgeTile(DirectConv.tileSize());
            for (int t = from; t < to; t++) {
                int step = t / ho, oy = t % ho;
                for (int a = 0; a < kt; a++)
                    for (int b = 0; b < kh; b++) base[a * kh + b] = (step + a) * padFrame + (oy + b) * padRow;
                DirectConv.row(padded, base, pairs, run, cin, wo, packed, cout, out, t * wo * cout, tile);
            }
        });
    }

    /** Fills {@code col[(r1 - r0) * wo, taps * in]}: row p holds the receptive field of output position p. */
    private void im2col(float[] col, int step, int r0, int r1, int wo, int h, int width, int zeros, float[] hist,
                        int histFrames, float[] x) {
        int cin = w.in(), kt = w.kt(), kh = w.kh(), kw = w.kw(), frameIn = h * width * cin;
        int hu = h << upShift, wu = width << upShift;
        int dst = 0;
        for (int oy = r0; oy < r1; oy++) {
            for (int ox = 0; ox < wo; ox++) {
                for (int a = 0; a < kt; a++) {
                    int q = step * strideT + a - zeros; // frame index in [hist, x]; negative = zero padding
                    float[] src = q < 0 ? null : q < histFrames ? hist : x;
                    int frameOff = q < 0 ? 0 : (q < histFrames ? q : q - histFrames) * frameIn;
                    for (int b = 0; b < kh; b++) {
                        int iy = oy * strideH + b - padTop;
                        boolean rowIn = src != null && iy >= 0 && iy < hu;
                        int rowOff = frameOff + (iy >> upShift) * width * cin;
                        int ix0 = ox * strideW - padLeft;
                        if (rowIn && upShift == 0 && ix0 >= 0 && ix0 + kw <= wu) { // interior: kw taps are one run
                            System.arraycopy(src, rowOff + ix0 * cin, col, dst, kw * cin);
                            dst += kw * cin;
                            continue;
                        }
                        for (int c = 0; c < kw; c++, dst += cin) {
                            int ix = ox * strideW + c - padLeft;
                            if (rowIn && ix >= 0 && ix < wu)
                                System.arraycopy(src, rowOff + (ix >> upShift) * cin, col, dst, cin);
                            else
                                Arrays.fill(col, dst, dst + cin, 0f);
                        }
                    }
                }
            }
        }
    }
}
