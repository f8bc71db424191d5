package longlive.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import longlive.dit.Golden;
import longlive.io.SafeTensors;
import longlive.io.StateDict;
import longlive.io.UmT5Checkpoint;
import longlive.kernel.Parallel;
import longlive.train.Param;
import longlive.train.ParamSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The umT5 training forward/backward: golden gradients from the reference, finite differences, bookkeeping. */
class T5BackwardTest {

    /** Runs every sequence of a golden case forward and back; returns the worst relative gradient error. */
    private static double goldenRun(Path dir, T5Kernels kernels) throws Exception {
        TextReplayCase c = TextReplayCase.read(dir);
        int len = c.length(), d = c.config().dim();
        float[] r, embeds;
        try (StateDict in = SafeTensors.load(dir.resolve("inputs.safetensors"))) {
            r = in.tensor("grad_output", c.batch(), len, d).data();
        }
        T5Backward bw = new T5Backward(c.weights(), kernels);
        T5Weights grads = T5Weights.zeros(c.config());
        T5Tape tape = new T5Tape(c.config(), len);
        try (StateDict exp = SafeTensors.load(dir.resolve("expected.safetensors"))) {
            embeds = exp.tensor("text_embeds").data();
            for (int b = 0; b < c.batch(); b++) {
                long[] ids = Arrays.copyOfRange(c.tokenIds(), b * len, (b + 1) * len);
                long[] mask = Arrays.copyOfRange(c.mask(), b * len, (b + 1) * len);
                float[] out = bw.forward(tape, ids, mask);
                double fe = Golden.relError(out, 0, embeds, b * len * d, len * d);
                assertTrue(fe <= 1e-5, "forward of sequence " + b + ": " + fe);
                bw.backward(tape, Arrays.copyOfRange(r, b * len * d, (b + 1) * len * d), grads);
            }
            ParamSet ours = new ParamSet();
            T5Backward.registerParams(ours, c.weights(), grads);
            double worst = 0;
            for (Param p : ours) {
                float[] ref = exp.tensor("grad." + p.name()).data();
                double err = Golden.relError(p.grad(), ref);
                worst = Math.max(worst, err);
                assertTrue(err <= 1e-3, p.name() + ": rel. error " + err);
            }
            assertEquals(exp.names().size() - 1, ours.size(), "one expected gradient per parameter");
            return worst;
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"per_layer_pos", "shared_pos"})
    void gradientsMatchTheReference(String name) throws Exception {
        Path dir = Golden.dir("t5_grad/" + name);
        try (Parallel par = new Parallel(2)) {
            double scalar = goldenRun(dir, T5Kernels.scalar(Parallel.serial()));
            double fast = goldenRun(dir, T5Kernels.fast(par));
            System.out.printf("t5 backward %s: worst gradient rel. error %.3g (scalar), %.3g (vector)%n", name,
                    scalar, fast);
        }
    }

    private static final T5Config FD_PER_LAYER = new T5Config(13, 8, 6, 10, 2, 2, 8, false);
    private static final T5Config FD_SHARED = new T5Config(13, 8, 6, 10, 2, 2, 8, true);

    private static double loss(T5Backward bw, T5Tape tape, long[] ids, long[] mask, float[] r) {
        float[] out = bw.forward(tape, ids, mask);
        double s = 0;
        for (int i = 0; i < out.length; i++) s += (double) out[i] * r[i];
        return s;
    }

