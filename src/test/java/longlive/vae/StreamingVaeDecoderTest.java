package longlive.vae;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import longlive.dit.Golden;
import longlive.io.SafeTensors;
import longlive.io.StateDict;
import longlive.io.WanVaeCheckpoint;
import longlive.kernel.Parallel;
import longlive.tensor.ShapeException;
import longlive.tensor.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** Frame-by-frame decoding with the feature cache carried equals decoding the clip at once. */
class StreamingVaeDecoderTest {
    private static final Parallel PAR = new Parallel(2);

    @AfterAll
    static void close() {
        PAR.close();
    }

    /** The golden decode case (tiny config): weights, latents [z, F, H, W], stats and the reference video. */
    private record Case(VaeWeights weights, Tensor latents, LatentStats stats, Tensor video) {}

    private static Case golden() throws Exception {
        Path dir = Golden.dir("vae/decode");
        VaeConfig c = VaeConfig.fromJson(dir.resolve("vae_config.json"));
        VaeWeights w = WanVaeCheckpoint.load(dir.resolve("vae.safetensors"), c);
        try (StateDict in = SafeTensors.load(dir.resolve("inputs.safetensors"));
             StateDict ex = SafeTensors.load(dir.resolve("expected.safetensors"))) {
            return new Case(w, in.tensor("latents"), new LatentStats(in.tensor("mean").data(), in.tensor("std").data()),
                    ex.tensor("video"));
        }
    }

    @Test
    void frameByFrameEqualsWholeClipInOneChunk() throws Exception {
        Case g = golden();
        float[] streamed = streamedVsWhole(g.weights(), g.latents(), g.stats());
        // and the stream matches the reference (which decodes frame by frame): [3, T, H', W'] vs [T, 3, H', W']
        int total = g.video().dim(1), plane = g.video().dim(2) * g.video().dim(3);
        float[] ref = g.video().data(), ours = new float[ref.length];
        for (int tt = 0; tt < total; tt++)
            for (int c = 0; c < 3; c++) System.arraycopy(streamed, (tt * 3 + c) * plane, ours, (c * total + tt) * plane, plane);
        double rel = Golden.relError(ours, ref);
        assertTrue(rel <= 1e-3, "streamed decode vs reference: " + rel);
    }

    @Test
    void attentionLevelsAndOddSizesStreamLikeTheWholeClip() {
        // attention after every residual block at scales 1 and 1/2, 3 levels, odd latent size, 5 latent frames
        VaeConfig c = new VaeConfig(4, 3, java.util.List.of(1, 2, 2), 1, java.util.List.of(1.0, 0.5),
                java.util.List.of(true, true));
        VaeWeights w = VaeWeights.random(c, 11);
        java.util.Random r = new java.util.Random(12);
        float[] lat = new float[3 * 5 * 3 * 5];
        for (int i = 0; i < lat.length; i++) lat[i] = (float) r.nextGaussian();
        float[] video = streamedVsWhole(w, Tensor.of(lat, 3, 5, 3, 5), new LatentStats(new float[] {0.1f, -0.2f, 0f},
                new float[] {1.5f, 0.7f, 1f}));
        assertEquals(c.videoFrames(5) * 3 * 12 * 20, video.length);
        // and an encode of that config runs: 1 + 4k frames -> 1 + k latent frames at 1/4 resolution
        Tensor clip = Tensor.zeros(3, 9, 12, 20);
        for (int i = 0; i < clip.size(); i++) clip.data()[i] = (float) Math.sin(i * 0.37);
        Tensor mu = new WanVae(w, VaeKernels.fast(PAR)).encode(clip, new LatentStats(new float[3], new float[] {1, 1, 1}));
        assertArrayEquals(new int[] {3, 3, 3, 5}, mu.shape());
        for (float v : mu.data()) assertTrue(Float.isFinite(v));
    }

    /**
     * Decodes {@code latents} frame by frame through {@link StreamingVaeDecoder}, and again through an independent
     * path (de-normalize + conv2 over all frames, then the decoder stack on the first frame and ALL remaining frames as
     * one chunk: multi-frame convs, time padding, multi-frame time convs); asserts they agree to 1e-6 and returns the
     * stream's frames {@code [T, 3, H', W']}.
     */
    private static float[] streamedVsWhole(VaeWeights weights, Tensor latents, LatentStats stats) {
        float[] fast = streamedVsWhole(weights, latents, stats, VaeKernels.fast(PAR), 1e-5);
        float[] scalar = streamedVsWhole(weights, latents, stats, VaeKernels.scalar(PAR), 0);
        double d = 0;
        for (int i = 0; i < fast.length; i++) d = Math.max(d, Math.abs(fast[i] - scalar[i]));
        assertTrue(d <= 1e-4, "fast vs scalar kernels: " + d);
        return scalar;
    }

