package longlive.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TorchCheckpointTest {
    @TempDir
    Path dir;

    static Path fixture(String name) {
        try {
            return Path.of(TorchCheckpointTest.class.getResource("/io/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static JsonNode expected(String file) throws IOException {
        return new ObjectMapper().readTree(fixture("expected.json").toFile()).get("files").get(file);
    }

    /** Checks one tensor against what torch wrote into expected.json (values widened exactly to float32). */
    static void assertMatches(String what, JsonNode want, TensorRef got) {
        int[] shape = new int[want.get("shape").size()];
        for (int i = 0; i < shape.length; i++) shape[i] = want.get("shape").get(i).intValue();
        assertArrayEquals(shape, got.shape(), what);
        assertEquals(DType.fromTorch(want.get("dtype").textValue()), got.dtype(), what);
        JsonNode v = want.get("values");
        if (got.dtype().isFloating()) {
            float[] d = got.toFloat().data();
            assertEquals(v.size(), d.length, what);
            for (int i = 0; i < d.length; i++) assertEquals((float) v.get(i).doubleValue(), d[i], what + "[" + i + "]");
        } else {
            long[] d = got.toLongs();
            assertEquals(v.size(), d.length, what);
            for (int i = 0; i < d.length; i++) assertEquals((long) v.get(i).doubleValue(), d[i], what + "[" + i + "]");
        }
    }

    @Test
    void readsAPlainStateDictLikeTorch() throws IOException {
        JsonNode want = expected("plain.pt");
        try (StateDict sd = TorchCheckpoint.load(fixture("plain.pt"))) {
            assertEquals(List.of("w", "b", "scalar", "num_batches_tracked", "ids", "half", "f64"), List.copyOf(sd.names()));
            for (String k : sd.names()) assertMatches(k, want.get(k), sd.ref(k));
            assertArrayEquals(new int[] {1, -2, 3}, sd.ref("ids").toInts());
            assertEquals(7L, sd.longs("num_batches_tracked")[0]);
        }
    }

    @Test
    void readsNonContiguousAndSharedStorages() throws IOException {
        JsonNode want = expected("noncontiguous.pt");
        try (StateDict sd = TorchCheckpoint.load(fixture("noncontiguous.pt"))) {
            assertEquals(6, sd.size());
            for (String k : sd.names()) assertMatches(k, want.get(k), sd.ref(k));
        }
    }

    @Test
    void navigatesNestedLongLiveCheckpoints() throws IOException {
        JsonNode want = expected("longlive_like.pt");
        Path f = fixture("longlive_like.pt");
        try (TorchCheckpoint ckpt = TorchCheckpoint.open(f)) {
            assertEquals(List.of("generator", "generator_ema", "step"), List.copyOf(ckpt.keys()));
            assertEquals(3L, ckpt.get("step"));
            StateDict gen = ckpt.stateDict("generator");
            assertEquals(22, gen.size());
            for (String k : gen.names()) assertMatches(k, want.get("generator/" + k), gen.ref(k));
            assertEquals(DType.BF16, gen.ref("model.head.modulation").dtype());
            CheckpointException e = assertThrows(CheckpointException.class, ckpt::stateDict);
            assertTrue(e.getMessage().contains("holds no tensors") && e.getMessage().contains("generator (dict of 22 entries, 22 tensors)")
                    && e.getMessage().contains("step (int 3)"), e.getMessage());
            e = assertThrows(CheckpointException.class, () -> ckpt.stateDict("critic"));
            assertTrue(e.getMessage().contains("no key 'critic'") && e.getMessage().contains("generator_ema"), e.getMessage());
            e = assertThrows(CheckpointException.class, () -> ckpt.get("step", "x"));
            assertTrue(e.getMessage().contains("[step] is int 3, not a dict"), e.getMessage());
        }
        try (StateDict ema = LongLiveCheckpoints.generator(f, "generator_ema")) {
            assertTrue(ema.contains("blocks.0.self_attn.q.weight"), ema.names().toString());
            assertMatches("ema", want.get("generator_ema/model._fsdp_wrapped_module.head.modulation"), ema.ref("head.modulation"));
        }
    }

    @Test
    void refusesMaliciousPicklesBeforeRunningAnything() {
        Path marker = Path.of("/tmp/longlive-pwned");
        Map<String, String> cases = Map.of(
                "malicious_system.pt", "'posix.system'",
                "malicious_eval.pt", "'__builtin__.eval'",
                "arbitrary_object.pt", "'__main__.Plain'");
        cases.forEach((file, global) -> {
            CheckpointException e = assertThrows(CheckpointException.class, () -> TorchCheckpoint.open(fixture(file)));
            assertTrue(e.getMessage().contains("refusing to load global " + global) && e.getMessage().contains(file),
                    e.getMessage());
        });
        assertFalse(Files.exists(marker), "the payload must never run");
    }

    @Test
    void refusesLegacyAndNonZipFiles() throws IOException {
        Path f = dir.resolve("legacy.pt");
        Files.write(f, new byte[] {(byte) 0x80, 2, (byte) 0x8a, 10});
        assertTrue(assertThrows(CheckpointException.class, () -> TorchCheckpoint.open(f)).getMessage().contains("not a zip"));
        Files.write(f, new byte[0]);
        assertThrows(CheckpointException.class, () -> TorchCheckpoint.open(f));
        assertTrue(assertThrows(CheckpointException.class, () -> TorchCheckpoint.open(dir.resolve("none.pt")))
                .getMessage().contains("no such file"));
    }

    /** Copies a zip entry by entry (deflated), letting {@code edit} drop (null) or replace entries' bytes. */
    private Path rezip(Path src, String name, java.util.function.BiFunction<String, byte[], byte[]> edit) throws IOException {
        return rezip(src, name, edit, null, null);
    }

    private Path rezip(Path src, String name, java.util.function.BiFunction<String, byte[], byte[]> edit,
            String extraName, byte[] extra) throws IOException {
        Path out = dir.resolve(name);
        try (ZipFile in = new ZipFile(src.toFile());
             ZipOutputStream zo = new ZipOutputStream(Files.newOutputStream(out))) {
            for (ZipEntry e : java.util.Collections.list(in.entries())) {
                byte[] data = edit.apply(e.getName(), in.getInputStream(e).readAllBytes());
                if (data == null) continue;
                zo.putNextEntry(new ZipEntry(e.getName()));
                zo.write(data);
                zo.closeEntry();
            }
            if (extraName != null) {
                zo.putNextEntry(new ZipEntry(extraName));
                zo.write(extra);
                zo.closeEntry();
            }
        }
        return out;
    }

    @Test
    void readsDeflatedCopiesAndRefusesBrokenArchives() throws IOException {
        JsonNode want = expected("plain.pt");
        Path deflated = rezip(fixture("plain.pt"), "deflated.pt", (n, b) -> b);
        try (StateDict sd = TorchCheckpoint.load(deflated)) {
            for (String k : sd.names()) assertMatches(k, want.get(k), sd.ref(k));
        }
        Path missing = rezip(fixture("plain.pt"), "missing.pt", (n, b) -> n.endsWith("/data/0") ? null : b);
        CheckpointException e = assertThrows(CheckpointException.class, () -> TorchCheckpoint.open(missing));
        assertTrue(e.getMessage().contains("data/0' referenced by the pickle is missing"), e.getMessage());
        Path small = rezip(fixture("plain.pt"), "small.pt", (n, b) -> n.endsWith("/data/0") ? new byte[4] : b);
        e = assertThrows(CheckpointException.class, () -> TorchCheckpoint.open(small));
        assertTrue(e.getMessage().contains("needs 24 bytes but only 4 are stored"), e.getMessage());
        Path big = rezip(fixture("plain.pt"), "big.pt", (n, b) -> b, "plain/byteorder",
                "big".getBytes(StandardCharsets.US_ASCII));
        assertTrue(assertThrows(CheckpointException.class, () -> TorchCheckpoint.open(big)).getMessage().contains("'big'-endian"));
        Path nopkl = rezip(fixture("plain.pt"), "nopkl.pt", (n, b) -> n.endsWith("data.pkl") ? null : b);
        assertTrue(assertThrows(CheckpointException.class, () -> TorchCheckpoint.open(nopkl)).getMessage().contains("data.pkl"));
        Random r = new Random(3);
        for (int i = 0; i < 200; i++) {
            byte[] junk = new byte[1 + r.nextInt(64)];
            r.nextBytes(junk);
            if (i % 2 == 0) junk[0] = (byte) 0x80;
            Path garbage = rezip(fixture("plain.pt"), "garbage.pt", (n, b) -> n.endsWith("data.pkl") ? junk : b);
            assertThrows(CheckpointException.class, () -> TorchCheckpoint.open(garbage).close());
        }
    }

    @Test
    void everyTruncationAndByteFlipIsACleanErrorOrConsistent() throws IOException {
        for (String name : List.of("plain.pt", "noncontiguous.pt", "lora.pt")) {
            byte[] all = Files.readAllBytes(fixture(name));
            Path f = dir.resolve("damaged.pt");
            int step = name.equals("lora.pt") ? 9 : 1; // lora.pt is 7 KB: a sample of its offsets keeps this fast
            for (int len = 0; len < all.length; len += step) {
                int n = len;
                // every length in memory; some also through a real (mapped) file
                assertThrows(CheckpointException.class, () -> TorchCheckpoint.ofBytes(f, java.util.Arrays.copyOf(all, n)),
                        "truncated to " + n);
                if (len % 487 == 0) {
                    Files.write(f, java.util.Arrays.copyOf(all, len));
                    assertThrows(CheckpointException.class, () -> TorchCheckpoint.open(f).close(), "file truncated to " + n);
                }
            }
            Random r = new Random(11);
            int refused = 0;
            for (int pos = 0; pos < all.length; pos += step) {
                for (int k = 0; k < 2; k++) {
                    byte[] bad = all.clone();
                    bad[pos] = (byte) (k == 0 ? r.nextInt(256) : bad[pos] ^ (1 << r.nextInt(8)));
                    try (TorchCheckpoint c = TorchCheckpoint.ofBytes(f, bad)) {
                        decodeAll(c.root());
                    } catch (CheckpointException e) {
                        refused++;
                    } catch (RuntimeException e) {
                        fail(name + " byte " + pos + " -> " + bad[pos] + ": unexpected " + e, e);
                    }
                }
            }
            assertTrue(refused > all.length / 4 / step, name + ": refused only " + refused);
        }
    }

    /** Decodes every tensor of a dict and of the dicts directly inside it. */
    private static void decodeAll(Object root) {
        if (!(root instanceof Map<?, ?> m)) return;
        for (Object v : m.values()) {
            if (v instanceof TensorRef t) {
                if (t.dtype().isFloating()) t.toFloat();
                else t.toLongs();
            } else if (v instanceof Map<?, ?> inner) {
                for (Object w : inner.values()) if (w instanceof TensorRef t) t.toFloat();
            }
        }
    }

    @Test
    void stridesThatOverflowOrOverreachAreRefused() {
        var seg = java.lang.foreign.MemorySegment.ofArray(new byte[64]);
        CheckpointException e = assertThrows(CheckpointException.class,
                () -> new MappedTensor("t", seg, 0, DType.F32, new int[] {4, 2}, new long[] {1L << 62, 1}));
        assertTrue(e.getMessage().contains("overflows"), e.getMessage());
        e = assertThrows(CheckpointException.class,
                () -> new MappedTensor("t", seg, 8, DType.F32, new int[] {4, 4}, new long[] {1, 4}));
        assertTrue(e.getMessage().contains("needs 64 bytes but only 56 are stored"), e.getMessage());
        assertThrows(CheckpointException.class,
                () -> new MappedTensor("t", seg, 0, DType.F32, new int[] {2}, new long[] {-1}));
        // the largest legal strided span reads fine: [4, 4] transposed over all 16 floats
        assertEquals(16, new MappedTensor("t", seg, 0, DType.F32, new int[] {4, 4}, new long[] {1, 4}).toFloat().size());
    }

    /** A stored zip whose central directory uses zip64 for every size and offset, as torch writes files over 4 GB. */
    static byte[] zip64(Map<String, byte[]> entries) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(1 << 20).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        Map<String, Integer> local = new java.util.LinkedHashMap<>();
        for (Map.Entry<String, byte[]> e : entries.entrySet()) {
            byte[] name = e.getKey().getBytes(StandardCharsets.UTF_8);
            local.put(e.getKey(), b.position());
            b.putInt(0x04034b50).putShort((short) 45).putShort((short) 0).putShort((short) 0).putInt(0)
                    .putInt(crc(e.getValue())).putInt(-1).putInt(-1).putShort((short) name.length).putShort((short) 20)
                    .put(name).putShort((short) 1).putShort((short) 16).putLong(e.getValue().length).putLong(e.getValue().length)
                    .put(e.getValue());
        }
        int cd = b.position();
        for (Map.Entry<String, byte[]> e : entries.entrySet()) {
            byte[] name = e.getKey().getBytes(StandardCharsets.UTF_8);
            b.putInt(0x02014b50).putShort((short) 45).putShort((short) 45).putShort((short) 0).putShort((short) 0).putInt(0)
                    .putInt(crc(e.getValue())).putInt(-1).putInt(-1).putShort((short) name.length).putShort((short) 28)
                    .putShort((short) 0).putShort((short) 0).putShort((short) 0).putInt(0).putInt(-1)
                    .put(name).putShort((short) 1).putShort((short) 24).putLong(e.getValue().length)
                    .putLong(e.getValue().length).putLong(local.get(e.getKey()));
        }
        int cdEnd = b.position();
        b.putInt(0x06064b50).putLong(44).putShort((short) 45).putShort((short) 45).putInt(0).putInt(0)
                .putLong(entries.size()).putLong(entries.size()).putLong(cdEnd - cd).putLong(cd);
        b.putInt(0x07064b50).putInt(0).putLong(cdEnd).putInt(1);
        b.putInt(0x06054b50).putShort((short) 0).putShort((short) 0).putShort((short) -1).putShort((short) -1)
                .putInt(-1).putInt(-1).putShort((short) 0);
        return java.util.Arrays.copyOf(b.array(), b.position());
    }

    private static int crc(byte[] d) {
        java.util.zip.CRC32 c = new java.util.zip.CRC32();
        c.update(d);
        return (int) c.getValue();
    }

    @Test
    void readsZip64Archives() throws IOException {
        Map<String, byte[]> entries = new java.util.LinkedHashMap<>();
        try (ZipFile z = new ZipFile(fixture("plain.pt").toFile())) {
            for (ZipEntry e : java.util.Collections.list(z.entries())) entries.put(e.getName(), z.getInputStream(e).readAllBytes());
        }
        Path f = dir.resolve("zip64.pt");
        Files.write(f, zip64(entries));
        JsonNode want = expected("plain.pt");
        try (StateDict sd = TorchCheckpoint.load(f)) {
            assertEquals(7, sd.size());
            for (String k : sd.names()) assertMatches(k, want.get(k), sd.ref(k));
        }
        try (ZipFile z = new ZipFile(f.toFile())) { // the JDK agrees that the hand-made archive is a valid zip64
            assertEquals(entries.size(), z.size());
        }
    }

    @Test
    void fuzzedPicklesNeverEscapeAsOtherExceptions() throws IOException {
        byte[] pkl;
        try (ZipFile in = new ZipFile(fixture("longlive_like.pt").toFile())) {
            pkl = in.getInputStream(in.getEntry("longlive_like/data.pkl")).readAllBytes();
        }
        MemorySegmentStorages storages = new MemorySegmentStorages();
        assertTrue(SafePickle.load("ok", pkl, storages) instanceof Map<?, ?>);
        Random r = new Random(5);
        for (int i = 0; i < 600; i++) {
            byte[] bad = pkl.clone();
            for (int k = 1 + r.nextInt(3); k > 0; k--) bad[r.nextInt(bad.length)] = (byte) r.nextInt(256);
            if (i % 3 == 0) bad = java.util.Arrays.copyOf(bad, r.nextInt(bad.length));
            try {
                SafePickle.load("fuzz", bad, storages);
            } catch (CheckpointException expected) {
                // the only acceptable failure
            } catch (RuntimeException | StackOverflowError e) {
                fail("fuzz case " + i + ": " + e, e);
            }
        }
        // deeply nested tuples and a self-containing list used as a key
        byte[] deep = new byte[60_003];
        deep[0] = (byte) 0x80;
        deep[1] = 2;
        deep[2] = ')';
        java.util.Arrays.fill(deep, 3, deep.length, (byte) 0x85);
        ByteArrayOutputStream nested = new ByteArrayOutputStream();
        nested.writeBytes(deep);
        nested.writeBytes(new byte[] {(byte) 0x8f, 'q', 0, 'h', 0, '(', 'h', 0, (byte) 0x90, '.'});
        assertThrows(CheckpointException.class, () -> SafePickle.load("deep", nested.toByteArray(), storages));
        byte[] cyclic = {(byte) 0x80, 2, '}', ']', 'q', 0, 'h', 0, 'a', 'K', 1, 's', '.'};
        CheckpointException e = assertThrows(CheckpointException.class, () -> SafePickle.load("cyclic", cyclic, storages));
        assertTrue(e.getMessage().contains("unsupported dict key"), e.getMessage());
    }

    /** Storages for fuzzing: any key resolves to 4096 zero bytes of the requested dtype. */
    private static final class MemorySegmentStorages implements java.util.function.Function<List<Object>, SafePickle.Storage> {
        @Override
        public SafePickle.Storage apply(List<Object> id) {
            DType t = SafePickle.storageDType(id.get(1));
            if (t == null) throw new CheckpointException("bad storage type");
            return new SafePickle.Storage(t, String.valueOf(id.get(2)), java.lang.foreign.MemorySegment.ofArray(new byte[4096]));
        }
    }
}
