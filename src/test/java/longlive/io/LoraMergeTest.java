package longlive.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import longlive.kernel.MatMul;
import longlive.kernel.Parallel;
import longlive.kernel.ScalarMatMul;
import longlive.kernel.VectorMatMul;
import longlive.tensor.Tensor;
import org.junit.jupiter.api.Test;

class LoraMergeTest {
    private static final MatMul SERIAL = new ScalarMatMul(Parallel.serial());

    private static void assertClose(String what, JsonNode want, Tensor got) {
        JsonNode v = want.get("values");
        assertEquals(v.size(), got.size(), what);
        for (int i = 0; i < got.size(); i++) {
            double w = v.get(i).doubleValue();
            assertEquals(w, got.data()[i], 1e-5 * (1 + Math.abs(w)), what + "[" + i + "]");
        }
    }

    @Test
    void mergesLongLiveLoraLikeTorch() throws IOException {
        JsonNode want = TorchCheckpointTest.expected("lora.pt");
        JsonNode meta = want.get("_meta");
        try (Parallel par = new Parallel(2);
             StateDict base = LongLiveCheckpoints.generator(TorchCheckpointTest.fixture("longlive_like.pt"), null);
             StateDict lora = LongLiveCheckpoints.lora(TorchCheckpointTest.fixture("lora.pt"), null)) {
            LoraMerge m = LoraMerge.plan(base, lora, meta.get("alpha").doubleValue(), new VectorMatMul(par));
            assertEquals(meta.get("modules").size(), m.modules().size());
            assertEquals(meta.get("rank").intValue(), m.modules().get(0).rank());
            StateDict merged = m.merged();
            assertEquals(base.names(), merged.names());
            for (LoraMerge.Module mod : m.modules())
                assertClose(mod.name(), want.get("merged/" + mod.weightKey()), merged.tensor(mod.weightKey()));
            // untouched tensors pass through unchanged
            assertArrayEquals(base.tensor("blocks.0.self_attn.q.bias").data(), merged.tensor("blocks.0.self_attn.q.bias").data());
            LoraMerge dflt = LoraMerge.plan(base, lora, Double.NaN, SERIAL);
            assertClose("alpha=r", want.get("merged_alpha_r/blocks.0.ffn.2.weight"), dflt.merged().tensor("blocks.0.ffn.2.weight"));
        }
    }

    private static Map<String, Tensor> baseTensors() {
        Map<String, Tensor> b = new LinkedHashMap<>();
        b.put("blocks.0.q.weight", Tensor.zeros(4, 3));
        b.put("blocks.0.q.bias", Tensor.zeros(4));
        b.put("blocks.0.k.weight", Tensor.zeros(4, 3));
        return b;
    }

    @Test
    void refusesOrphansMismatchesAndNonLoraKeysNamingThemAll() {
        StateDict base = StateDict.ofTensors("base", baseTensors());
        Map<String, Tensor> l = new LinkedHashMap<>();
        l.put("base_model.model.blocks.0.q.lora_A.weight", Tensor.zeros(2, 3));       // orphan: no B
        l.put("base_model.model.blocks.0.k.lora_A.weight", Tensor.zeros(2, 5));       // wrong in
        l.put("base_model.model.blocks.0.k.lora_B.weight", Tensor.zeros(4, 2));
        l.put("base_model.model.blocks.0.v.lora_A.weight", Tensor.zeros(2, 3));       // no base weight
        l.put("base_model.model.blocks.0.v.lora_B.weight", Tensor.zeros(4, 2));
        l.put("base_model.model.blocks.0.q.lora_magnitude_vector", Tensor.zeros(4));  // DoRA: unsupported
        CheckpointException e = assertThrows(CheckpointException.class,
                () -> LoraMerge.plan(base, StateDict.ofTensors("lora", l), Double.NaN, SERIAL));
        String msg = e.getMessage();
        assertTrue(msg.contains("4 problems"), msg);
        assertTrue(msg.contains("blocks.0.q: has lora_A but no lora_B"), msg);
        assertTrue(msg.contains("blocks.0.k: shapes do not fit, weight [4, 3], lora_A [2, 5]"), msg);
        assertTrue(msg.contains("blocks.0.v: no base weight blocks.0.v.weight"), msg);
        assertTrue(msg.contains("lora_magnitude_vector: not a LoRA factor"), msg);
        assertThrows(CheckpointException.class, () -> LoraMerge.plan(base, StateDict.ofTensors("lora", Map.of()),
                Double.NaN, SERIAL));
    }

    @Test
    void acceptsAdapterNamesAndBaseLayerNaming() {
        Map<String, Tensor> b = new LinkedHashMap<>();
        b.put("blocks.0.q.base_layer.weight", Tensor.of(new float[] {1, 0, 0, 1}, 2, 2));
        b.put("blocks.0.q.base_layer.bias", Tensor.zeros(2));
        Map<String, Tensor> l = new LinkedHashMap<>();
        l.put("blocks.0.q.lora_A.default.weight", Tensor.of(new float[] {1, 2}, 1, 2));
        l.put("blocks.0.q.lora_B.default.weight", Tensor.of(new float[] {3, 4}, 2, 1));
        LoraMerge m = LoraMerge.plan(StateDict.ofTensors("b", b), StateDict.ofTensors("l", l), 2.0, SERIAL);
        assertEquals(List.of("blocks.0.q.weight", "blocks.0.q.bias"), List.copyOf(m.merged().names()));
        // W + (2/1)·[3,4]ᵀ·[1,2] = I + 2·[[3,6],[4,8]]
        assertArrayEquals(new float[] {7, 12, 8, 17}, m.merged().tensor("blocks.0.q.weight").data());
        assertThrows(CheckpointException.class, () -> LoraMerge.plan(StateDict.ofTensors("b", b),
                StateDict.ofTensors("l", l), -1, SERIAL));
    }

    @Test
    void addLowRankMatchesNaiveSumWithEveryGemmAndThreadCount() {
        Random r = new Random(9);
        int out = 37, rank = 5, in = 29;
        float[] w = new float[out * in], b = new float[out * rank], a = new float[rank * in];
        for (int i = 0; i < w.length; i++) w[i] = r.nextFloat() - 0.5f;
        for (int i = 0; i < b.length; i++) b[i] = r.nextFloat() - 0.5f;
        for (int i = 0; i < a.length; i++) a[i] = r.nextFloat() - 0.5f;
        float[] want = w.clone();
        for (int o = 0; o < out; o++)
            for (int i = 0; i < in; i++) {
                double s = 0;
                for (int k = 0; k < rank; k++) s += (double) b[o * rank + k] * a[k * in + i];
                want[o * in + i] += (float) (0.75 * s);
            }
        for (int threads : new int[] {1, 3}) {
            try (Parallel p = new Parallel(threads)) {
                for (MatMul mm : new MatMul[] {new ScalarMatMul(p), new VectorMatMul(p)}) {
                    float[] got = w.clone();
                    LoraMerge.addLowRank(got, b, a, out, rank, in, 0.75f, mm);
                    for (int i = 0; i < got.length; i++)
                        assertEquals(want[i], got[i], 1e-5f, mm.getClass().getSimpleName() + " threads " + threads + " at " + i);
                }
            }
        }
        assertThrows(longlive.tensor.ShapeException.class,
                () -> LoraMerge.addLowRank(new float[3], b, a, out, rank, in, 1f, SERIAL));
    }
}
