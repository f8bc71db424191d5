package longlive.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.SplittableRandom;
import longlive.io.CheckpointException;
import longlive.io.LoraMerge;
import longlive.io.SafeTensors;
import longlive.io.StateDict;
import longlive.kernel.MatMul;
import longlive.kernel.Parallel;
import longlive.kernel.ScalarMatMul;
import longlive.kernel.VectorMatMul;
import longlive.testing.GradCheck;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LoraAdapterTest {
    private static final MatMul MM = new VectorMatMul(Parallel.serial());
    private static final int ROWS = 5;

    /** Two block Linears (adapted), one bias and one head weight (not adapted). */
    private static ParamSet model(SplittableRandom r) {
        ParamSet s = new ParamSet();
        s.add("blocks.0.self_attn.q.weight", rand(r, 6 * 8), 6, 8);
        s.add("blocks.0.self_attn.q.bias", rand(r, 6), 6);
        s.add("blocks.1.ffn.2.weight", rand(r, 8 * 6), 8, 6);
        s.add("head.head.weight", rand(r, 3 * 8), 3, 8);
        return s;
    }

    private static float[] rand(SplittableRandom r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) r.nextGaussian();
        return a;
    }

    /** The toy network: y = ffn2(q(x)) (no bias), loss = Σ y·probe; backward fills the weights' grads. */
    private static double forwardBackward(ParamSet m, float[] x, float[] probe, boolean backward) {
        Param q = m.get("blocks.0.self_attn.q.weight"), f = m.get("blocks.1.ffn.2.weight");
        float[] h = new float[ROWS * 6], y = new float[ROWS * 8];
        MM.linear(ROWS, 8, 6, x, 0, q.value(), 0, null, h, 0);
        MM.linear(ROWS, 6, 8, h, 0, f.value(), 0, null, y, 0);
        if (backward) {
            float[] dh = new float[h.length];
            MM.linearBackward(ROWS, 6, 8, h, 0, f.value(), 0, probe, 0, dh, 0, f.grad(), 0, null);
            MM.linearBackward(ROWS, 8, 6, x, 0, q.value(), 0, dh, 0, null, 0, q.grad(), 0, null);
        }
        return GradCheck.dot(y, probe);
    }

    @Test
    void initialisesLikePeftAndLeavesTheModelUnchangedUntilTrained() {
        ParamSet m = model(new SplittableRandom(1));
        float[] before = m.get("blocks.0.self_attn.q.weight").value().clone();
        LoraAdapter lora = new LoraAdapter(m, LoraAdapter.BLOCK_LINEARS.asMatchPredicate(), 4, 4, 7, MM);
        assertEquals(java.util.List.of("blocks.0.self_attn.q", "blocks.1.ffn.2"), lora.modules());
        assertEquals(4, lora.params().size());
        float[] a = lora.params().get("blocks.0.self_attn.q.lora_A.weight").value();
        double bound = 1 / Math.sqrt(8), maxAbs = 0;
        for (float v : a) maxAbs = Math.max(maxAbs, Math.abs(v));
        assertTrue(maxAbs <= bound && maxAbs > 0.6 * bound, "A ~ U(-1/sqrt(in), 1/sqrt(in)), max |A| " + maxAbs);
        for (float v : lora.params().get("blocks.0.self_attn.q.lora_B.weight").value()) assertEquals(0f, v);
        lora.apply();
        assertArrayEquals(before, m.get("blocks.0.self_attn.q.weight").value());
    }

    @Test
    void factorGradientsMatchFiniteDifferences() {
        SplittableRandom r = new SplittableRandom(3);
        ParamSet m = model(r);
        LoraAdapter lora = new LoraAdapter(m, LoraAdapter.BLOCK_LINEARS.asMatchPredicate(), 3, 6, 11, MM); // scale 2
        for (Param p : lora.params()) System.arraycopy(rand(r, p.size()), 0, p.value(), 0, p.size()); // B ≠ 0
        float[] x = rand(r, ROWS * 8), probe = rand(r, ROWS * 8);
        lora.apply();
        m.zeroGrad();
        lora.params().zeroGrad();
        forwardBackward(m, x, probe, true);
        lora.backward();
        for (Param p : lora.params()) {
            float[] analytic = p.grad().clone();
            GradCheck.check(p.name(), p.value(), analytic, () -> {
                lora.apply();
                return forwardBackward(m, x, probe, false);
            }, 1e-2, 2e-3, 40);
        }
    }

    @Test
    void exportMergesThroughLoraMergeToTheSameWeights(@TempDir Path dir) {
        SplittableRandom r = new SplittableRandom(5);
        ParamSet m = model(r);
        LoraAdapter lora = new LoraAdapter(m, LoraAdapter.BLOCK_LINEARS.asMatchPredicate(), 4, 8, 13, MM);
        for (Param p : lora.params()) System.arraycopy(rand(r, p.size()), 0, p.value(), 0, p.size());
        lora.apply();
        Path file = dir.resolve("lora.safetensors");
        lora.exportPeft(file);
        try (StateDict peft = SafeTensors.load(file)) {
            assertTrue(peft.contains("base_model.model.blocks.1.ffn.2.lora_B.weight"));
            LoraMerge merge = LoraMerge.plan(lora.baseStateDict(), peft, lora.alpha(), new ScalarMatMul(Parallel.serial()));
            assertEquals(2, merge.modules().size());
            for (String w : new String[] {"blocks.0.self_attn.q.weight", "blocks.1.ffn.2.weight"}) {
                float[] merged = merge.merged().tensor(w).data(), ours = m.get(w).value();
                double err = 0;
                for (int i = 0; i < ours.length; i++) err = Math.max(err, Math.abs(merged[i] - ours[i]));
                assertTrue(err < 1e-5, w + ": merged differs by " + err);
            }
            // Reading the export into a fresh adapter gives the same effective weights.
            ParamSet m2 = model(new SplittableRandom(5));
            LoraAdapter again = new LoraAdapter(m2, LoraAdapter.BLOCK_LINEARS.asMatchPredicate(), 4, 8, 99, MM);
            again.importPeft(peft);
            again.apply();
            assertArrayEquals(m.get("blocks.1.ffn.2.weight").value(), m2.get("blocks.1.ffn.2.weight").value());
            lora.remove();
            assertArrayEquals(lora.baseStateDict().tensor("blocks.1.ffn.2.weight").data(), m.get("blocks.1.ffn.2.weight").value());
            LoraAdapter wrongRank = new LoraAdapter(model(new SplittableRandom(5)), LoraAdapter.BLOCK_LINEARS.asMatchPredicate(), 2, 8, 1, MM);
            assertThrows(CheckpointException.class, () -> wrongRank.importPeft(peft));
        }
    }
}