    /** Central differences (in double around float weights) on sampled elements of every parameter. */
    private static void finiteDifferences(T5Config c, long[] ids, long[] mask) {
        T5Weights w = T5Weights.random(c, 5, Parallel.serial());
        // Larger position tables and embeddings than the init, so the bias and every path matter.
        SplittableRandom rnd = new SplittableRandom(11);
        for (float[] t : tables(w)) for (int i = 0; i < t.length; i++) t[i] = (float) rnd.nextGaussian();
        T5Backward bw = new T5Backward(w, T5Kernels.scalar(Parallel.serial()));
        T5Tape tape = new T5Tape(c, ids.length);
        float[] r = new float[ids.length * c.dim()];
        for (int i = 0; i < r.length; i++) r[i] = (float) rnd.nextGaussian();
        T5Weights g = T5Weights.zeros(c);
        bw.forward(tape, ids, mask);
        bw.backward(tape, r, g);
        ParamSet ps = new ParamSet();
        T5Backward.registerParams(ps, w, g);
        int checked = 0;
        for (Param p : ps) {
            float[] v = p.value();
            double scale = 0;
            for (float x : p.grad()) scale = Math.max(scale, Math.abs(x));
            List<Integer> idx = new ArrayList<>();
            if (p.name().equals("token_embedding.weight")) {
                for (int t = 0; t < 3; t++) idx.add((int) ids[t] * c.dim() + t);
                idx.add((c.vocabSize() - 1) * c.dim()); // an unused row: gradient exactly 0
            } else if (v.length <= 16) {
                for (int i = 0; i < v.length; i++) idx.add(i); // norms and position tables: every element
            } else for (int s = 0; s < 6; s++) idx.add(rnd.nextInt(v.length));
            for (int i : idx) {
                float orig = v[i];
                float eps = 1e-2f * Math.max(1f, Math.abs(orig));
                v[i] = orig + eps;
                double up = loss(bw, tape, ids, mask, r);
                v[i] = orig - eps;
                double down = loss(bw, tape, ids, mask, r);
                v[i] = orig;
                double num = (up - down) / (2.0 * eps);
                double ana = p.grad()[i];
                assertTrue(Math.abs(num - ana) <= 2e-2 * scale + 1e-3,
                        p.name() + "[" + i + "]: analytic " + ana + " vs numeric " + num + " (scale " + scale + ")");
                checked++;
            }
            assertTrue(scale > 0, p.name() + " got no gradient at all");
        }
        assertTrue(checked > 100);
    }

    private static List<float[]> tables(T5Weights w) {
        List<float[]> t = new ArrayList<>();
        if (w.sharedPosEmbedding() != null) t.add(w.sharedPosEmbedding());
        for (T5BlockWeights b : w.blocks()) if (b.posEmbedding() != null) t.add(b.posEmbedding());
        return t;
    }

    @Test
    void finiteDifferencesPrefixMask() {
        long[] ids = {3, 7, 1, 12, 7, 5, 9, 0, 0, 0, 0, 0, 0, 0};
        long[] mask = {1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0};
        finiteDifferences(FD_PER_LAYER, ids, mask);
        finiteDifferences(FD_SHARED, ids, mask);
    }

    @Test
    void finiteDifferencesMaskWithAHole() {
        // 14 positions reach the logarithmic buckets of 8 (exact below 2 per direction); the hole is not a prefix.
        long[] ids = {3, 7, 1, 12, 7, 5, 9, 2, 4, 6, 8, 10, 11, 1};
        long[] mask = {1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 0, 1};
        finiteDifferences(FD_PER_LAYER, ids, mask);
    }

    @Test
    void forwardIsTheInferenceEncoderBitForBit() {
        T5Config c = T5Config.TINY;
        T5Weights w = T5Weights.random(c, 3, Parallel.serial());
        long[] ids = new long[20], hole = new long[20], prefix = new long[20];
        for (int i = 0; i < 20; i++) {
            ids[i] = (i * 7 + 1) % c.vocabSize();
            prefix[i] = i < 13 ? 1 : 0;
            hole[i] = i == 4 || i > 15 ? 0 : 1;
        }
        try (Parallel par = new Parallel(2)) {
            for (T5Kernels k : new T5Kernels[] {T5Kernels.scalar(Parallel.serial()), T5Kernels.fast(par)}) {
                T5Backward bw = new T5Backward(w, k);
                T5Tape tape = new T5Tape(c, 24);
                T5Encoder enc = new T5Encoder(w, k);
                assertArrayEquals(enc.forward(ids, prefix), bw.forward(tape, ids, prefix));
                assertEquals(13, tape.rows());
                assertArrayEquals(enc.forward(ids, hole), bw.forward(tape, ids, hole));
                assertEquals(20, tape.rows());
            }
        }
    }

