package longlive.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import longlive.dit.DitWeights;
import longlive.io.SafeTensors;
import longlive.io.StateDict;
import longlive.io.WanDitCheckpoint;
import longlive.kernel.MatMul;
import longlive.kernel.Parallel;
import longlive.kernel.ScalarMatMul;
import longlive.tensor.Tensor;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Model directories holding LongLive's own checkpoint files: {@code dit/longlive_base.pt} (+ {@code dit/lora.pt},
 * {@code dit/longlive.json}) instead of a converted {@code dit/model.safetensors}. The files are made here with
 * {@link TorchSaveWriter} in the layout LongLive saves.
 */
class ModelDirectoryLongLiveTest {
    private static final MatMul MM = new ScalarMatMul(Parallel.serial());
    private static final String Q = "blocks.1.self_attn.q.weight", FFN = "blocks.0.ffn.2.weight";

    @TempDir Path tmp;
    Path dir;
    Map<String, Tensor> wan;   // the converted model's tensors (Wan2.1 names)
    DitWeights expected;

    @BeforeEach
    void tinyModel() throws IOException {
        try (Parallel par = Parallel.serial()) {
            dir = RandomModel.write(tmp.resolve("m"), "tiny", 3, 0, 0, par);
        }
        wan = new LinkedHashMap<>();
        Path st = dir.resolve("dit/model.safetensors");
        try (StateDict sd = SafeTensors.load(st)) {
            for (String k : sd.names()) wan.put(k, sd.tensor(k).copy());
            expected = WanDitCheckpoint.load(sd, ModelDirectory.open(dir).dit());
        }
    }

    /** Replaces model.safetensors by a LongLive .pt: generator = the model, generator_ema = the model + 1. */
    private void writeLongLiveBase(boolean bf16) throws IOException {
        Map<String, Object> gen = new LinkedHashMap<>(), ema = new LinkedHashMap<>();
        for (var e : wan.entrySet()) {
            gen.put("model." + e.getKey(), bf16 ? new TorchSaveWriter.Bf16(e.getValue()) : e.getValue());
            Tensor plus = e.getValue().copy();
            for (int i = 0; i < plus.data().length; i++) plus.data()[i] += 1;
            ema.put("model._fsdp_wrapped_module." + e.getKey(), plus); // FSDP names, as EMA weights are saved
        }
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("generator", gen);
        root.put("generator_ema", ema);
        root.put("critic", Map.of("model.head.head.weight", Tensor.zeros(2, 2)));
        root.put("step", 1200L);
        TorchSaveWriter.write(dir.resolve("dit/longlive_base.pt"), root);
        Files.delete(dir.resolve("dit/model.safetensors"));
    }

    private record Lora(Map<String, Tensor> a, Map<String, Tensor> b) {}

    /** A PEFT LoRA of rank {@code r} on two modules, as LongLive's lora.pt holds it (plus a critic LoRA to ignore). */
    private Lora writeLora(int r, String bShapeBreaker) throws IOException {
        Random rnd = new Random(5);
        Map<String, Tensor> as = new LinkedHashMap<>(), bs = new LinkedHashMap<>();
        Map<String, Object> gl = new LinkedHashMap<>();
        for (String w : new String[] {Q, FFN}) {
            String mod = w.substring(0, w.length() - ".weight".length());
            int[] s = wan.get(w).shape();
            Tensor a = random(rnd, r, s[1]);
            Tensor b = random(rnd, w.equals(bShapeBreaker) ? s[0] + 1 : s[0], r);
            as.put(w, a);
            bs.put(w, b);
            gl.put("base_model.model." + mod + ".lora_A.weight", a);
            gl.put("base_model.model." + mod + ".lora_B.weight", b);
        }
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("generator_lora", gl);
        root.put("critic_lora", Map.of("base_model.model.x.lora_A.weight", Tensor.zeros(1, 1)));
        root.put("step", 7L);
        TorchSaveWriter.write(dir.resolve("dit/lora.pt"), root);
        return new Lora(as, bs);
    }

