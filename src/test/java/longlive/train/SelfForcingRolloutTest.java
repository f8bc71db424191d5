package longlive.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import longlive.dit.CausalDit;
import longlive.dit.DitKernels;
import longlive.dit.DitParams;
import longlive.dit.DitTraining;
import longlive.dit.DitWeights;
import longlive.kernel.Parallel;
import longlive.pipeline.ModelDirectory;
import longlive.stream.NoiseSource;
import longlive.stream.StreamingGenerator;
import longlive.text.T5Kernels;
import longlive.text.TextEncoder;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The training rollout is the inference generator (same frames), and its gradient treats the cache as constant. */
class SelfForcingRolloutTest {
    @TempDir
    static Path shared;
    static ModelDirectory md;
    static TextEncoder text;

    @BeforeAll
    static void model() throws Exception {
        md = ModelDirectory.open(TinyTeacher.make(shared));
        text = TextEncoder.load(md.t5Weights(), md.tokenizer(), md.dit().textLen(), T5Kernels.fast(Parallel.serial()), 16);
    }

    /** Draws in call order from one generator: the order the rollout draws in. */
    private record Sequential(SplittableRandom rnd) implements NoiseSource {
        public void initial(int block, float[] out, int off, int n) {
            fill(out, off, n);
        }

        public void step(int block, int step, float[] out, int off, int n) {
            fill(out, off, n);
        }

        private void fill(float[] out, int off, int n) {
            float[] a = new float[n];
            VaeTraining.gaussian(rnd, a);
            System.arraycopy(a, 0, out, off, n);
        }
    }

    @Test
    void fullDenoisingRolloutWithASwitchEqualsTheInferenceGenerator() {
        DitKernels dk = DitKernels.fast(Parallel.serial());
        DitWeights w = md.loadDit(dk.matMul());
        float[] a = text.encode("a red circle moves left on a blue background").data();
        float[] b = text.encode("a green square bounces on a black background").data();
        int blocks = 5, h = md.latentHeight(), wd = md.latentWidth();
        SelfForcingRollout r = new SelfForcingRollout(w, dk, md.inference(), h, wd, 3 * blocks, 1);
        int last = r.denoisingSteps() - 1;
        SplittableRandom rr = new SplittableRandom(9);
        r.begin(a);
        r.generate(2, last, false, rr);
        r.switchPrompt(b);
        r.generate(3, last, false, rr);

        StreamingGenerator g = new StreamingGenerator(new CausalDit(w, dk, md.inference().ropeMode()), md.inference(), h, wd,
                3 * blocks, new Sequential(new SplittableRandom(9)), a, md.dit().textLen(), null);
        float[] out = new float[3 * blocks * r.frameSize()];
        g.step(out, 0);
        g.step(out, 3 * r.frameSize());
        g.requestPromptSwitch(b, md.dit().textLen());
        for (int k = 2; k < blocks; k++) g.step(out, 3 * k * r.frameSize());
        assertEquals(3 * blocks, r.frames());
        assertArrayEquals(out, Arrays.copyOf(r.sequence(), out.length), "training rollout != inference generator");
    }

    /**
     * A chunk generated after an earlier one (cache carried over): its gradient equals finite differences in which
     * the earlier chunk, and so the cache, is held fixed (the reference's detached cache).
     */
    @Test
    void chunkGradientHoldsTheCarriedCacheConstant() {
        DitKernels dk = DitKernels.fast(Parallel.serial());
        DitWeights w = md.loadDit(dk.matMul());
        DitWeights g = DitTraining.zerosLike(w);
        ParamSet params = new ParamSet();
        DitParams.register(w, g, params::add);
        float[] prompt = text.encode("a small yellow triangle drifts up").data();
        int h = md.latentHeight(), wd = md.latentWidth();
        SelfForcingRollout r = new SelfForcingRollout(w, dk, md.inference(), h, wd, 9, 2);
        int fs = r.frameSize(), n = 6 * fs;
        float[] weights = new float[n];
        VaeTraining.gaussian(new SplittableRandom(4), weights);

        // L = sum weights · (frames 3..8), the second chunk (2 blocks, exit step 0 = from pure noise)
        float[] first = run(r, prompt, true);
        float[] dX = weights.clone();
        r.backward(dX, 0, g);
        int checked = 0;
        for (Param p : params) {
            if (!p.name().equals("blocks.0.self_attn.k.weight") && !p.name().equals("blocks.0.cross_attn.v.weight")
                    && !p.name().equals("head.head.weight")) continue;
            int best = 0;
            for (int i = 0; i < p.grad().length; i++) if (Math.abs(p.grad()[i]) > Math.abs(p.grad()[best])) best = i;
            float v = p.value()[best];
            double step = 1e-2;
            p.value()[best] = (float) (v + step);
            double plus = chunkLoss(r, prompt, first, weights, best, p, v);
            p.value()[best] = (float) (v - step);
            double minus = chunkLoss(r, prompt, first, weights, best, p, v);
            p.value()[best] = v;
            double numeric = (plus - minus) / (2 * step);
            assertTrue(Math.abs(p.grad()[best]) > 1e-6, p.name() + ": no gradient");
            assertEquals(numeric, p.grad()[best], 0.03 * Math.abs(numeric) + 1e-5, p.name() + "[" + best + "]");
            checked++;
        }
        assertEquals(3, checked);
    }

    /** First chunk (1 block, all steps) then the second chunk (2 blocks, exit 0); returns the first chunk's frames. */
    private static float[] run(SelfForcingRollout r, float[] prompt, boolean grad) {
        r.begin(prompt);
        r.generate(1, r.denoisingSteps() - 1, false, new SplittableRandom(1));
        float[] first = Arrays.copyOf(r.sequence(), 3 * r.frameSize());
        r.generate(2, 0, grad, new SplittableRandom(2));
        return first;
    }

    /** The loss with the perturbed weight used only for the second chunk: the first chunk runs with the original. */
    private static double chunkLoss(SelfForcingRollout r, float[] prompt, float[] first, float[] weights, int idx, Param p, float original) {
        float perturbed = p.value()[idx];
        p.value()[idx] = original;
        r.begin(prompt);
        r.generate(1, r.denoisingSteps() - 1, false, new SplittableRandom(1));
        assertArrayEquals(first, Arrays.copyOf(r.sequence(), first.length));
        p.value()[idx] = perturbed;
        r.weightsChanged();
        r.generate(2, 0, false, new SplittableRandom(2));
        double l = 0;
        int off = 3 * r.frameSize();
        for (int i = 0; i < weights.length; i++) l += (double) weights[i] * r.sequence()[off + i];
        return l;
    }
}