    @Test
    void backwardAccumulatesAndRegistersEveryTensorByItsStateDictName() {
        T5Config c = FD_PER_LAYER;
        T5Weights w = T5Weights.random(c, 8, Parallel.serial());
        T5Backward bw = new T5Backward(w, T5Kernels.scalar(Parallel.serial()));
        T5Tape tape = new T5Tape(c, 6);
        long[] ids = {1, 2, 3, 4, 0, 0}, mask = {1, 1, 1, 1, 0, 0};
        float[] r = new float[6 * c.dim()];
        Arrays.fill(r, 0.5f);
        T5Weights once = T5Weights.zeros(c), twice = T5Weights.zeros(c);
        bw.forward(tape, ids, mask);
        bw.backward(tape, r, once);
        bw.backward(tape, r, twice);
        bw.backward(tape, r, twice);
        ParamSet a = new ParamSet(), b = new ParamSet();
        T5Backward.registerParams(a, w, once);
        T5Backward.registerParams(b, w, twice);
        assertEquals(List.copyOf(UmT5Checkpoint.expectedShapes(c).keySet()), a.names());
        for (Param p : a) {
            float[] g2 = b.get(p.name()).grad();
            for (int i = 0; i < g2.length; i++) assertEquals(2 * p.grad()[i], g2[i], 1e-6f * (1 + Math.abs(g2[i])));
            assertArrayEquals(UmT5Checkpoint.expectedShapes(c).get(p.name()), p.shape());
        }
        // The parameter values are the live model arrays (training updates the model).
        assertTrue(a.get("blocks.1.ffn.fc2.weight").value() == w.blocks().get(1).fc2().floats());
        // Gradient of output rows that the forward zeroed is ignored: only padding rows set -> nothing changes.
        T5Weights none = T5Weights.zeros(c);
        float[] padOnly = new float[6 * c.dim()];
        Arrays.fill(padOnly, 4 * c.dim(), padOnly.length, 1f);
        bw.backward(tape, padOnly, none);
        ParamSet n = new ParamSet();
        T5Backward.registerParams(n, w, none);
        assertEquals(0.0, n.gradNorm());
    }

    @Test
    void adamWOnTheRegisteredParamsFitsTwoPromptsToTargets() {
        // Two different prompts should map to two given target embeddings: a small end-to-end training run on the
        // contract's optimizer, through forward, backward and the registered parameters.
        T5Config c = FD_PER_LAYER;
        T5Weights w = T5Weights.random(c, 21, Parallel.serial());
        T5Weights g = T5Weights.zeros(c);
        ParamSet ps = new ParamSet();
        T5Backward.registerParams(ps, w, g);
        T5Backward bw = new T5Backward(w, T5Kernels.scalar(Parallel.serial()));
        long[][] ids = {{1, 4, 6, 0}, {1, 5, 6, 0}};
        long[] mask = {1, 1, 1, 0};
        SplittableRandom rnd = new SplittableRandom(2);
        float[][] target = new float[2][4 * c.dim()];
        for (float[] t : target) for (int i = 0; i < 3 * c.dim(); i++) t[i] = (float) rnd.nextGaussian();
        T5Tape[] tapes = {new T5Tape(c, 4), new T5Tape(c, 4)};
        var opt = new longlive.train.AdamW(ps, new longlive.train.AdamWConfig(0.9, 0.99, 1e-8, 0.0));
        double first = 0, last = 0;
        for (int step = 0; step < 60; step++) {
            ps.zeroGrad();
            double loss = 0;
            for (int b = 0; b < 2; b++) {
                float[] out = bw.forward(tapes[b], ids[b], mask);
                float[] d = new float[out.length];
                for (int i = 0; i < out.length; i++) {
                    float e = out[i] - target[b][i];
                    loss += e * e;
                    d[i] = 2 * e;
                }
                bw.backward(tapes[b], d, g);
            }
            if (step == 0) first = loss;
            last = loss;
            opt.step(3e-2);
        }
        System.out.printf("t5 backward + AdamW, 60 steps: squared error %.3f -> %.3f%n", first, last);
        assertTrue(last < 0.2 * first, "squared error " + first + " -> " + last);
    }

    @Test
    void bf16WeightsAreRefusedWithAClearMessage() {
        T5Weights w = T5Weights.random(FD_SHARED, 1, Parallel.serial(), true);
        var e = assertThrows(IllegalArgumentException.class,
                () -> new T5Backward(w, T5Kernels.scalar(Parallel.serial())));
        assertTrue(e.getMessage().contains("bf16") && e.getMessage().contains("toFloat32"), e.getMessage());
        T5Backward ok = new T5Backward(w.toFloat32(), T5Kernels.scalar(Parallel.serial()));
        T5Tape tape = new T5Tape(FD_SHARED, 4);
        ok.forward(tape, new long[] {1, 2, 3, 4}, new long[] {1, 1, 1, 1});
        assertThrows(IllegalArgumentException.class,
                () -> ok.backward(tape, new float[4 * FD_SHARED.dim()], T5Weights.zeros(FD_SHARED).toBf16()));
        assertThrows(longlive.tensor.ShapeException.class,
                () -> ok.forward(tape, new long[5], new long[] {1, 1, 1, 1, 1}));
    }
}