    private static Tensor random(Random rnd, int rows, int cols) {
        float[] d = new float[rows * cols];
        for (int i = 0; i < d.length; i++) d[i] = (float) rnd.nextGaussian();
        return Tensor.of(d, rows, cols);
    }

    /** W + scale * B A by plain loops. */
    private static float[] merged(Tensor w, Tensor a, Tensor b, double scale) {
        int out = w.shape()[0], in = w.shape()[1], r = a.shape()[0];
        float[] m = w.data().clone();
        for (int o = 0; o < out; o++)
            for (int i = 0; i < in; i++) {
                double s = 0;
                for (int k = 0; k < r; k++) s += b.data()[o * r + k] * a.data()[k * in + i];
                m[o * in + i] += (float) (scale * s);
            }
        return m;
    }

    private static float[] q(DitWeights w) {
        return w.blocks().get(1).selfQ().weight();
    }

    private static float[] ffn2(DitWeights w) {
        return w.blocks().get(0).ffn2().weight();
    }

    @Test
    void longLiveBasePtLoadsLikeTheConvertedFile() throws IOException {
        writeLongLiveBase(false);
        ModelDirectory md = ModelDirectory.open(dir);
        assertEquals("longlive_base.pt", md.ditWeights().getFileName().toString());
        assertNull(md.ditSource().lora());
        DitWeights w = md.loadDit(MM);
        assertArrayEquals(q(expected), q(w));
        assertArrayEquals(expected.head().weight(), w.head().weight());
        assertArrayEquals(expected.patchEmbedding().weight(), w.patchEmbedding().weight());
        // and the whole pipeline loads from it
        try (Parallel par = Parallel.serial()) {
            assertEquals(md, new VideoPipeline(md, par).model());
        }
    }

    @Test
    void useEmaPicksGeneratorEma() throws IOException {
        writeLongLiveBase(false);
        Files.writeString(dir.resolve("dit/longlive.json"), "{\"use_ema\": true}");
        DitWeights w = ModelDirectory.open(dir).loadDit(MM);
        assertEquals(q(expected)[5] + 1, q(w)[5]);
    }

    @Test
    void bf16BaseIsWidened() throws IOException {
        writeLongLiveBase(true);
        DitWeights w = ModelDirectory.open(dir).loadDit(MM);
        float x = q(expected)[7];
        int bits = Float.floatToRawIntBits(x);
        assertEquals(Float.intBitsToFloat((bits + 0x7FFF + ((bits >>> 16) & 1)) & 0xFFFF0000), q(w)[7]);
    }

    @Test
    void loraIsMergedWithAlphaOverRank() throws IOException {
        writeLongLiveBase(false);
        Lora l = writeLora(4, null);
        Files.writeString(dir.resolve("dit/longlive.json"), "{\"adapter\": {\"rank\": 4, \"alpha\": 8}}");
        ModelDirectory md = ModelDirectory.open(dir);
        assertEquals(dir.resolve("dit/lora.pt"), md.ditSource().lora());
        DitWeights w = md.loadDit(MM);
        float[] wantQ = merged(wan.get(Q), l.a().get(Q), l.b().get(Q), 2.0);
        float[] wantF = merged(wan.get(FFN), l.a().get(FFN), l.b().get(FFN), 2.0);
        for (int i = 0; i < wantQ.length; i++) assertEquals(wantQ[i], q(w)[i], 1e-4, "q[" + i + "]");
        for (int i = 0; i < wantF.length; i++) assertEquals(wantF[i], ffn2(w)[i], 1e-4, "ffn.2[" + i + "]");
        assertNotEquals(q(expected)[0], q(w)[0]);
        // untouched weights pass through
        assertArrayEquals(expected.blocks().get(0).selfQ().weight(), w.blocks().get(0).selfQ().weight());
        assertArrayEquals(expected.blocks().get(1).selfQ().bias(), w.blocks().get(1).selfQ().bias());
    }

    @Test
    void loraOnAConvertedModelToo() throws IOException {
        Lora l = writeLora(256, null); // the reference rank: no longlive.json needed, scale 256/256 = 1
        DitWeights w = ModelDirectory.open(dir).loadDit(MM);
        float[] want = merged(wan.get(Q), l.a().get(Q), l.b().get(Q), 1.0);
        for (int i = 0; i < want.length; i += 7) assertEquals(want[i], q(w)[i], 1e-3, "q[" + i + "]");
    }

