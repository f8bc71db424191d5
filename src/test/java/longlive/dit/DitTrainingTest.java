package longlive.dit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import longlive.cache.ModelCache;
import longlive.io.WanDitCheckpoint;
import longlive.kernel.KeyMask;
import longlive.kernel.Parallel;
import org.junit.jupiter.api.Test;

/**
 * The DiT training forward equals the inference forwards, and its backward is the gradient of the forward:
 * finite-difference checks of every weight tensor, the input latents and the prompt embedding, in every mode
 * (bidirectional, block-causal, teacher forcing, cached block step with absolute and relative RoPE).
 */
class DitTrainingTest {
    // head_dim 12 -> 6 RoPE pairs split 2/2/2; latent 4x4 -> 4 tokens per frame
    static final DitConfig C = new DitConfig("t2v", 24, 40, 16, 2, 2, 4, 4, 6, 8, 1, 2, 2, 1e-6, true, true);
    static final int H = 4, W = 4, FSL = 4, FRAMES = 4, N = 2, FRAME = 4 * H * W;
    static final int WINDOW = 6, SINK = 2, PREFILL_BLOCKS = 3;

    static float[] rand(long seed, int n, double scale) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (r.nextGaussian() * scale);
        return a;
    }

    static DitWeights copy(DitWeights w) {
        DitWeights c = DitWeights.zeros(w.config());
        Map<String, float[]> src = WanDitCheckpoint.tensors(w), dst = WanDitCheckpoint.tensors(c);
        src.forEach((k, v) -> System.arraycopy(v, 0, dst.get(k), 0, v.length));
        return c;
    }

    /** One training forward of a mode; the cached modes rebuild their detached cache from frozen weights each call. */
    interface Mode {
        void forward(DitTraining tr, DitTape tape, float[] lat, float[] clean, float[] prompt, int rows, float[] out);
    }

    static final float[] T_NOISY = {937.5f, 937.5f, 625f, 625f};
    static final float[] T_CLEAN = {0f, 0f, 0f, 0f};

    static Mode bidirectional() {
        return (tr, tape, lat, clean, p, rows, out) ->
                tr.forward(tape, lat, 0, FRAMES, H, W, T_NOISY, p, rows, null, out, 0);
    }

    static Mode blockCausal() {
        return blockCausal(FSL);
    }

    static Mode blockCausal(int frameSeqLen) {
        KeyMask m = KeyMask.blockCausal(FRAMES, frameSeqLen, N, -1);
        return (tr, tape, lat, clean, p, rows, out) ->
                tr.forward(tape, lat, 0, FRAMES, H, W, T_NOISY, p, rows, m, out, 0);
    }

    static Mode teacherForcing() {
        return (tr, tape, lat, clean, p, rows, out) -> tr.forwardTeacherForced(tape, clean, 0, lat, 0, FRAMES, H, W,
                new float[] {0f, 0f, 30f, 30f}, T_NOISY, N, p, rows, out, 0);
    }

    /**
     * The cache of a cached step. ROLLING: a full rolling window (the step evicts), sink and recent slots adjacent.
     * SPLIT: global attention whose budget is smaller than the cache, so the step attends to the sink slots and the
     * most recent slots, which are not adjacent. SECOND_STEP: ROLLING after a first (inference) denoising step of
     * the same block, so the step with gradient is a recompute of the block's slots (Self-Forcing's exit step).
     */
    record CacheSpec(int window, int sink, boolean rolling, int maxAttentionFrames, boolean secondStep) {
        static final CacheSpec ROLLING = new CacheSpec(WINDOW, SINK, true, WINDOW, false);
        static final CacheSpec SPLIT = new CacheSpec(8, SINK, false, 4, false);
        static final CacheSpec SECOND_STEP = new CacheSpec(WINDOW, SINK, true, WINDOW, true);
    }

    /** A cache holding PREFILL_BLOCKS clean blocks computed by the inference model on frozen weights. */
    static ModelCache prefilled(DitWeights frozen, DitKernels k, RopeMode mode, float[] prompt, int rows) {
        return prefilled(frozen, k, mode, prompt, rows, CacheSpec.ROLLING);
    }

    static ModelCache prefilled(DitWeights frozen, DitKernels k, RopeMode mode, float[] prompt, int rows,
                                CacheSpec cs) {
        ModelCache cache = new ModelCache(C.numLayers(), C.dim(), C.textLen(), FSL, cs.window(), cs.sink(),
                cs.rolling(), cs.maxAttentionFrames() * FSL, mode instanceof RopeMode.Relative);
        CausalDit inf = new CausalDit(frozen, k, mode);
        float[] ctx = new float[C.textLen() * C.dim()];
        inf.embedPrompt(prompt, rows, ctx, new float[C.textLen() * Math.max(C.textDim(), C.dim())]);
        DitState st = new DitState(C, N, FSL);
        for (int b = 0; b < PREFILL_BLOCKS; b++)
            inf.forward(st, cache, rand(90 + b, N * FRAME, 1), 0, N, H, W, new float[N], ctx, b * N, false, null, 0);
        if (cs.secondStep())
            inf.forward(st, cache, rand(99, N * FRAME, 1), 0, N, H, W, new float[] {1000f, 1000f}, ctx,
                    PREFILL_BLOCKS * N, false, new float[N * FRAME], 0);
        return cache;
    }

    /**
     * A copy of {@code snap} (made by {@link #prefilled} with {@code cs}): the same plans committed on a fresh cache
     * (cheap: no model runs), then the key/value slots copied. Finite differences need the detached cache afresh
     * for every evaluation.
     */
    static ModelCache copyOf(ModelCache snap, CacheSpec cs, RopeMode mode) {
        ModelCache m = new ModelCache(C.numLayers(), C.dim(), C.textLen(), FSL, cs.window(), cs.sink(), cs.rolling(),
                cs.maxAttentionFrames() * FSL, mode instanceof RopeMode.Relative);
        int blocks = PREFILL_BLOCKS + (cs.secondStep() ? 1 : 0);
        for (int l = 0; l < C.numLayers(); l++) {
            longlive.cache.KvCache kv = m.layer(l), src = snap.layer(l);
            for (int b = 0; b < blocks; b++) kv.commit(kv.plan((long) b * N * FSL, N * FSL, false));
            assertEquals(src.localEndIndex(), kv.localEndIndex());
            assertEquals(src.globalEndIndex(), kv.globalEndIndex());
            System.arraycopy(src.keys(), 0, kv.keys(), 0, kv.keys().length);
            System.arraycopy(src.values(), 0, kv.values(), 0, kv.values().length);
        }
        return m;
    }

    static Mode cachedStep(DitWeights frozen, DitKernels k, RopeMode mode, float[] prompt, int rows, CacheSpec cs) {
        ModelCache snap = prefilled(frozen, k, mode, prompt, rows, cs);
        return (tr, tape, lat, clean, p, r, out) -> tr.forwardCachedBlock(tape, copyOf(snap, cs, mode), mode, lat, 0,
                N, H, W, new float[] {833.3333f, 833.3333f}, p, r, PREFILL_BLOCKS * N, out, 0);
    }

    static double loss(float[] out, float[] r, int n) {
        double s = 0;
        for (int i = 0; i < n; i++) s += (double) out[i] * r[i];
        return s;
    }

    @Test
    void trainingForwardEqualsTheInferenceForwards() {
        try (Parallel par = new Parallel(1)) {
            DitKernels k = DitKernels.fast(par);
            DitWeights w = DitWeights.random(C, 3, par);
            DitTraining tr = new DitTraining(w, k);
            FullSequenceDit full = new FullSequenceDit(w, k);
            int rows = 4;
            float[] prompt = rand(1, rows * C.textDim(), 1), lat = rand(2, FRAMES * FRAME, 1),
                    clean = rand(3, FRAMES * FRAME, 1);
            float[] ctx = new float[C.textLen() * C.dim()];
            full.embedPrompt(prompt, rows, ctx, new float[C.textLen() * Math.max(C.textDim(), C.dim())]);
            DitTape tape = new DitTape(C, 2 * FRAMES, FSL, WINDOW * FSL);
            float[] ours = new float[FRAMES * FRAME], ref = new float[FRAMES * FRAME];
            for (KeyMask m : new KeyMask[] {null, KeyMask.blockCausal(FRAMES, FSL, N, -1)}) {
                tr.forward(tape, lat, 0, FRAMES, H, W, T_NOISY, prompt, rows, m, ours, 0);
                full.forward(new DitState(C, FRAMES, FSL), lat, 0, FRAMES, H, W, T_NOISY, ctx, m, ref, 0);
                assertTrue(Golden.relError(ours, ref) < 1e-6, "full sequence: " + Golden.relError(ours, ref));
            }
            teacherForcing().forward(tr, tape, lat, clean, prompt, rows, ours);
            full.forwardTeacherForced(new DitState(C, 2 * FRAMES, FSL), clean, 0, lat, 0, FRAMES, H, W,
                    new float[] {0f, 0f, 30f, 30f}, T_NOISY, N, ctx, ref, 0);
            assertTrue(Golden.relError(ours, ref) < 1e-6, "teacher forcing: " + Golden.relError(ours, ref));

            // the cached step: same output as the inference model, and the same cache afterwards
            for (CacheSpec cs : new CacheSpec[] {CacheSpec.ROLLING, CacheSpec.SPLIT, CacheSpec.SECOND_STEP})
            for (RopeMode mode : new RopeMode[] {RopeMode.ABSOLUTE, RopeMode.RELATIVE}) {
                if (cs == CacheSpec.SPLIT && mode instanceof RopeMode.Relative) continue; // relative needs a window
                float[] a = new float[N * FRAME], b = new float[N * FRAME];
                ModelCache ca = prefilled(w, k, mode, prompt, rows, cs), cb = prefilled(w, k, mode, prompt, rows, cs);
                float[] t = {833.3333f, 833.3333f};
                tr.forwardCachedBlock(tape, ca, mode, lat, 0, N, H, W, t, prompt, rows, PREFILL_BLOCKS * N, a, 0);
                new CausalDit(w, k, mode).forward(new DitState(C, N, FSL), cb, lat, 0, N, H, W, t, ctx,
                        PREFILL_BLOCKS * N, false, b, 0);
                double err = Golden.relError(a, b);
                assertTrue(err < 1e-6, mode + " " + cs + " cached step vs CausalDit: " + err);
                for (int l = 0; l < C.numLayers(); l++) {
                    assertEquals(cb.layer(l).localEndIndex(), ca.layer(l).localEndIndex());
                    assertEquals(cb.layer(l).globalEndIndex(), ca.layer(l).globalEndIndex());
                    assertTrue(Golden.relError(ca.layer(l).keys(), cb.layer(l).keys()) < 1e-6);
                    assertTrue(Golden.relError(ca.layer(l).values(), cb.layer(l).values()) < 1e-6);
                }
            }
        }
    }

    @Test
    void bidirectionalGradientsMatchFiniteDifferences() {
        checkGradients("bidirectional", (w, k, p, r) -> bidirectional(), FRAMES, false);
    }

    @Test
    void blockCausalGradientsMatchFiniteDifferences() {
        checkGradients("block-causal", (w, k, p, r) -> blockCausal(), FRAMES, false);
    }

    /** Patch 1 (a token per latent cell, `train teacher --patch 1`): patchify, RoPE grid and unpatchify at 4x4. */
    @Test
    void gradientsWithAOneCellPatchMatchFiniteDifferences() {
        DitConfig one = new DitConfig("t2v", 24, 40, 16, 2, 2, 4, 4, 6, 8, 1, 1, 1, 1e-6, true, true);
        assertEquals(H * W, one.frameSeqLen(H, W));
        checkGradients(one, "patch 1, bidirectional", (w, k, p, r) -> bidirectional(), FRAMES, false);
        checkGradients(one, "patch 1, block-causal", (w, k, p, r) -> blockCausal(H * W), FRAMES, false);
    }

    @Test
    void teacherForcingGradientsMatchFiniteDifferences() {
        checkGradients("teacher forcing", (w, k, p, r) -> teacherForcing(), FRAMES, true);
    }

    @Test
    void cachedStepGradientsMatchFiniteDifferencesAbsoluteRope() {
        checkGradients("cached absolute", (w, k, p, r) -> cachedStep(w, k, RopeMode.ABSOLUTE, p, r, CacheSpec.ROLLING),
                N, false);
    }

    @Test
    void gradientsWithoutQkNormAndCrossAttentionNormMatchFiniteDifferences() {
        DitConfig plain = new DitConfig("t2v", 24, 40, 16, 2, 2, 4, 4, 6, 8, 1, 2, 2, 1e-6, false, false);
        checkGradients(plain, "no qk_norm, no cross_attn_norm", (w, k, p, r) -> blockCausal(), FRAMES, false);
        try (Parallel par = new Parallel(1)) {
            DitKernels k = DitKernels.scalar(par);
            DitWeights w = DitWeights.random(plain, 4, par);
            float[] prompt = rand(1, 3 * plain.textDim(), 1), lat = rand(2, FRAMES * FRAME, 1);
            float[] ctx = new float[plain.textLen() * plain.dim()], ours = new float[FRAMES * FRAME],
                    ref = new float[FRAMES * FRAME];
            FullSequenceDit full = new FullSequenceDit(w, k);
            full.embedPrompt(prompt, 3, ctx, new float[plain.textLen() * Math.max(plain.textDim(), plain.dim())]);
            full.forward(new DitState(plain, FRAMES, FSL), lat, 0, FRAMES, H, W, T_NOISY, ctx, null, ref, 0);
            new DitTraining(w, k).forward(new DitTape(plain, FRAMES, FSL), lat, 0, FRAMES, H, W, T_NOISY, prompt, 3,
                    null, ours, 0);
            assertTrue(Golden.relError(ours, ref) < 1e-6, "no-norm forward: " + Golden.relError(ours, ref));
        }
    }

    @Test
    void cachedSecondDenoisingStepGradientsMatchFiniteDifferences() {
        checkGradients("cached second step", (w, k, p, r) -> cachedStep(w, k, RopeMode.RELATIVE, p, r,
                CacheSpec.SECOND_STEP), N, false);
    }

    @Test
    void cachedStepGradientsMatchFiniteDifferencesSinkApartFromTheRecentSlots() {
        checkGradients("cached split ranges", (w, k, p, r) -> cachedStep(w, k, RopeMode.ABSOLUTE, p, r, CacheSpec.SPLIT),
                N, false);
    }

    @Test
    void cachedStepGradientsMatchFiniteDifferencesRelativeRope() {
        checkGradients("cached relative", (w, k, p, r) -> cachedStep(w, k, RopeMode.RELATIVE, p, r, CacheSpec.ROLLING),
                N, false);
    }

    interface ModeFactory {
        Mode make(DitWeights frozen, DitKernels k, float[] prompt, int rows);
    }

    /**
     * Directional finite differences: for every tensor (weights, latents, clean latents, prompt) a random +-1
     * direction u; the central difference of loss = sum(out * R) along u must equal {@code <grad, u>}. Runs on the
     * scalar kernels in float32, so the step is large-ish and the tolerance 2 %; a wrong backward is off by O(1).
     */
    void checkGradients(String name, ModeFactory factory, int outFrames, boolean teacherForcing) {
        checkGradients(C, name, factory, outFrames, teacherForcing);
    }

    void checkGradients(DitConfig cfg, String name, ModeFactory factory, int outFrames, boolean teacherForcing) {
        try (Parallel par = new Parallel(1)) {
            DitKernels k = DitKernels.scalar(par);
            DitWeights w = DitWeights.random(cfg, 11, par);
            DitWeights frozen = copy(w);
            int rows = 5;
            float[] prompt = rand(21, rows * cfg.textDim(), 1), lat = rand(22, FRAMES * FRAME, 1),
                    clean = rand(23, FRAMES * FRAME, 1);
            Mode mode = factory.make(frozen, k, prompt.clone(), rows);
            DitTraining tr = new DitTraining(w, k);
            int fsl = cfg.frameSeqLen(H, W);
            DitTape tape = new DitTape(cfg, 2 * FRAMES, fsl, WINDOW * fsl);
            int outLen = outFrames * FRAME;
            float[] out = new float[outLen], r = rand(24, outLen, 1);
            mode.forward(tr, tape, lat, clean, prompt, rows, out);
            DitWeights g = DitTraining.zerosLike(w);
            float[] dLat = new float[lat.length], dClean = new float[clean.length], dPrompt = new float[prompt.length];
            tr.backward(tape, r, 0, g, dLat, 0, dClean, 0, dPrompt);
            // accumulation: a second backward doubles everything
            DitWeights g2 = DitTraining.zerosLike(w);
            tr.backward(tape, r, 0, g2, null, 0, null, 0, null);
            tr.backward(tape, r, 0, g2, null, 0, null, 0, null);
            float[] hw = g.head().weight(), hw2 = g2.head().weight();
            for (int i = 0; i < hw.length; i++) assertEquals(2 * hw[i], hw2[i], 1e-5 * (1 + Math.abs(hw[i])));

            Map<String, float[]> values = new LinkedHashMap<>(WanDitCheckpoint.tensors(w));
            Map<String, float[]> grads = new LinkedHashMap<>(WanDitCheckpoint.tensors(g));
            values.put("input.latents", lat);
            grads.put("input.latents", dLat);
            values.put("input.prompt", prompt);
            grads.put("input.prompt", dPrompt);
            if (teacherForcing) {
                values.put("input.clean", clean);
                grads.put("input.clean", dClean);
            }
            List<String> bad = new ArrayList<>();
            double worst = 0;
            String worstName = "";
            SplittableRandom rnd = new SplittableRandom(7);
            for (Map.Entry<String, float[]> e : values.entrySet()) {
                float[] v = e.getValue(), gr = grads.get(e.getKey());
                float[] u = new float[v.length];
                double analytic = 0;
                for (int i = 0; i < v.length; i++) {
                    u[i] = rnd.nextBoolean() ? 1f : -1f;
                    analytic += (double) gr[i] * u[i];
                }
                double h = 1e-3;
                float[] saved = v.clone();
                for (int i = 0; i < v.length; i++) v[i] = (float) (saved[i] + h * u[i]);
                mode.forward(tr, tape, lat, clean, prompt, rows, out);
                double lp = loss(out, r, outLen);
                for (int i = 0; i < v.length; i++) v[i] = (float) (saved[i] - h * u[i]);
                mode.forward(tr, tape, lat, clean, prompt, rows, out);
                double lm = loss(out, r, outLen);
                System.arraycopy(saved, 0, v, 0, v.length);
                double fd = (lp - lm) / (2 * h);
                double err = Math.abs(fd - analytic) / Math.max(Math.abs(analytic), 0.05 * Math.sqrt(v.length));
                if (err > worst) {
                    worst = err;
                    worstName = e.getKey();
                }
                if (err > 0.02) bad.add(e.getKey() + " fd=" + fd + " analytic=" + analytic);
            }
            System.out.printf("DitTrainingTest %s: %d tensors, worst relative error %.2e (%s)%n", name, values.size(),
                    worst, worstName);
            assertTrue(bad.isEmpty(), name + ": gradients differ from finite differences: " + bad);
        }
    }

    @Test
    void registersEveryTensorUnderItsCheckpointNameAliasingWeightsAndGradients() {
        try (Parallel par = new Parallel(1)) {
            DitWeights w = DitWeights.random(C, 1, par), g = DitTraining.zerosLike(w);
            longlive.train.ParamSet set = new longlive.train.ParamSet();
            DitParams.register(w, g, set::add);
            assertEquals(C.parameterCount(), set.count());
            assertEquals(List.copyOf(WanDitCheckpoint.expectedShapes(C).keySet()), set.names());
            assertTrue(set.get("blocks.1.self_attn.q.weight").value() == w.blocks().get(1).selfQ().weight());
            assertTrue(set.get("blocks.1.self_attn.q.weight").grad() == g.blocks().get(1).selfQ().weight());
            assertTrue(set.get("head.modulation").grad() == g.headModulation());
            // a backward fills the registered gradients; zero() clears them
            DitTraining tr = new DitTraining(w, DitKernels.scalar(par));
            DitTape tape = new DitTape(C, FRAMES, FSL);
            float[] out = new float[FRAMES * FRAME];
            bidirectional().forward(tr, tape, rand(1, FRAMES * FRAME, 1), null, rand(2, C.textDim(), 1), 1, out);
            tr.backward(tape, rand(3, out.length, 1), 0, g, null, 0, null, 0, null);
            assertTrue(set.gradNorm() > 0);
            for (longlive.train.Param p : set) {
                double s = 0;
                for (float x : p.grad()) s += Math.abs(x);
                assertTrue(s > 0, p.name() + " got no gradient");
            }
            DitTraining.zero(g);
            assertEquals(0.0, set.gradNorm());
        }
    }

    @Test
    void backwardNeedsAForwardAndTheCachedStepNeedsKeySlots() {
        try (Parallel par = new Parallel(1)) {
            DitWeights w = DitWeights.random(C, 1, par);
            DitTraining tr = new DitTraining(w, DitKernels.scalar(par));
            DitTape tape = new DitTape(C, FRAMES, FSL);
            assertThrows(IllegalStateException.class, () -> tr.backward(tape, new float[FRAMES * FRAME], 0,
                    DitTraining.zerosLike(w), null, 0, null, 0, null));
            ModelCache cache = new ModelCache(C.numLayers(), C.dim(), C.textLen(), FSL, WINDOW, SINK, true,
                    WINDOW * FSL, false);
            assertThrows(longlive.tensor.ShapeException.class, () -> tr.forwardCachedBlock(tape, cache,
                    RopeMode.ABSOLUTE, new float[N * FRAME], 0, N, H, W, new float[N], new float[0], 0, 0,
                    new float[N * FRAME], 0));
        }
    }
}
