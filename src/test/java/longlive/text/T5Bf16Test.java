package longlive.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import longlive.io.CheckpointException;
import longlive.io.StateDict;
import longlive.io.UmT5Checkpoint;
import longlive.io.UmT5Checkpoint.Storage;
import longlive.kernel.Parallel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The umT5 encoder held in bf16: same output as float32 on the widened weights, bf16 files load without widening. */
class T5Bf16Test {
    private static final T5Config C = new T5Config(64, 32, 32, 48, 4, 2, 8, false);

    private static long[][] prompt() {
        long[] ids = {5, 17, 3, 63, 1, 0, 0, 0, 0, 0};
        long[] mask = {1, 1, 1, 1, 1, 0, 0, 0, 0, 0};
        return new long[][] {ids, mask};
    }

    @Test
    void roundingIsNearestEven() {
        assertEquals((short) 0x3F80, WeightMatrix.roundToBf16(1f));
        // 1 + 2^-8 is halfway between 1 and 1 + 2^-7: ties to the even mantissa (1.0)
        assertEquals((short) 0x3F80, WeightMatrix.roundToBf16(Float.intBitsToFloat(0x3F808000)));
        // 1 + 3 * 2^-8 is halfway between odd 0x3F81 and even 0x3F82
        assertEquals((short) 0x3F82, WeightMatrix.roundToBf16(Float.intBitsToFloat(0x3F818000)));
        assertEquals((short) 0x3F81, WeightMatrix.roundToBf16(Float.intBitsToFloat(0x3F808001)));
        assertEquals((short) 0xBF80, WeightMatrix.roundToBf16(-1f));
        assertTrue(Float.isNaN(WeightMatrix.widen(WeightMatrix.roundToBf16(Float.NaN))));
        assertEquals(Float.POSITIVE_INFINITY, WeightMatrix.widen(WeightMatrix.roundToBf16(Float.POSITIVE_INFINITY)));
    }