    /**
     * As above on one kernel set; {@code tol} is the largest allowed |diff|: 0 (bit-identical) for the scalar
     * kernels; the Vector GEMM's summation order depends on the tile height, so the fast kernels agree to rounding.
     */
    private static float[] streamedVsWhole(VaeWeights weights, Tensor latents, LatentStats stats, VaeKernels k, double tol) {
        int tf = weights.config().temporalFactor();
        int zd = latents.dim(0), f = latents.dim(1), h = latents.dim(2), w = latents.dim(3), hw = h * w;
        StreamingVaeDecoder dec = new StreamingVaeDecoder(weights, stats, h, w, k);
        int plane = dec.outHeight() * dec.outWidth(), total = weights.config().videoFrames(f);
        float[] streamed = new float[total * 3 * plane];
        int t = 0;
        for (int i = 0; i < f; i++) {
            assertEquals(i == 0 ? 1 : tf, dec.nextFrameCount());
            Tensor out = dec.decodeNext(Tensor.of(latentFrame(latents, i), zd, h, w));
            System.arraycopy(out.data(), 0, streamed, t * 3 * plane, out.size());
            t += out.dim(0);
        }
        assertEquals(total, t);

        VaeStack stack = VaeStack.decoder(weights, h, w, f - 1);
        VaeFeatureCache cache = stack.newCache();
        float[] z = new float[f * hw * zd], z2 = new float[z.length];
        for (int i = 0; i < f; i++)
            for (int c = 0; c < zd; c++)
                for (int p = 0; p < hw; p++)
                    z[(i * hw + p) * zd + c] = latents.data()[(c * f + i) * hw + p] / (1f / stats.std()[c]) + stats.mean()[c];
        CausalConv3d.causal(weights.conv2()).forward(k, new ConvScratch(), null, 0, z, f, h, w, z2);
        float[] out = new float[(int) stack.maxOutput().size()], whole = new float[streamed.length];
        FrameShape s0 = stack.forward(k, cache, z2, 1, out);
        assertEquals(1, s0.frames());
        copyFrames(out, 0, 1, plane, whole);
        FrameShape s1 = stack.forward(k, cache, java.util.Arrays.copyOfRange(z2, hw * zd, z2.length), f - 1, out);
        assertEquals(tf * (f - 1), s1.frames());
        copyFrames(out, 1, s1.frames(), plane, whole);
        double maxDiff = 0;
        for (int i = 0; i < whole.length; i++) maxDiff = Math.max(maxDiff, Math.abs(whole[i] - streamed[i]));
        System.out.printf("vae streaming vs whole-clip decode (%d latent frames, %s): max |diff| %.3e%n", f,
                k.tileGemm().getClass().getSimpleName(), maxDiff);
        assertTrue(maxDiff <= tol, "streamed and whole-clip decodes differ by " + maxDiff + " > " + tol);
        return streamed;
    }

    private static float[] latentFrame(Tensor latents, int i) {
        int zd = latents.dim(0), f = latents.dim(1), hw = latents.dim(2) * latents.dim(3);
        float[] a = new float[zd * hw];
        for (int c = 0; c < zd; c++) System.arraycopy(latents.data(), (c * f + i) * hw, a, c * hw, hw);
        return a;
    }

    /** channels-last [n, H', W', 3] (unclamped) to [T, 3, H', W'] clamped, at frame {@code t0}. */
    private static void copyFrames(float[] src, int t0, int n, int plane, float[] dst) {
        for (int t = 0; t < n; t++)
            for (int p = 0; p < plane; p++)
                for (int c = 0; c < 3; c++)
                    dst[((t0 + t) * 3 + c) * plane + p] = Math.max(-1f, Math.min(1f, src[(t * plane + p) * 3 + c]));
    }

    @Test
    void resetStartsANewVideoAndGivesTheSameFrames() throws Exception {
        Case g = golden();
        int zd = g.latents().dim(0), h = g.latents().dim(2), w = g.latents().dim(3);
        StreamingVaeDecoder dec = new StreamingVaeDecoder(g.weights(), g.stats(), h, w, VaeKernels.scalar(PAR));
        Tensor f0 = Tensor.of(latentFrame(g.latents(), 0), zd, h, w), f1 = Tensor.of(latentFrame(g.latents(), 1), zd, h, w);
        float[] a0 = dec.decodeNext(f0).data(), a1 = dec.decodeNext(f1).data();
        assertEquals(2, dec.decodedLatentFrames());
        dec.reset();
        assertEquals(1, dec.nextFrameCount());
        assertArrayEquals(a0, dec.decodeNext(f0).data());
        assertArrayEquals(a1, dec.decodeNext(f1).data());
        // the cache matters: frame 1 decoded with no history differs from frame 1 decoded after frame 0
        dec.reset();
        dec.decodeNext(f1);
        float[] noHistory = dec.decodeNext(f1).data();
        double diff = 0;
        for (int i = 0; i < a1.length; i++) diff = Math.max(diff, Math.abs(a1[i] - noHistory[i]));
        assertTrue(diff > 1e-3, "history has no effect: " + diff);
    }

    /**
     * The fast kernels decode bit-identically every time: the first decode runs partly interpreted, the later ones
     * compiled, and the Vector API's own exp and lane sums used to round differently between the two.
     */
    @Test
    void fastDecodeIsBitReproducible() throws Exception {
        Case g = golden();
        WanVae vae = new WanVae(g.weights(), VaeKernels.fast(PAR));
        float[] first = vae.decode(g.latents(), g.stats()).data();
        float[] again = vae.decode(g.latents(), g.stats()).data();
        for (int i = 0; i < 3; i++) vae.decode(g.latents(), g.stats());
        float[] last = vae.decode(g.latents(), g.stats()).data();
        assertArrayEquals(first, again, "second decode");
        assertArrayEquals(first, last, "sixth decode");
    }

    @Test
    void wrongLatentShapeIsRefused() throws Exception {
        Case g = golden();
        StreamingVaeDecoder dec = new StreamingVaeDecoder(g.weights(), g.stats(), 3, 4, VaeKernels.scalar(PAR));
        ShapeException e = assertThrows(ShapeException.class, () -> dec.decodeNext(Tensor.zeros(4, 4, 4)));
        assertTrue(e.getMessage().contains("latent frame"), e.getMessage());
        assertThrows(ShapeException.class, () -> dec.decodeNext(new float[47], 0, new float[1000], 0));
        assertThrows(IllegalArgumentException.class, () -> new StreamingVaeDecoder(g.weights(), LatentStats.WAN_2_1, 3, 4,
                VaeKernels.scalar(PAR)));
    }
}
