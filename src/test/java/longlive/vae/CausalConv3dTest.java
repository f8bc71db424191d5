package longlive.vae;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import java.util.function.Function;
import java.util.stream.Stream;
import longlive.kernel.Parallel;
import longlive.tensor.ShapeException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The GEMM convolution against a naive 7-deep scalar loop over PyTorch-layout weights, for every geometry the VAE
 * uses, at awkward sizes, with several tiles per frame (3 threads), on the scalar kernels (im2col) and the fast ones
 * (the stride-1 convs on {@link longlive.kernel.DirectConv}).
 */
class CausalConv3dTest {
    private static final Parallel PAR = new Parallel(3);

    @AfterAll
    static void close() {
        PAR.close();
    }

    static Stream<VaeKernels> kernels() {
        return Stream.of(VaeKernels.scalar(PAR), VaeKernels.fast(PAR));
    }

    /** {@code x [cin, frames, h, w]} channel-first, {@code w [cout, cin, kt, kh, kw]}: plain nested loops. */
    static float[] naive(float[] x, int cin, int frames, int h, int w, float[] wt, float[] bias, int cout, int kt,
                         int kh, int kw, int st, int s, int padTop, int padBottom, int padLeft, int padRight, int[] outDims) {
        int to = (frames - kt) / st + 1, ho = (h + padTop + padBottom - kh) / s + 1, wo = (w + padLeft + padRight - kw) / s + 1;
        outDims[0] = to;
        outDims[1] = ho;
        outDims[2] = wo;
        float[] y = new float[cout * to * ho * wo];
        for (int o = 0; o < cout; o++)
            for (int t = 0; t < to; t++)
                for (int yy = 0; yy < ho; yy++)
                    for (int xx = 0; xx < wo; xx++) {
                        double acc = bias[o];
                        for (int c = 0; c < cin; c++)
                            for (int a = 0; a < kt; a++)
                                for (int b = 0; b < kh; b++)
                                    for (int d = 0; d < kw; d++) {
                                        int ti = t * st + a, yi = yy * s + b - padTop, xi = xx * s + d - padLeft;
                                        if (yi < 0 || yi >= h || xi < 0 || xi >= w) continue;
                                        acc += (double) x[((c * frames + ti) * h + yi) * w + xi]
                                                * wt[(((o * cin + c) * kt + a) * kh + b) * kw + d];
                                    }
                        y[((o * to + t) * ho + yy) * wo + xx] = (float) acc;
                    }
        return y;
    }