    @Test
    void randomBf16IsTheRoundedFloat32Model() {
        T5Weights f = T5Weights.random(C, 11, Parallel.serial());
        T5Weights b = T5Weights.random(C, 11, Parallel.serial(), true);
        assertTrue(b.anyBf16() && !f.anyBf16());
        var fm = f.toBf16().matrices();
        var bm = b.matrices();
        for (int i = 0; i < bm.size(); i++) assertArrayEquals(fm.get(i).bf16Bits(), bm.get(i).bf16Bits(), "matrix " + i);
        assertArrayEquals(f.blocks().get(1).norm2(), b.blocks().get(1).norm2());
        long matrixElems = 0;
        for (WeightMatrix m : bm) matrixElems += (long) m.rows() * m.cols();
        assertEquals(2 * matrixElems, f.bytes() - b.bytes(), "bf16 halves the matrices");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> b.blocks().get(0).q().floats());
        assertTrue(e.getMessage().contains("bf16"), e.getMessage());
        assertFalse(b.toFloat32().anyBf16());
        assertTrue(f.toFloat32() == f, "a float32 model converts to itself");
    }

    @Test
    void bf16HeldEncoderEqualsFloat32OnWidenedWeightsExactly() {
        T5Weights b = T5Weights.random(C, 3, Parallel.serial(), true);
        T5Weights f = b.toFloat32();
        long[][] p = prompt();
        for (T5Kernels k : new T5Kernels[] {T5Kernels.scalar(Parallel.serial()), T5Kernels.fast(Parallel.serial())}) {
            float[] outB = new T5Encoder(b, k).forward(p[0], p[1]);
            float[] outF = new T5Encoder(f, k).forward(p[0], p[1]);
            assertArrayEquals(outF, outB, k.matMul().getClass().getSimpleName());
            assertTrue(Math.abs(outF[0]) > 0, "not a trivial output");
        }
        // ...and it is really the weights that differ from the unrounded model (the test could fail).
        float[] unrounded = new T5Encoder(T5Weights.random(C, 3, Parallel.serial()), T5Kernels.scalar(Parallel.serial()))
                .forward(p[0], p[1]);
        float[] rounded = new T5Encoder(f, T5Kernels.scalar(Parallel.serial())).forward(p[0], p[1]);
        assertFalse(Arrays.equals(unrounded, rounded));
    }

    @Test
    void bf16SafetensorsLoadsAsBf16(@TempDir Path tmp) throws IOException {
        T5Weights b = T5Weights.random(C, 5, Parallel.serial(), true);
        Path file = tmp.resolve("t5_bf16.safetensors");
        writeBf16(b, file, null);
        T5Weights kept, wide;
        try (StateDict sd = UmT5Checkpoint.open(file)) {
            assertEquals(C, UmT5Checkpoint.inferConfig(sd));
            kept = UmT5Checkpoint.load(sd, C);
            wide = UmT5Checkpoint.load(sd, C, Storage.FLOAT32);
        }
        assertTrue(kept.tokenEmbedding().isBf16() && kept.blocks().get(1).fc2().isBf16());
        assertFalse(wide.anyBf16());
        var km = kept.matrices();
        var bm = b.matrices();
        for (int i = 0; i < bm.size(); i++) assertArrayEquals(bm.get(i).bf16Bits(), km.get(i).bf16Bits(), "matrix " + i);
        // norms were stored bf16 too and are widened (always float32)
        assertEquals(WeightMatrix.widen(WeightMatrix.roundToBf16(b.finalNorm()[3])), kept.finalNorm()[3]);
        long[][] p = prompt();
        T5Kernels k = T5Kernels.fast(Parallel.serial());
        assertArrayEquals(new T5Encoder(wide, k).forward(p[0], p[1]), new T5Encoder(kept, k).forward(p[0], p[1]));
        // a float32 save of the bf16 model reloads as float32 with the widened values
        Path f32 = tmp.resolve("t5_f32.safetensors");
        UmT5Checkpoint.save(kept, f32);
        T5Weights back = UmT5Checkpoint.load(f32, C);
        assertFalse(back.anyBf16());
        assertArrayEquals(kept.blocks().get(0).gate().toFloats(), back.blocks().get(0).gate().floats());
    }

    @Test
    void bf16TorchZipLoadsAsBf16AndMatchesTheWidenedLoad() throws Exception {
        // text/umt5_tiny_bf16.pth: torch.save of a tiny umT5 in bfloat16, the format of Wan's XXL .pth
        Path pth = Path.of(T5Bf16Test.class.getResource("/text/umt5_tiny_bf16.pth").toURI());
        T5Weights kept, wide;
        try (StateDict sd = UmT5Checkpoint.open(pth)) {
            T5Config c = UmT5Checkpoint.inferConfig(sd);
            kept = UmT5Checkpoint.load(sd, c);
            wide = UmT5Checkpoint.load(sd, c, Storage.FLOAT32);
        }
        assertTrue(kept.blocks().get(0).q().isBf16() && kept.tokenEmbedding().isBf16());
        for (int i = 0; i < kept.matrices().size(); i++)
            assertArrayEquals(wide.matrices().get(i).floats(), kept.matrices().get(i).toFloats(), "matrix " + i);
        int len = 12;
        long[] ids = new long[len], mask = new long[len];
        for (int t = 0; t < 7; t++) {
            ids[t] = (t * 13 + 2) % kept.config().vocabSize();
            mask[t] = 1;
        }
        T5Kernels k = T5Kernels.fast(Parallel.serial());
        assertArrayEquals(new T5Encoder(wide, k).forward(ids, mask), new T5Encoder(kept, k).forward(ids, mask));
        assertTrue(kept.bytes() < wide.bytes());
    }

    @Test
    void wrongDtypeOrShapeNamesTheTensor(@TempDir Path tmp) throws IOException {
        T5Weights b = T5Weights.random(C, 6, Parallel.serial(), true);
        // an integer tensor where a weight belongs
        Path ints = tmp.resolve("ints.safetensors");
        writeBf16(b, ints, Map.of("blocks.1.attn.k.weight", "I16"));
        CheckpointException e = assertThrows(CheckpointException.class, () -> UmT5Checkpoint.load(ints, C));
        assertTrue(e.getMessage().contains("blocks.1.attn.k.weight") && e.getMessage().contains("I16"), e.getMessage());
        // a transposed matrix
        Path shape = tmp.resolve("shape.safetensors");
        writeBf16(b, shape, Map.of("blocks.0.ffn.fc2.weight", "transpose"));
        e = assertThrows(CheckpointException.class, () -> UmT5Checkpoint.load(shape, C));
        assertTrue(e.getMessage().contains("blocks.0.ffn.fc2.weight [48, 32] (expected [32, 48])"), e.getMessage());
    }

    /**
     * Writes {@code w} as a bf16 safetensors file (what a converted XXL checkpoint looks like). {@code tweak} maps a
     * tensor name to "I16" (store it with that dtype tag) or "transpose" (swap its two dims in the header).
     */
    static void writeBf16(T5Weights w, Path file, Map<String, String> tweak) throws IOException {
        Map<String, short[]> data = new LinkedHashMap<>();
        T5Config c = w.config();
        data.put("token_embedding.weight", w.tokenEmbedding().bf16Bits());
        for (int i = 0; i < c.numLayers(); i++) {
            T5BlockWeights bl = w.blocks().get(i);
            String p = "blocks." + i + ".";
            data.put(p + "norm1.weight", round(bl.norm1()));
            data.put(p + "attn.q.weight", bl.q().bf16Bits());
            data.put(p + "attn.k.weight", bl.k().bf16Bits());
            data.put(p + "attn.v.weight", bl.v().bf16Bits());
            data.put(p + "attn.o.weight", bl.o().bf16Bits());
            data.put(p + "norm2.weight", round(bl.norm2()));
            data.put(p + "ffn.gate.0.weight", bl.gate().bf16Bits());
            data.put(p + "ffn.fc1.weight", bl.fc1().bf16Bits());
            data.put(p + "ffn.fc2.weight", bl.fc2().bf16Bits());
            data.put(p + "pos_embedding.embedding.weight", round(bl.posEmbedding()));
        }
        data.put("norm.weight", round(w.finalNorm()));
        Map<String, int[]> shapes = UmT5Checkpoint.expectedShapes(c);
        StringBuilder header = new StringBuilder("{");
        long off = 0;
        for (var e : data.entrySet()) {
            String t = tweak == null ? null : tweak.get(e.getKey());
            int[] s = shapes.get(e.getKey()).clone();
            if ("transpose".equals(t)) s = new int[] {s[1], s[0]};
            if (header.length() > 1) header.append(',');
            header.append('"').append(e.getKey()).append("\":{\"dtype\":\"").append("I16".equals(t) ? "I16" : "BF16")
                    .append("\",\"shape\":").append(Arrays.toString(s).replace(" ", ""))
                    .append(",\"data_offsets\":[").append(off).append(',').append(off + 2L * e.getValue().length)
                    .append("]}");
            off += 2L * e.getValue().length;
        }
        header.append('}');
        byte[] h = header.toString().getBytes(StandardCharsets.UTF_8);
        ByteBuffer buf = ByteBuffer.allocate((int) (8 + h.length + off)).order(ByteOrder.LITTLE_ENDIAN);
        buf.putLong(h.length).put(h);
        for (short[] v : data.values()) for (short x : v) buf.putShort(x);
        Files.write(file, buf.array());
    }

    private static short[] round(float[] a) {
        short[] s = new short[a.length];
        for (int i = 0; i < a.length; i++) s[i] = WeightMatrix.roundToBf16(a[i]);
        return s;
    }
}
