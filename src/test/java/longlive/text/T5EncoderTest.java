package longlive.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import longlive.dit.Golden;
import longlive.io.CheckpointException;
import longlive.io.SafeTensors;
import longlive.io.StateDict;
import longlive.io.UmT5Checkpoint;
import longlive.kernel.Parallel;
import longlive.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Config and checkpoint handling, the relative-position buckets and bad inputs of the umT5 encoder. */
class T5EncoderTest {

    @Test
    void bucketsFollowT5() {
        // umT5-XXL: 32 buckets -> 16 per direction, exact below 8, logarithmic up to 128 (hand-computed values).
        int[][] relAndBucket = {{0, 0}, {-1, 1}, {1, 17}, {-7, 7}, {7, 23}, {-8, 8}, {-16, 10}, {16, 26},
                {-20, 10}, {-127, 15}, {-128, 15}, {-1000, 15}, {1000, 31}, {32, 28}, {-64, 14}};
        for (int[] rb : relAndBucket)
            assertEquals(rb[1], RelativePositionBuckets.bucket(rb[0], 32), "relative position " + rb[0]);
        int[] t = RelativePositionBuckets.table(3, 32); // [query, key] -> bucket of key - query
        assertArrayEquals(new int[] {0, 17, 18, 1, 0, 17, 2, 1, 0}, t);
    }

    @Test
    void bucketsMatchTheReferenceOverAFullPromptsRange() throws Exception {
        // text/relative_buckets.txt: the reference _relative_position_bucket at -700..700
        // (tools/tokenizer/make_bucket_fixture.py), for 32 (XXL), 16 and 8 buckets.
        Path f = Path.of(T5EncoderTest.class.getResource("/text/relative_buckets.txt").toURI());
        int lines = 0;
        for (String line : Files.readAllLines(f)) {
            if (line.startsWith("#")) continue;
            String[] p = line.split(" ");
            int nb = Integer.parseInt(p[0]);
            assertEquals(1402, p.length);
            for (int i = 1; i < p.length; i++)
                assertEquals(Integer.parseInt(p[i]), RelativePositionBuckets.bucket(i - 701, nb),
                        "num_buckets " + nb + ", relative position " + (i - 701));
            lines++;
        }
        assertEquals(3, lines);
    }

