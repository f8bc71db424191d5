package longlive.dit;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import longlive.cache.ModelCache;
import longlive.kernel.Parallel;
import longlive.stream.SeededNoise;
import org.junit.jupiter.api.Test;

class CausalDitTest {
    static final DitConfig C = DitConfig.TINY;
    static final int H = 4, W = 6, N = 3, FSL = 6, FRAME = 4 * H * W;

    /**
     * Global attention past max_attention_size reads the sink and the most recent slots, which are not adjacent
     * in its cache (a two-interval mask); a rolling window of that size holds exactly those keys, contiguously. With
     * absolute RoPE both must give the same outputs.
     */
    @Test
    void globalAttentionPastItsBudgetEqualsARollingWindowOfTheBudget() {
        try (Parallel par = new Parallel(2)) {
            DitWeights w = DitWeights.random(C, 9, par);
            CausalDit model = new CausalDit(w, DitKernels.fast(par), RopeMode.ABSOLUTE);
            float[] prompt = new float[C.textLen() * C.textDim()];
            new SeededNoise(4).initial(0, prompt, 0, prompt.length);
            float[] ctx = new float[C.textLen() * C.dim()];
            model.embedPrompt(prompt, C.textLen(), ctx, new float[C.textLen() * Math.max(C.textDim(), C.dim())]);
            ModelCache global = new ModelCache(C.numLayers(), C.dim(), C.textLen(), FSL, 15, 3, false, 6 * FSL, false);
            ModelCache rolling = new ModelCache(C.numLayers(), C.dim(), C.textLen(), FSL, 6, 3, true, 6 * FSL, false);
            DitState st = new DitState(C, N, FSL);
            float[] x = new float[N * FRAME], a = new float[N * FRAME], b = new float[N * FRAME];
            float[] t = {937.5f, 937.5f, 937.5f}, zero = new float[N];
            for (int blk = 0; blk < 5; blk++) {
                new SeededNoise(blk).initial(0, x, 0, x.length);
                model.forward(st, global, x, 0, N, H, W, t, ctx, blk * N, false, a, 0);
                model.forward(st, rolling, x, 0, N, H, W, t, ctx, blk * N, false, b, 0);
                double err = Golden.relError(a, b);
                assertTrue(err < 1e-6, "block " + blk + ": " + err);
                model.forward(st, global, x, 0, N, H, W, zero, ctx, blk * N, false, a, 0);
                model.forward(st, rolling, x, 0, N, H, W, zero, ctx, blk * N, false, b, 0);
            }
        }
    }

    @Test
    void absoluteModeRefusesPositionsPastTheTable() {
        try (Parallel par = new Parallel(1)) {
            CausalDit model = new CausalDit(DitWeights.random(C, 1, par), DitKernels.scalar(par), RopeMode.ABSOLUTE);
            ModelCache cache = new ModelCache(C.numLayers(), C.dim(), C.textLen(), FSL, 12, 3, true, 12 * FSL, false);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> model.forward(
                    new DitState(C, N, FSL), cache, new float[N * FRAME], 0, N, H, W, new float[N],
                    new float[C.textLen() * C.dim()], 1022, false, new float[N * FRAME], 0));
            assertTrue(e.getMessage().contains("relative"), e.getMessage());
        }
    }
}
