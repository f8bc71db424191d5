package longlive.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import longlive.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafeTensorsTest {
    @TempDir
    Path dir;

    /** A raw safetensors file: 8-byte length, the header exactly as given, then the data bytes. */
    static Path raw(Path file, String header, byte[] data) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h).put(data);
        Files.write(file, b.array());
        return file;
    }

    static byte[] le(float... v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) b.putFloat(f);
        return b.array();
    }

    @Test
    void roundTripsF32I64I32AndMetadataWithAlignedHeader() throws IOException {
        Tensor a = Tensor.of(new float[] {1, -2.5f, 3e-8f, Float.MAX_VALUE, -0f, 7}, 2, 3);
        Tensor s = Tensor.of(new float[] {42}); // scalar, shape []
        Path f = dir.resolve("a.safetensors");
        long bytes = new SafeTensorsWriter().metadata("format", "pt")
                .add("w.a", a).add("scalar", s)
                .add("lazy", new int[] {2, 2}, () -> Tensor.of(new float[] {5, 6, 7, 8}, 2, 2))
                .addLongs("ids", new long[] {Long.MIN_VALUE, 0, Long.MAX_VALUE}, 3)
                .addInts("i32", new int[] {-1, 2}, 1, 2)
                .write(f);
        assertEquals(Files.size(f), bytes);
        ByteBuffer head = ByteBuffer.wrap(Files.readAllBytes(f)).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(0, (8 + head.getLong(0)) % 8, "data area must start 8-byte aligned");
        try (SafeTensors st = SafeTensors.open(f)) {
            assertEquals(Map.of("format", "pt"), st.metadata());
            assertEquals(java.util.List.of("w.a", "scalar", "lazy", "ids", "i32"), st.names());
            try (StateDict sd = st.stateDict()) {
                assertArrayEquals(a.data(), sd.tensor("w.a", 2, 3).data());
                assertArrayEquals(new int[0], sd.shape("scalar"));
                assertEquals(42f, sd.tensor("scalar").data()[0]);
                assertArrayEquals(new float[] {5, 6, 7, 8}, sd.tensor("lazy").data());
                assertArrayEquals(new long[] {Long.MIN_VALUE, 0, Long.MAX_VALUE}, sd.longs("ids"));
                assertArrayEquals(new int[] {-1, 2}, sd.ref("i32").toInts());
                assertEquals(DType.I64, sd.ref("ids").dtype());
                CheckpointException e = assertThrows(CheckpointException.class, () -> sd.tensor("ids"));
                assertTrue(e.getMessage().contains("ids") && e.getMessage().contains("I64"), e.getMessage());
                e = assertThrows(CheckpointException.class, () -> sd.tensor("w.a", 3, 2));
                assertTrue(e.getMessage().contains("[2, 3]"), e.getMessage());
                e = assertThrows(CheckpointException.class, () -> sd.tensor("w.b"));
                assertTrue(e.getMessage().contains("w.b") && e.getMessage().contains(f.toString()), e.getMessage());
            }
        }
        assertFalse(Files.list(dir).anyMatch(p -> p.getFileName().toString().contains("partial")));
    }

    @Test
    void aFailureMidwayLeavesNoFileAndKeepsTheOldOne() throws IOException {
        Path f = dir.resolve("out.safetensors");
        Files.writeString(f, "old");
        SafeTensorsWriter w = new SafeTensorsWriter().add("a", Tensor.zeros(1 << 20))
                .add("b", new int[] {2}, () -> { throw new CheckpointException("decode failed"); });
        assertThrows(CheckpointException.class, () -> w.write(f));
        assertEquals("old", Files.readString(f));
        SafeTensorsWriter wrongShape = new SafeTensorsWriter().add("c", new int[] {3}, () -> Tensor.zeros(4));
        CheckpointException e = assertThrows(CheckpointException.class, () -> wrongShape.write(f));
        assertTrue(e.getMessage().contains("declared [3]"), e.getMessage());
        try (var files = Files.list(dir)) {
            assertEquals(java.util.List.of(f), files.toList(), "no partial file left behind");
        }
        assertThrows(CheckpointException.class, () -> new SafeTensorsWriter().add("x", Tensor.zeros(1)).add("x", Tensor.zeros(1)));
    }

    @Test
    void widensBf16AndF16AndF64() throws IOException {
        float[] want = {1f, -2f, 0.5f, 65504f, -0.0009765625f, 0f};
        ByteBuffer bf = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer hf = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer df = ByteBuffer.allocate(48).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : want) {
            bf.putShort((short) (Float.floatToIntBits(v) >>> 16));
            hf.putShort(Float.floatToFloat16(v));
            df.putDouble(v);
        }
        byte[] data = new byte[72];
        System.arraycopy(bf.array(), 0, data, 0, 12);
        System.arraycopy(hf.array(), 0, data, 12, 12);
        System.arraycopy(df.array(), 0, data, 24, 48);
        Path f = raw(dir.resolve("h.safetensors"), "{\"b\":{\"dtype\":\"BF16\",\"shape\":[2,3],\"data_offsets\":[0,12]},"
                + "\"h\":{\"dtype\":\"F16\",\"shape\":[6],\"data_offsets\":[12,24]},"
                + "\"d\":{\"dtype\":\"F64\",\"shape\":[3,2],\"data_offsets\":[24,72]}}", data);
        try (StateDict sd = SafeTensors.load(f)) {
            float[] b = sd.tensor("b").data();
            // 65504 is not exact in bf16 (8 mantissa bits): truncation gives 65280
            float[] wantBf = want.clone();
            wantBf[3] = 65280f;
            assertArrayEquals(wantBf, b);
            assertArrayEquals(want, sd.tensor("h").data());
            assertArrayEquals(want, sd.tensor("d").data());
            assertEquals(DType.BF16, sd.ref("b").dtype());
            assertEquals(12 + 12 + 48, sd.storedBytes());
        }
    }

    @Test
    void refusesMalformedHeadersNamingTheProblem() throws IOException {
        byte[] d16 = le(1, 2, 3, 4);
        Object[][] cases = {
                {"{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]", "JSON"},
                {"[1,2]", "'{'"},
                {"{\"a\":{\"dtype\":\"Q4\",\"shape\":[4],\"data_offsets\":[0,16]}}", "unknown dtype 'Q4'"},
                {"{\"a\":{\"dtype\":\"F32\",\"shape\":[5],\"data_offsets\":[0,16]}}", "span 16 bytes"},
                {"{\"a\":{\"dtype\":\"F32\",\"shape\":[-4],\"data_offsets\":[0,16]}}", "invalid dimension"},
                {"{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,32]}}", "past the data area"},
                {"{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[16,0]}}", "invalid data_offsets"},
                {"{\"a\":{\"dtype\":\"F32\",\"shape\":[4]}}", "data_offsets"},
                {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                        + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", "overlap"},
                {"{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},"
                        + "\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", "Duplicate"},
                {"{\"__metadata__\":{\"k\":1}}", "not a string"},
                {"{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}} x", "JSON"},
                {"{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,0],\"data_offsets\":[0,0]}}", "invalid dimension"},
                {"{\"a\":{\"dtype\":\"U8\",\"shape\":[2147483647,2147483647,2147483647,4],\"data_offsets\":[0,16]}}", "bytes"},
        };
        for (Object[] c : cases) {
            Path f = raw(dir.resolve("bad.safetensors"), (String) c[0], d16);
            CheckpointException e = assertThrows(CheckpointException.class, () -> SafeTensors.open(f).close(),
                    (String) c[0]);
            assertTrue(e.getMessage().contains((String) c[1]) && e.getMessage().contains(f.toString()),
                    c[0] + " -> " + e.getMessage());
        }
        Path tiny = dir.resolve("tiny.safetensors");
        Files.write(tiny, new byte[] {1, 2, 3});
        assertTrue(assertThrows(CheckpointException.class, () -> SafeTensors.open(tiny)).getMessage().contains("too short"));
        Path huge = dir.resolve("huge.safetensors");
        Files.write(huge, new byte[] {-1, -1, -1, -1, -1, -1, -1, -1, '{', '}'});
        assertTrue(assertThrows(CheckpointException.class, () -> SafeTensors.open(huge)).getMessage().contains("plausible"));
        assertTrue(assertThrows(CheckpointException.class, () -> SafeTensors.open(dir.resolve("none")))
                .getMessage().contains("no such file"));
    }

    private Path sample() throws IOException {
        Random r = new Random(1);
        float[] a = new float[24], b = new float[5];
        for (int i = 0; i < a.length; i++) a[i] = r.nextFloat();
        for (int i = 0; i < b.length; i++) b[i] = r.nextFloat();
        Path f = dir.resolve("sample.safetensors");
        new SafeTensorsWriter().metadata("m", "v").add("blocks.0.w", Tensor.of(a, 4, 6)).add("b", Tensor.of(b, 5))
                .addLongs("step", new long[] {3}).write(f);
        return f;
    }

    @Test
    void everyTruncationIsACleanError() throws IOException {
        byte[] all = Files.readAllBytes(sample());
        Path cut = dir.resolve("cut.safetensors");
        for (int len = 0; len < all.length; len++) {
            int n = len;
            // every length in memory; every 16th also through a real (mapped) file
            CheckpointException e = assertThrows(CheckpointException.class,
                    () -> SafeTensors.ofSegment(cut, MemorySegment.ofArray(Arrays.copyOf(all, n))), "truncated to " + n);
            assertTrue(e.getMessage().startsWith(cut.toString()), e.getMessage());
            if (len % 16 == 0) {
                Files.write(cut, Arrays.copyOf(all, len));
                assertThrows(CheckpointException.class, () -> SafeTensors.open(cut).close(), "file truncated to " + n);
            }
        }
    }

    @Test
    void flippedHeaderBytesGiveACleanErrorOrAConsistentFile() throws IOException {
        byte[] all = Files.readAllBytes(sample());
        int headerEnd = 8 + (int) ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        Path f = dir.resolve("flip.safetensors");
        Random r = new Random(7);
        int opened = 0, refused = 0;
        byte[] specials = {0, '"', '{', '}', '[', ']', ',', ':', '-', '9', '1', 'x', (byte) 0xFF, (byte) 0x80};
        for (int pos = 0; pos < headerEnd; pos++) {
            for (int k = 0; k < 6; k++) {
                byte[] bad = all.clone();
                bad[pos] = k < 3 ? specials[r.nextInt(specials.length)] : (byte) (bad[pos] ^ (1 << r.nextInt(8)));
                try (StateDict sd = SafeTensors.ofSegment(f, MemorySegment.ofArray(bad)).stateDict()) {
                    // Still a valid file (e.g. a name or a space changed): every tensor must decode cleanly.
                    for (String name : sd.names()) {
                        TensorRef t = sd.ref(name);
                        if (t.dtype().isFloating()) assertEquals(t.numel(), t.toFloat().size());
                        else assertEquals(t.numel(), t.toLongs().length);
                    }
                    opened++;
                } catch (CheckpointException e) {
                    assertTrue(e.getMessage().startsWith(f.toString()), e.getMessage());
                    refused++;
                } catch (RuntimeException e) {
                    fail("byte " + pos + " -> " + bad[pos] + ": unexpected " + e, e);
                }
            }
        }
        assertTrue(refused > 2 * headerEnd, "most corruptions must be refused, refused " + refused + ", opened " + opened);
    }

    @Test
    void readingAfterCloseIsACleanError() throws IOException {
        StateDict sd = SafeTensors.load(sample());
        TensorRef w = sd.ref("blocks.0.w");
        Tensor before = w.toFloat();
        sd.close();
        assertEquals(24, before.size());
        CheckpointException e = assertThrows(CheckpointException.class, w::toFloat);
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        sd.close(); // closing twice is harmless
    }

    @Test
    void mapsFilesLargerThan2GiB() throws IOException {
        // A sparse file: 2.5 GB of (unread) padding, then a small tensor past the 2^31 boundary.
        long pad = 2_500_000_000L;
        String header = "{\"pad\":{\"dtype\":\"U8\",\"shape\":[50000,50000],\"data_offsets\":[0," + pad + "]},"
                + "\"x\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[" + pad + "," + (pad + 16) + "]}}";
        Path f = raw(dir.resolve("big.safetensors"), header, new byte[0]);
        long dataStart = Files.size(f);
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.seek(dataStart + pad);
            raf.write(le(1, 2, 3, 4));
        }
        try (StateDict sd = SafeTensors.load(f)) {
            assertArrayEquals(new float[] {1, 2, 3, 4}, sd.tensor("x", 2, 2).data());
            CheckpointException e = assertThrows(CheckpointException.class, () -> sd.ref("pad").toLongs());
            assertTrue(e.getMessage().contains("more than one Java array"), e.getMessage());
        }
    }

    @Test
    void requireExactlyListsMissingUnexpectedAndMisshaped() {
        Map<String, Tensor> have = new LinkedHashMap<>();
        Map<String, int[]> want = new LinkedHashMap<>();
        have.put("ok", Tensor.zeros(2));
        want.put("ok", new int[] {2});
        have.put("shape", Tensor.zeros(2, 3));
        want.put("shape", new int[] {3, 2});
        for (int i = 0; i < 25; i++) want.put("missing." + i, new int[] {1});
        have.put("extra", Tensor.zeros(1));
        StateDict sd = StateDict.ofTensors("mem", have);
        CheckpointException e = assertThrows(CheckpointException.class, () -> sd.requireExactly(want));
        String m = e.getMessage();
        assertTrue(m.contains("25 missing") && m.contains("missing.19") && !m.contains("missing.20,")
                && m.contains("(5 more)"), m);
        assertTrue(m.contains("1 unexpected: extra"), m);
        assertTrue(m.contains("1 wrong shape: shape [2, 3] (expected [3, 2])"), m);
        Map<String, int[]> exact = Map.of("ok", new int[] {2}, "shape", new int[] {2, 3}, "extra", new int[] {1});
        assertEquals(sd, sd.requireExactly(exact));
    }

    @Test
    void viewsRenameWithoutCopying() {
        Map<String, Tensor> have = new LinkedHashMap<>();
        have.put("model.blocks.0.q.weight", Tensor.zeros(2, 2));
        have.put("model.head.w", Tensor.zeros(3));
        have.put("other", Tensor.zeros(1));
        StateDict sd = StateDict.ofTensors("mem", have);
        assertEquals(java.util.List.of("blocks.0.q.weight", "head.w", "other"), java.util.List.copyOf(sd.stripPrefix("model.").names()));
        assertEquals(java.util.Set.of("q.weight"), sd.subDict("model.blocks.0.").names());
        assertTrue(sd.anyStartsWith("model.head"));
        Map<String, Tensor> clash = new LinkedHashMap<>();
        clash.put("model.a", Tensor.zeros(1));
        clash.put("a", Tensor.zeros(1));
        assertThrows(CheckpointException.class, () -> StateDict.ofTensors("mem", clash).stripPrefix("model."));
    }
}