    @Test
    void loraOfAnotherRankThanConfiguredIsRefused() throws IOException {
        writeLongLiveBase(false);
        writeLora(4, null);   // defaults say rank 256
        Exception e = assertThrows(RuntimeException.class, () -> ModelDirectory.open(dir).loadDit(MM));
        assertTrue(e.getMessage().contains("lora.pt") && e.getMessage().contains("rank 4")
                && e.getMessage().contains("256") && e.getMessage().contains("longlive.json"), e.getMessage());
    }

    @Test
    void mismatchedOrCorruptLoraIsRefusedClearly() throws IOException {
        writeLongLiveBase(false);
        writeLora(4, FFN);    // lora_B one row too many
        Files.writeString(dir.resolve("dit/longlive.json"), "{\"adapter\": {\"rank\": 4, \"alpha\": 4}}");
        Exception e = assertThrows(RuntimeException.class, () -> ModelDirectory.open(dir).loadDit(MM));
        assertTrue(e.getMessage().contains("lora.pt") && e.getMessage().contains("blocks.0.ffn.2")
                && e.getMessage().contains("shapes do not fit"), e.getMessage());
        // a truncated file
        byte[] good = Files.readAllBytes(dir.resolve("dit/lora.pt"));
        Files.write(dir.resolve("dit/lora.pt"), java.util.Arrays.copyOf(good, good.length / 2));
        e = assertThrows(RuntimeException.class, () -> ModelDirectory.open(dir).loadDit(MM));
        assertTrue(e.getMessage().contains("lora.pt"), e.getMessage());
        // a LoRA for modules the model does not have
        Map<String, Object> gl = new LinkedHashMap<>();
        gl.put("base_model.model.blocks.9.self_attn.q.lora_A.weight", Tensor.zeros(4, 32));
        gl.put("base_model.model.blocks.9.self_attn.q.lora_B.weight", Tensor.zeros(32, 4));
        TorchSaveWriter.write(dir.resolve("dit/lora.pt"), Map.of("generator_lora", gl));
        e = assertThrows(RuntimeException.class, () -> ModelDirectory.open(dir).loadDit(MM));
        assertTrue(e.getMessage().contains("blocks.9.self_attn.q") && e.getMessage().contains("no base weight"),
                e.getMessage());
    }

    @Test
    void badLayoutsAreNamed() throws IOException {
        writeLongLiveBase(false);
        Files.copy(dir.resolve("dit/longlive_base.pt"), dir.resolve("dit/model.safetensors"));
        PromptScriptAndModelDirectoryTest.assertMessage(dir, "more than one DiT weight file");
        Files.delete(dir.resolve("dit/model.safetensors"));
        Files.writeString(dir.resolve("dit/longlive.json"), "{\"adapter\": {\"rank\": 0}}");
        PromptScriptAndModelDirectoryTest.assertMessage(dir, "rank must be >= 1");
        Files.writeString(dir.resolve("dit/longlive.json"), "{\"use_emma\": true}");
        PromptScriptAndModelDirectoryTest.assertMessage(dir, "unknown key 'use_emma'");
        Files.writeString(dir.resolve("dit/longlive.json"), "{\"use_ema\": \"yes\"}");
        PromptScriptAndModelDirectoryTest.assertMessage(dir, "longlive.json: 'use_ema' must be true or false");
        // the generator key that is not there
        Files.writeString(dir.resolve("dit/longlive.json"), "{}");
        TorchSaveWriter.write(dir.resolve("dit/longlive_base.pt"), Map.of("generator", Map.of("model.x", Tensor.zeros(1))));
        Files.writeString(dir.resolve("dit/longlive.json"), "{\"use_ema\": true}");
        Exception e = assertThrows(RuntimeException.class, () -> ModelDirectory.open(dir).loadDit(MM));
        assertTrue(e.getMessage().contains("generator_ema"), e.getMessage());
    }
}
