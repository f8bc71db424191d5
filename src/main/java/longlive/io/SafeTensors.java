package longlive.io;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a <a href="https://github.com/huggingface/safetensors">safetensors</a> file: an 8-byte little-endian
 * header length N, N bytes of JSON ({@code {"name": {"dtype": "F32", "shape": [..], "data_offsets": [b, e]},
 * "__metadata__": {..}}}), then the data area. The whole file is memory-mapped (FFM, so files over 2 GB work)
 * and each tensor is decoded only when asked for. The header is validated completely on open: any corrupt or
 * truncated file fails here with a {@link CheckpointException} naming the file, never later with a crash.
 *
 * <p>Close it (or the {@link StateDict} from {@link #load}) to unmap the file; tensors already decoded stay valid.
 */
public final class SafeTensors implements AutoCloseable {
    /** Headers larger than this are refused as corrupt (the reference implementation uses the same bound). */
    static final long MAX_HEADER = 100L << 20;
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private final Path file;
    private final Arena arena;
    private final Map<String, MappedTensor> tensors;
    private final Map<String, String> metadata;

    private SafeTensors(Path file, Arena arena, Map<String, MappedTensor> tensors, Map<String, String> metadata) {
        this.file = file;
        this.arena = arena;
        this.tensors = tensors;
        this.metadata = metadata;
    }

    /** Opens and validates {@code file}; throws {@link CheckpointException} for any malformed content. */
    public static SafeTensors open(Path file) {
        Arena arena = Arena.ofShared();
        try {
            MemorySegment all;
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                long size = ch.size();
                if (size < 8) throw bad(file, "file is " + size + " bytes, too short for the 8-byte header length");
                all = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            }
            return parse(file, arena, all);
        } catch (NoSuchFileException e) {
            arena.close();
            throw new CheckpointException(file + ": no such file", e);
        } catch (IOException e) {
            arena.close();
            throw new CheckpointException(file + ": cannot read (" + e + ")", e);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** Parses an in-memory copy of a safetensors file ({@code file} only names it in errors); for tests. */
    static SafeTensors ofSegment(Path file, MemorySegment all) {
        if (all.byteSize() < 8) throw bad(file, "file is " + all.byteSize() + " bytes, too short for the 8-byte header length");
        return parse(file, null, all);
    }

    private static SafeTensors parse(Path file, Arena arena, MemorySegment all) {
        long n = all.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
        if (n < 2 || n > MAX_HEADER)
            throw bad(file, "header length " + Long.toUnsignedString(n) + " is not plausible (file is "
                    + all.byteSize() + " bytes); not a safetensors file or corrupt");
        if (8 + n > all.byteSize())
            throw bad(file, "header length " + n + " runs past the end of the file (" + all.byteSize()
                    + " bytes); truncated?");
        byte[] header = all.asSlice(8, n).toArray(ValueLayout.JAVA_BYTE);
        MemorySegment data = all.asSlice(8 + n);
        return parse(file, arena, header, data);
    }

    /** Opens {@code file} as a {@link StateDict}; closing the state dict unmaps the file. */
    public static StateDict load(Path file) {
        SafeTensors st = open(file);
        return st.stateDict();
    }

    private static SafeTensors parse(Path file, Arena arena, byte[] header, MemorySegment data) {
        if (header[0] != '{') throw bad(file, "header does not start with '{'; not a safetensors file");
        JsonNode root;
        try {
            root = JSON.readTree(header);
        } catch (JsonProcessingException e) {
            throw bad(file, "header is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw bad(file, "header is not readable JSON: " + e.getMessage());
        }
        if (root == null || !root.isObject()) throw bad(file, "header JSON is not an object");
        Map<String, String> metadata = new LinkedHashMap<>();
        record Span(String name, long begin, long end) {}
        List<Span> spans = new ArrayList<>();
        Map<String, MappedTensor> tensors = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.properties().iterator(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String name = e.getKey();
            JsonNode v = e.getValue();
            if (name.equals("__metadata__")) {
                if (!v.isObject()) throw bad(file, "__metadata__ is not an object");
                for (Map.Entry<String, JsonNode> m : v.properties()) {
                    if (!m.getValue().isTextual())
                        throw bad(file, "__metadata__ value of '" + m.getKey() + "' is not a string");
                    metadata.put(m.getKey(), m.getValue().textValue());
                }
                continue;
            }
            String where = "tensor '" + name + "'";
            if (!v.isObject()) throw bad(file, where + " is not described by an object");
            JsonNode dt = v.get("dtype"), sh = v.get("shape"), off = v.get("data_offsets");
            if (dt == null || !dt.isTextual()) throw bad(file, where + " has no dtype string");
            DType dtype = DType.fromSafetensors(dt.textValue());
            if (dtype == null) throw bad(file, where + " has unknown dtype '" + dt.textValue() + "'");
            if (sh == null || !sh.isArray()) throw bad(file, where + " has no shape array");
            int[] shape = new int[sh.size()];
            for (int i = 0; i < shape.length; i++) {
                JsonNode d = sh.get(i);
                if (!d.isIntegralNumber() || d.asLong() < 0 || !d.canConvertToLong() || d.asLong() > Integer.MAX_VALUE)
                    throw bad(file, where + " has an invalid dimension " + d + " in shape " + sh);
                shape[i] = d.intValue();
            }
            if (off == null || !off.isArray() || off.size() != 2 || !off.get(0).isIntegralNumber()
                    || !off.get(1).isIntegralNumber() || !off.get(0).canConvertToLong() || !off.get(1).canConvertToLong())
                throw bad(file, where + " has no valid data_offsets [begin, end]");
            long begin = off.get(0).longValue(), end = off.get(1).longValue();
            if (begin < 0 || end < begin)
                throw bad(file, where + " has invalid data_offsets [" + begin + ", " + end + "]");
            if (end > data.byteSize())
                throw bad(file, where + " data_offsets [" + begin + ", " + end + "] run past the data area of "
                        + data.byteSize() + " bytes; truncated?");
            long numel = 1;
            for (int d : shape) numel = Math.multiplyHigh(numel, d) != 0 ? -1 : numel * d;
            if (numel < 0 || Math.multiplyHigh(numel, dtype.byteSize()) != 0 || numel * dtype.byteSize() != end - begin)
                throw bad(file, where + " is " + dtype + Arrays.toString(shape) + " = " + (numel < 0 ? "overflowing" : numel * dtype.byteSize())
                        + " bytes but data_offsets span " + (end - begin) + " bytes");
            spans.add(new Span(name, begin, end));
            tensors.put(name, new MappedTensor(file + ": tensor '" + name + "'", data, begin, dtype, shape, null));
        }
        spans.sort(Comparator.comparingLong(Span::begin).thenComparingLong(Span::end));
        for (int i = 1; i < spans.size(); i++) {
            Span a = spans.get(i - 1), b = spans.get(i);
            if (b.begin() < a.end() && b.end() > b.begin())
                throw bad(file, "tensors '" + a.name() + "' [" + a.begin() + ", " + a.end() + ") and '" + b.name()
                        + "' [" + b.begin() + ", " + b.end() + ") overlap");
        }
        return new SafeTensors(file, arena, Collections.unmodifiableMap(tensors), Collections.unmodifiableMap(metadata));
    }

    private static CheckpointException bad(Path file, String why) {
        return new CheckpointException(file + ": " + why);
    }

    public Path file() {
        return file;
    }

    /** The {@code __metadata__} string map (empty when absent). */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** Tensor names in header order. */
    public List<String> names() {
        return List.copyOf(tensors.keySet());
    }

    /** The named tensor (not yet decoded); throws naming the file when absent. */
    public TensorRef get(String name) {
        MappedTensor t = tensors.get(name);
        if (t == null) throw new CheckpointException(file + ": no tensor named '" + name + "'");
        return t;
    }

    /** All tensors as a state dict in header order; closing it closes this file. */
    public StateDict stateDict() {
        return new StateDict(file.toString(), new LinkedHashMap<>(tensors), this);
    }

    /** Unmaps the file; tensors not yet decoded can no longer be read. */
    @Override
    public void close() {
        if (arena != null && arena.scope().isAlive()) arena.close();
    }
}