    @Test
    void configRefusesUnknownMissingAndInvalidKeys() throws Exception {
        ObjectMapper om = new ObjectMapper();
        String ok = "{\"vocab_size\":64,\"dim\":32,\"dim_attn\":24,\"dim_ffn\":48,\"num_heads\":3,\"num_layers\":2,"
                + "\"num_buckets\":16,\"shared_pos\":false";
        assertEquals(T5Config.TINY, T5Config.fromJson(om.readTree(ok + "}")));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> T5Config.fromJson(om.readTree(ok + ",\"dropout\":0.1}")));
        assertTrue(e.getMessage().contains("unknown key 'dropout'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> T5Config.fromJson(om.readTree(ok.replace("\"num_layers\":2,", "") + "}")));
        assertTrue(e.getMessage().contains("missing key 'num_layers'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> T5Config.fromJson(om.readTree(ok.replace("\"num_heads\":3", "\"num_heads\":5") + "}")));
        assertTrue(e.getMessage().contains("dim_attn 24 is not divisible by num_heads 5"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> T5Config.fromJson(om.readTree(ok.replace("\"shared_pos\":false", "\"shared_pos\":0") + "}")));
        assertTrue(e.getMessage().contains("shared_pos"), e.getMessage());
        assertEquals(5_680_910_336L, T5Config.UMT5_XXL.parameterCount());
    }

    @Test
    void misShapedOrMissingWeightsAreListed() {
        T5Weights w = T5Weights.random(T5Config.TINY, 1, Parallel.serial());
        Map<String, Tensor> m = new LinkedHashMap<>();
        for (var e : UmT5Checkpoint.expectedShapes(T5Config.TINY).entrySet())
            m.put(e.getKey(), Tensor.zeros(e.getValue()));
        m.put("blocks.1.attn.o.weight", Tensor.zeros(24, 32)); // transposed
        m.remove("norm.weight");
        m.put("blocks.0.ffn.gate.1.weight", Tensor.zeros(4));
        CheckpointException e = assertThrows(CheckpointException.class,
                () -> UmT5Checkpoint.load(StateDict.ofTensors("bad.safetensors", m), T5Config.TINY));
        String msg = e.getMessage();
        assertTrue(msg.contains("norm.weight") && msg.contains("blocks.1.attn.o.weight [24, 32] (expected [32, 24])")
                && msg.contains("blocks.0.ffn.gate.1.weight"), msg);
        // The typed weights refuse wrong sizes too (a hand-built model).
        var b = w.blocks().get(0);
        var bad = new T5BlockWeights(b.norm1(), b.q(), b.k(), b.v(), WeightMatrix.zeros(24, 32), b.norm2(), b.gate(), b.fc1(), b.fc2(),
                b.posEmbedding());
        IllegalArgumentException e2 = assertThrows(IllegalArgumentException.class, () -> new T5Weights(T5Config.TINY,
                w.tokenEmbedding(), null, java.util.List.of(bad, w.blocks().get(1)), w.finalNorm()));
        assertTrue(e2.getMessage().contains("T5 layer 0: o is F32[24, 32], expected [32, 24]"), e2.getMessage());
    }

    @Test
    void badTokenIdsAndMasksAreRefused() {
        T5Encoder enc = new T5Encoder(T5Weights.random(T5Config.TINY, 2, Parallel.serial()),
                T5Kernels.scalar(Parallel.serial()));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> enc.forward(new long[] {1, 64, 0}, new long[] {1, 1, 0}));
        assertTrue(e.getMessage().contains("token id 64 at position 1"), e.getMessage());
        assertThrows(longlive.tensor.ShapeException.class, () -> enc.forward(new long[] {1, 2}, new long[] {1}));
    }

    @Test
    void bf16TorchCheckpointLoadsLikeWansPth() throws Exception {
        // text/umt5_tiny_bf16.pth = the golden per_layer_pos weights saved by torch.save in bfloat16
        // (tools/tokenizer/make_pth_fixture.py), the format of models_t5_umt5-xxl-enc-bf16.pth.
        Path pth = Path.of(T5EncoderTest.class.getResource("/text/umt5_tiny_bf16.pth").toURI());
        Path golden = Golden.dir("t5/per_layer_pos");
        T5Weights fromPth;
        try (StateDict sd = UmT5Checkpoint.open(pth)) {
            T5Config c = UmT5Checkpoint.inferConfig(sd);
            assertEquals(T5Config.fromJson(golden.resolve("t5_config.json")), c);
            fromPth = UmT5Checkpoint.load(sd, c);
        }
        TextReplayCase ref = TextReplayCase.read(golden);
        float[] a = ref.weights().blocks().get(1).fc2().floats(), b = fromPth.blocks().get(1).fc2().toFloats();
        assertTrue(fromPth.blocks().get(1).fc2().isBf16() && fromPth.tokenEmbedding().isBf16(), "bf16 kept as bf16");
        for (int i = 0; i < a.length; i++) assertEquals(bf16(a[i]), b[i], "fc2[" + i + "]");
        TextReplayCase fromPthCase = new TextReplayCase(fromPth.config(), fromPth, ref.batch(), ref.length(),
                ref.tokenIds(), ref.mask());
        float[] expected;
        try (StateDict sd = SafeTensors.load(golden.resolve("expected.safetensors"))) {
            expected = sd.tensor("text_embeds").data();
        }
        double err = Golden.relError(fromPthCase.run(T5Kernels.scalar(Parallel.serial())).data(), expected);
        System.out.printf("t5 bf16 .pth vs f32 reference: rel. error %.3g (bf16 weight rounding)%n", err);
        assertTrue(err > 1e-5 && err < 5e-2, "bf16 weights give rel. error " + err);
    }

    /** Round-to-nearest-even to bfloat16, as torch's {@code .to(torch.bfloat16)}. */
    private static float bf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        bits += 0x7FFF + ((bits >>> 16) & 1);
        return Float.intBitsToFloat(bits & 0xFFFF0000);
    }

    @Test
    void saveAndInferConfigRoundTrip(@TempDir Path tmp) throws Exception {
        T5Config c = new T5Config(50, 16, 8, 24, 2, 3, 8, true);
        T5Weights w = T5Weights.random(c, 7, Parallel.serial());
        Path f = tmp.resolve("t5.safetensors");
        UmT5Checkpoint.save(w, f);
        try (StateDict sd = SafeTensors.load(f)) {
            assertEquals(c, UmT5Checkpoint.inferConfig(sd));
            T5Weights back = UmT5Checkpoint.load(sd, c);
            assertArrayEquals(w.sharedPosEmbedding(), back.sharedPosEmbedding());
            assertArrayEquals(w.blocks().get(2).gate().floats(), back.blocks().get(2).gate().floats());
        }
        assertTrue(Files.size(f) > 4L * c.parameterCount());
    }
}
