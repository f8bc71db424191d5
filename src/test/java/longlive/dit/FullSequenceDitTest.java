package longlive.dit;

import static org.junit.jupiter.api.Assertions.assertTrue;

import longlive.cache.ModelCache;
import longlive.kernel.KeyMask;
import longlive.kernel.Parallel;
import longlive.stream.SeededNoise;
import org.junit.jupiter.api.Test;

/**
 * The full-sequence mode agrees with the cached mode where the reference says they compute the same thing: a
 * block-causal forward over two blocks equals two cached calls, and a teacher-forced forward equals the cached
 * generation's noisy calls interleaved with clean cache passes.
 */
class FullSequenceDitTest {
    static final DitConfig C = DitConfig.TINY;
    static final int H = 4, W = 6, N = 3, FSL = 6, FRAME = 4 * H * W;

    static float[] randn(long seed, int n) {
        float[] a = new float[n];
        new SeededNoise(seed).initial(0, a, 0, n);
        return a;
    }

    @Test
    void blockCausalForwardEqualsCachedBlocksAndTeacherForcingEqualsCachePasses() {
        try (Parallel par = new Parallel(2)) {
            DitKernels k = DitKernels.fast(par);
            DitWeights w = DitWeights.random(C, 5, par);
            CausalDit causal = new CausalDit(w, k, RopeMode.ABSOLUTE);
            FullSequenceDit full = new FullSequenceDit(w, k);
            float[] prompt = randn(1, C.textLen() * C.textDim());
            float[] ctx = new float[C.textLen() * C.dim()];
            causal.embedPrompt(prompt, C.textLen(), ctx, new float[C.textLen() * Math.max(C.textDim(), C.dim())]);
            int frames = 2 * N;
            float[] x = randn(2, frames * FRAME), clean = randn(3, frames * FRAME);
            float[] t = {937.5f, 937.5f, 937.5f, 625f, 625f, 625f};

            // cached: block 0 then block 1 (block 1 sees block 0's keys written by its own call)
            ModelCache cache = new ModelCache(C.numLayers(), C.dim(), C.textLen(), FSL, 12, 3, true, 12 * FSL, false);
            DitState st = new DitState(C, N, FSL);
            float[] cached = new float[frames * FRAME];
            for (int b = 0; b < 2; b++)
                causal.forward(st, cache, x, b * N * FRAME, N, H, W, java.util.Arrays.copyOfRange(t, b * N, b * N + N),
                        ctx, b * N, false, cached, b * N * FRAME);
            float[] together = new float[frames * FRAME];
            full.forward(new DitState(C, frames, FSL), x, 0, frames, H, W, t, ctx,
                    KeyMask.blockCausal(frames, FSL, N, -1), together, 0);
            double err = Golden.relError(together, cached);
            assertTrue(err < 1e-5, "block-causal full sequence vs cached blocks: " + err);

            // teacher forcing: per block, noisy call then the clean pass at t = 0
            ModelCache cache2 = new ModelCache(C.numLayers(), C.dim(), C.textLen(), FSL, 12, 3, true, 12 * FSL, false);
            float[] noisyOut = new float[frames * FRAME], scratch = new float[N * FRAME];
            for (int b = 0; b < 2; b++) {
                float[] tb = java.util.Arrays.copyOfRange(t, b * N, b * N + N);
                causal.forward(st, cache2, x, b * N * FRAME, N, H, W, tb, ctx, b * N, false, noisyOut, b * N * FRAME);
                causal.forward(st, cache2, clean, b * N * FRAME, N, H, W, new float[N], ctx, b * N, false, scratch, 0);
            }
            float[] tf = new float[frames * FRAME];
            full.forwardTeacherForced(new DitState(C, 2 * frames, FSL), clean, 0, x, 0, frames, H, W, new float[frames], t,
                    N, ctx, tf, 0);
            double err2 = Golden.relError(tf, noisyOut);
            assertTrue(err2 < 1e-5, "teacher forcing vs cached noisy calls with clean cache passes: " + err2);
            // and the bidirectional mask really differs
            float[] bidir = new float[frames * FRAME];
            full.forward(new DitState(C, frames, FSL), x, 0, frames, H, W, t, ctx, null, bidir, 0);
            assertTrue(Golden.relError(bidir, cached) > 1e-3, "bidirectional attention must differ from causal");
        }
    }
}