    static float[] random(Random r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) r.nextGaussian();
        return a;
    }

    /** channel-first {@code [c, t, h, w]} to channels-last {@code [t, h, w, c]}. */
    static float[] toLast(float[] x, int c, int t, int h, int w) {
        float[] y = new float[x.length];
        for (int ch = 0; ch < c; ch++)
            for (int p = 0; p < t * h * w; p++) y[p * c + ch] = x[ch * t * h * w + p];
        return y;
    }

    static VaeWeights.Conv conv(Random r, int cout, int cin, int kt, int kh, int kw, float[] torchWeight) {
        VaeWeights.Conv c = VaeWeights.Conv.zeros(cout, cin, kt, kh, kw);
        float[] src = random(r, torchWeight.length);
        System.arraycopy(src, 0, torchWeight, 0, src.length);
        c.setFromTorch(torchWeight);
        float[] b = random(r, cout);
        System.arraycopy(b, 0, c.bias(), 0, cout);
        return c;
    }

    static void assertClose(float[] ref, float[] ours, int n, String what) {
        double maxRef = 0, maxDiff = 0;
        for (int i = 0; i < n; i++) {
            maxRef = Math.max(maxRef, Math.abs(ref[i]));
            maxDiff = Math.max(maxDiff, Math.abs(ref[i] - ours[i]));
        }
        assertTrue(maxDiff <= 1e-5 * Math.max(1, maxRef), what + ": max diff " + maxDiff + " (max |ref| " + maxRef + ")");
    }

    /** Zero-pads {@code pad} frames in front of {@code x [c, t, h, w]}. */
    static float[] padFront(float[] x, int c, int t, int hw, int pad) {
        float[] y = new float[c * (t + pad) * hw];
        for (int ch = 0; ch < c; ch++) System.arraycopy(x, ch * t * hw, y, (ch * (t + pad) + pad) * hw, t * hw);
        return y;
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void causal3x3x3MatchesNaiveWholeAndStreamed(VaeKernels k) {
        Random r = new Random(1);
        int cin = 5, cout = 7, t = 5, h = 6, w = 3;
        float[] wt = new float[cout * cin * 27];
        VaeWeights.Conv c = conv(r, cout, cin, 3, 3, 3, wt);
        float[] x = random(r, cin * t * h * w);
        int[] dims = new int[3];
        float[] ref = naive(padFront(x, cin, t, h * w, 2), cin, t + 2, h, w, wt, c.bias(), cout, 3, 3, 3, 1, 1, 1, 1, 1, 1, dims);
        assertEquals(t, dims[0]);
        float[] refLast = toLast(ref, cout, t, h, w);
        CausalConv3d op = CausalConv3d.causal(c);
        float[] xl = toLast(x, cin, t, h, w), out = new float[t * h * w * cout];
        assertEquals(t, op.forward(k, new ConvScratch(), null, 0, xl, t, h, w, out));
        assertClose(refLast, out, out.length, "whole clip");

        // the same clip in chunks 1, 3, 1 with the history carried: equal to the whole clip
        TimeHistory hist = new TimeHistory(op.timePad(), h * w * cin);
        float[] streamed = new float[out.length], chunkOut = new float[out.length];
        int done = 0;
        for (int n : new int[] {1, 3, 1}) {
            float[] chunk = java.util.Arrays.copyOfRange(xl, done * h * w * cin, (done + n) * h * w * cin);
            assertEquals(n, op.forward(k, new ConvScratch(), hist.data(), hist.count(), chunk, n, h, w, chunkOut));
            hist.push(chunk, n);
            System.arraycopy(chunkOut, 0, streamed, done * h * w * cout, n * h * w * cout);
            done += n;
        }
        assertClose(refLast, streamed, streamed.length, "streamed clip");
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void pointwiseMatchesNaive(VaeKernels k) {
        Random r = new Random(2);
        int cin = 6, cout = 3, t = 2, h = 5, w = 7;
        float[] wt = new float[cout * cin];
        VaeWeights.Conv c = conv(r, cout, cin, 1, 1, 1, wt);
        float[] x = random(r, cin * t * h * w);
        int[] dims = new int[3];
        float[] ref = toLast(naive(x, cin, t, h, w, wt, c.bias(), cout, 1, 1, 1, 1, 1, 0, 0, 0, 0, dims), cout, t, h, w);
        float[] out = new float[ref.length];
        CausalConv3d.causal(c).forward(k, new ConvScratch(), null, 0, toLast(x, cin, t, h, w), t, h, w, out);
        assertClose(ref, out, out.length, "1x1x1");
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void downsampleSpatialMatchesNaive(VaeKernels k) {
        Random r = new Random(3);
        int cin = 4, cout = 5, t = 2, h = 7, w = 6;
        float[] wt = new float[cout * cin * 9];
        VaeWeights.Conv c = conv(r, cout, cin, 1, 3, 3, wt);
        float[] x = random(r, cin * t * h * w);
        int[] d = new int[3];
        float[] ref = naive(x, cin, t, h, w, wt, c.bias(), cout, 1, 3, 3, 1, 2, 0, 1, 0, 1, d);
        CausalConv3d op = CausalConv3d.downsampleSpatial(c);
        assertEquals(d[1], op.outHeight(h));
        assertEquals(d[2], op.outWidth(w));
        float[] out = new float[t * d[1] * d[2] * cout];
        op.forward(k, new ConvScratch(), null, 0, toLast(x, cin, t, h, w), t, h, w, out);
        assertClose(toLast(ref, cout, t, d[1], d[2]), out, out.length, "downsample 3x3 stride 2");
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void upsampleSpatialMatchesNaiveOnUpsampledInput(VaeKernels k) {
        Random r = new Random(4);
        ConvScratch scratch = new ConvScratch();
        for (int[] shape : new int[][] {{6, 3, 3, 5}, {16, 8, 4, 9}, {8, 20, 2, 3}, {3, 17, 1, 1}}) {
            int cin = shape[0], cout = shape[1], t = 2, h = shape[2], w = shape[3];
            float[] wt = new float[cout * cin * 9];
            VaeWeights.Conv c = conv(r, cout, cin, 1, 3, 3, wt);
            float[] x = random(r, cin * t * h * w);
            float[] up = new float[cin * t * 4 * h * w]; // explicit nearest 2x
            for (int ch = 0; ch < cin * t; ch++)
                for (int y = 0; y < 2 * h; y++)
                    for (int xx = 0; xx < 2 * w; xx++) up[(ch * 2 * h + y) * 2 * w + xx] = x[(ch * h + y / 2) * w + xx / 2];
            int[] d = new int[3];
            float[] ref = naive(up, cin, t, 2 * h, 2 * w, wt, c.bias(), cout, 1, 3, 3, 1, 1, 1, 1, 1, 1, d);
            float[] out = new float[t * 4 * h * w * cout];
            CausalConv3d.upsampleSpatial(c).forward(k, scratch, null, 0, toLast(x, cin, t, h, w), t, h, w, out);
            assertClose(toLast(ref, cout, t, 2 * h, 2 * w), out, out.length,
                    "upsample + 3x3, " + cin + " -> " + cout + ", " + h + "x" + w);
        }
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void timeConvsMatchNaive(VaeKernels k) {
        Random r = new Random(5);
        int c = 4, t = 3, h = 2, w = 3, hw = h * w;
        // upsample3d time conv: (3,1,1) causal to 2C, halves to frames 2t, 2t+1
        float[] wt = new float[2 * c * c * 3];
        VaeWeights.Conv up = conv(r, 2 * c, c, 3, 1, 1, wt);
        float[] x = random(r, c * t * hw);
        int[] d = new int[3];
        float[] ref = naive(padFront(x, c, t, hw, 2), c, t + 2, h, w, wt, up.bias(), 2 * c, 3, 1, 1, 1, 1, 0, 0, 0, 0, d);
        float[] out = new float[2 * t * hw * c];
        assertEquals(2 * t, CausalConv3d.upsampleTime(up).forward(k, new ConvScratch(), null, 0, toLast(x, c, t, h, w), t, h, w, out));
        for (int ti = 0; ti < t; ti++)
            for (int half = 0; half < 2; half++)
                for (int ch = 0; ch < c; ch++)
                    for (int p = 0; p < hw; p++) {
                        float e = ref[((half * c + ch) * t + ti) * hw + p];
                        float o = out[((2 * ti + half) * hw + p) * c + ch];
                        assertEquals(e, o, 1e-5 * Math.max(1, Math.abs(e)), "upsample time conv");
                    }
        // downsample3d time conv: (3,1,1) stride 2 over [1 history frame, 4 frames] -> 2 frames
        float[] wd = new float[c * c * 3];
        VaeWeights.Conv down = conv(r, c, c, 3, 1, 1, wd);
        float[] seq = random(r, c * 5 * hw); // frame 0 is the history
        float[] refD = naive(seq, c, 5, h, w, wd, down.bias(), c, 3, 1, 1, 2, 1, 0, 0, 0, 0, d);
        assertEquals(2, d[0]);
        float[] seqL = toLast(seq, c, 5, h, w);
        float[] hist = java.util.Arrays.copyOfRange(seqL, 0, hw * c), rest = java.util.Arrays.copyOfRange(seqL, hw * c, seqL.length);
        float[] outD = new float[2 * hw * c];
        assertEquals(2, CausalConv3d.downsampleTime(down).forward(k, new ConvScratch(), hist, 1, rest, 4, h, w, outD));
        assertClose(toLast(refD, c, 2, h, w), outD, outD.length, "downsample time conv");
    }

    /**
     * The direct convolution's edges: channel counts below, at and past one and two vector widths (ragged panels),
     * rows shorter and longer than a tile (ragged tiles), the kernels (3,3,3), (1,3,3) and (3,1,1), streamed in
     * chunks of 1 and 2 frames with the history carried, and ONE scratch reused by every shape, so a padded border or
     * edge tile left over from a larger conv would show.
     */
    @ParameterizedTest
    @MethodSource("kernels")
    void everyChannelCountAndWidthMatchesNaive(VaeKernels k) {
        Random r = new Random(7);
        ConvScratch scratch = new ConvScratch();
        int[][] kernels = {{3, 3, 3}, {1, 3, 3}, {3, 1, 1}};
        int t = 3;
        for (int[] kk : kernels)
            for (int cin : new int[] {1, 3, 8, 16})
                for (int cout : new int[] {1, 3, 8, 9, 16, 17, 20, 33})
                    for (int[] hw : new int[][] {{1, 1}, {3, 4}, {2, 5}, {1, 9}, {4, 17}}) {
                        int h = hw[0], w = hw[1], kt = kk[0], kh = kk[1], kw = kk[2];
                        float[] wt = new float[cout * cin * kt * kh * kw];
                        VaeWeights.Conv c = conv(r, cout, cin, kt, kh, kw, wt);
                        float[] x = random(r, cin * t * h * w);
                        int[] d = new int[3];
                        float[] ref = toLast(naive(padFront(x, cin, t, h * w, kt - 1), cin, t + kt - 1, h, w, wt, c.bias(),
                                cout, kt, kh, kw, 1, 1, kh / 2, kh / 2, kw / 2, kw / 2, d), cout, t, h, w);
                        CausalConv3d op = CausalConv3d.causal(c);
                        float[] xl = toLast(x, cin, t, h, w), out = new float[ref.length];
                        TimeHistory hist = kt > 1 ? new TimeHistory(op.timePad(), h * w * cin) : null; // kt 1: none
                        int done = 0;
                        for (int n : new int[] {1, 2}) {
                            float[] chunk = java.util.Arrays.copyOfRange(xl, done * h * w * cin, (done + n) * h * w * cin);
                            float[] chunkOut = new float[n * h * w * cout];
                            assertEquals(n, op.forward(k, scratch, hist == null ? null : hist.data(),
                                    hist == null ? 0 : hist.count(), chunk, n, h, w, chunkOut));
                            if (hist != null) hist.push(chunk, n);
                            System.arraycopy(chunkOut, 0, out, done * h * w * cout, chunkOut.length);
                            done += n;
                        }
                        assertClose(ref, out, out.length, "kernel " + kt + "x" + kh + "x" + kw + ", " + cin + " -> "
                                + cout + " channels, " + h + "x" + w);
                    }
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void tooSmallArraysAreRefusedWithShapes(VaeKernels k) {
        Random r = new Random(6);
        VaeWeights.Conv c = conv(r, 2, 3, 3, 3, 3, new float[2 * 3 * 27]);
        CausalConv3d op = CausalConv3d.causal(c);
        Function<float[], Runnable> run = out -> () -> op.forward(k, new ConvScratch(), null, 0, new float[3 * 4 * 4 * 3], 3, 4, 4, out);
        ShapeException e = assertThrows(ShapeException.class, () -> run.apply(new float[10]).run());
        assertTrue(e.getMessage().contains("output [3, 4, 4, 2]"), e.getMessage());
        assertThrows(ShapeException.class, () -> op.forward(k, new ConvScratch(), null, 0, new float[5], 3, 4, 4, new float[96]));
    }
}
