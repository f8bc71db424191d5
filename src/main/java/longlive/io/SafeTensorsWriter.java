package longlive.io;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import longlive.tensor.Tensor;

/**
 * Writes a safetensors file: F32 or BF16 tensors (optionally produced lazily, one at a time, so converting a 5 GB
 * checkpoint needs memory for one tensor only), I64/I32 tensors, and string metadata. The JSON header is padded
 * with spaces so the data area starts at a multiple of 8 bytes. The file is written to a temporary sibling and
 * renamed into place, so a failure midway never leaves a partial output.
 */
public final class SafeTensorsWriter {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int BUFFER = 1 << 20;

    private record Entry(String name, DType dtype, int[] shape, Supplier<Tensor> floats, long[] longs, int[] ints) {}

    private final Map<String, String> metadata = new LinkedHashMap<>();
    private final List<Entry> entries = new ArrayList<>();
    private final Set<String> names = new HashSet<>();

    /** Adds a {@code __metadata__} string entry. */
    public SafeTensorsWriter metadata(String key, String value) {
        metadata.put(key, value);
        return this;
    }

    /** Adds a float32 tensor. */
    public SafeTensorsWriter add(String name, Tensor t) {
        return add(name, t.shape(), () -> t);
    }

    /** Adds a float32 tensor of {@code shape} whose data {@code lazy} produces while the file is written. */
    public SafeTensorsWriter add(String name, int[] shape, Supplier<Tensor> lazy) {
        return put(new Entry(name, DType.F32, shape.clone(), lazy, null, null));
    }

    /**
     * Adds a tensor stored as bfloat16 (half the bytes of float32; each value rounded to the nearest bf16, ties to
     * even), for shipping weights where 8 bits of mantissa are enough. Readers widen it back to float32.
     */
    public SafeTensorsWriter addBf16(String name, int[] shape, Supplier<Tensor> lazy) {
        return put(new Entry(name, DType.BF16, shape.clone(), lazy, null, null));
    }

    /** The bfloat16 bits nearest to {@code v} (ties to even); NaN stays a (quiet) NaN, infinities stay infinite. */
    public static short toBf16(float v) {
        int bits = Float.floatToRawIntBits(v);
        if (Float.isNaN(v)) return (short) ((bits >>> 16) | 0x40);
        int rounded = bits + 0x7FFF + ((bits >>> 16) & 1);
        return (short) (rounded >>> 16);
    }

    /** Adds an I64 tensor (e.g. token ids, step counters). */
    public SafeTensorsWriter addLongs(String name, long[] values, int... shape) {
        requireCount(name, values.length, shape);
        return put(new Entry(name, DType.I64, shape.clone(), null, values, null));
    }

    /** Adds an I32 tensor. */
    public SafeTensorsWriter addInts(String name, int[] values, int... shape) {
        requireCount(name, values.length, shape);
        return put(new Entry(name, DType.I32, shape.clone(), null, null, values));
    }

    /** Number of tensors added so far. */
    public int size() {
        return entries.size();
    }

    private static void requireCount(String name, int n, int[] shape) {
        if (Tensor.count(shape) != n)
            throw new CheckpointException("tensor '" + name + "': shape " + Arrays.toString(shape) + " does not hold "
                    + n + " values");
    }

    private SafeTensorsWriter put(Entry e) {
        if (e.name().isEmpty() || e.name().equals("__metadata__"))
            throw new CheckpointException("invalid tensor name '" + e.name() + "'");
        if (!names.add(e.name())) throw new CheckpointException("tensor '" + e.name() + "' added twice");
        Tensor.count(e.shape());
        entries.add(e);
        return this;
    }

    /** The header bytes, padded with spaces to make {@code 8 + length} a multiple of 8. */
    byte[] header() {
        ObjectNode root = JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode m = root.putObject("__metadata__");
            metadata.forEach(m::put);
        }
        long offset = 0;
        for (Entry e : entries) {
            ObjectNode t = root.putObject(e.name());
            t.put("dtype", e.dtype().name());
            ArrayNode s = t.putArray("shape");
            for (int d : e.shape()) s.add(d);
            long bytes = Tensor.count(e.shape()) * e.dtype().byteSize();
            t.putArray("data_offsets").add(offset).add(offset + bytes);
            offset += bytes;
        }
        byte[] json = root.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        byte[] out = Arrays.copyOf(json, padded);
        Arrays.fill(out, json.length, padded, (byte) ' ');
        return out;
    }

    /**
     * Writes the file atomically (temp file + rename), replacing {@code out} if it exists.
     *
     * @return the number of bytes written
     */
    public long write(Path out) {
        Path dir = out.toAbsolutePath().getParent();
        Path tmp = dir.resolve("." + out.getFileName() + ".partial-" + ProcessHandle.current().pid());
        try {
            long written;
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                written = writeTo(ch);
            }
            Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return written;
        } catch (IOException e) {
            deleteQuietly(tmp);
            throw new CheckpointException(out + ": writing failed (" + e + ")", e);
        } catch (RuntimeException | Error e) {
            deleteQuietly(tmp);
            throw e;
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // the original failure is the one worth reporting
        }
    }

    private long writeTo(FileChannel ch) throws IOException {
        byte[] header = header();
        ByteBuffer buf = ByteBuffer.allocateDirect(BUFFER).order(ByteOrder.LITTLE_ENDIAN);
        buf.putLong(header.length);
        long written = 0;
        for (int i = 0; i < header.length; ) {
            if (!buf.hasRemaining()) written += flush(ch, buf);
            int len = Math.min(buf.remaining(), header.length - i);
            buf.put(header, i, len);
            i += len;
        }
        for (Entry e : entries) {
            switch (e.dtype()) {
                case F32 -> {
                    float[] d = declaredData(e);
                    for (int i = 0; i < d.length; ) {
                        if (buf.remaining() < 4) written += flush(ch, buf);
                        int len = Math.min(buf.remaining() / 4, d.length - i);
                        buf.asFloatBuffer().put(d, i, len);
                        buf.position(buf.position() + 4 * len);
                        i += len;
                    }
                }
                case BF16 -> {
                    for (float v : declaredData(e)) {
                        if (buf.remaining() < 2) written += flush(ch, buf);
                        buf.putShort(toBf16(v));
                    }
                }
                case I64 -> {
                    for (long v : e.longs()) {
                        if (buf.remaining() < 8) written += flush(ch, buf);
                        buf.putLong(v);
                    }
                }
                case I32 -> {
                    for (int v : e.ints()) {
                        if (buf.remaining() < 4) written += flush(ch, buf);
                        buf.putInt(v);
                    }
                }
                default -> throw new IllegalStateException(e.dtype().toString());
            }
        }
        written += flush(ch, buf);
        return written;
    }

    private static float[] declaredData(Entry e) {
        Tensor t = e.floats().get();
        if (!t.hasShape(e.shape()))
            throw new CheckpointException("tensor '" + e.name() + "' was declared " + Arrays.toString(e.shape())
                    + " but its data has shape " + Arrays.toString(t.shape()));
        return t.data();
    }

    private static long flush(FileChannel ch, ByteBuffer buf) throws IOException {
        buf.flip();
        long n = buf.remaining();
        while (buf.hasRemaining()) ch.write(buf);
        buf.clear();
        return n;
    }
}
