package longlive.io;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads a file written by {@code torch.save} (torch ≥ 1.6 zip format): {@code <archive>/data.pkl} is a pickle
 * whose tensors point, by persistent id, at raw little-endian storages {@code <archive>/data/<key>}. The zip is
 * memory-mapped and tensors are decoded lazily, so a multi-GB {@code .pt}/{@code .pth} costs memory only for the
 * tensors read. The pickle is run by {@link SafePickle}, which refuses every global except the few torch
 * needs for tensors (the equivalent of {@code torch.load(..., weights_only=True)}).
 *
 * <p>The unpickled value is a tree of maps, lists and values with {@link TensorRef} leaves; {@link #get} and
 * {@link #stateDict} navigate nested dicts such as {@code {"generator": {...}, "step": 3}}.
 */
public final class TorchCheckpoint implements AutoCloseable {
    private final Path file;
    private final ZipArchive zip;
    private final Object root;

    private TorchCheckpoint(Path file, ZipArchive zip, Object root) {
        this.file = file;
        this.zip = zip;
        this.root = root;
    }

    /** Opens, validates and unpickles {@code file}; tensors are not decoded yet. */
    public static TorchCheckpoint open(Path file) {
        ZipArchive zip;
        try {
            zip = ZipArchive.open(file);
        } catch (NoSuchFileException e) {
            throw new CheckpointException(file + ": no such file", e);
        } catch (IOException e) {
            throw new CheckpointException(file + ": cannot read (" + e + ")", e);
        }
        try {
            return new TorchCheckpoint(file, zip, unpickle(file, zip));
        } catch (RuntimeException e) {
            zip.close();
            throw e;
        }
    }

    /** Parses an in-memory copy of a checkpoint ({@code file} only names it in errors); for tests. */
    static TorchCheckpoint ofBytes(Path file, byte[] bytes) {
        ZipArchive zip = ZipArchive.ofSegment(file, MemorySegment.ofArray(bytes));
        return new TorchCheckpoint(file, zip, unpickle(file, zip));
    }

    /** Opens {@code file} and returns the state dict under {@code path} (see {@link #stateDict}); closing it closes the file. */
    public static StateDict load(Path file, String... path) {
        TorchCheckpoint ckpt = open(file);
        try {
            return ckpt.stateDict(path);
        } catch (RuntimeException e) {
            ckpt.close();
            throw e;
        }
    }

    private static Object unpickle(Path file, ZipArchive zip) {
        String pkl = null;
        for (String name : zip.entries().keySet()) {
            if (name.endsWith("/data.pkl") && name.indexOf('/') == name.length() - "/data.pkl".length()) {
                if (pkl != null) throw new CheckpointException(file + ": two pickles (" + pkl + ", " + name + ") in one archive");
                pkl = name;
            }
        }
        if (pkl == null)
            throw new CheckpointException(file + ": zip archive has no <archive>/data.pkl; not a torch.save checkpoint");
        String prefix = pkl.substring(0, pkl.length() - "data.pkl".length());
        ZipArchive.Entry order = zip.entries().get(prefix + "byteorder");
        if (order != null) {
            String bo = new String(zip.data(order).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.US_ASCII).trim();
            if (!bo.equals("little"))
                throw new CheckpointException(file + ": storages are stored '" + bo + "'-endian; only little-endian is supported");
        }
        MemorySegment pickle = zip.data(zip.entries().get(pkl));
        if (pickle.byteSize() > Integer.MAX_VALUE - 8)
            throw new CheckpointException(file + ": " + pkl + " is " + pickle.byteSize() + " bytes, too large for a pickle");
        Map<String, SafePickle.Storage> storages = new HashMap<>();
        String what = file + " (" + pkl + ")";
        return SafePickle.load(what, pickle.toArray(ValueLayout.JAVA_BYTE), id -> {
            // ('storage', storage_type, key, location, numel)
            if (id.size() < 3 || !(id.get(2) instanceof String key))
                throw new CheckpointException(what + ": persistent id without a storage key");
            DType dtype = SafePickle.storageDType(id.get(1));
            if (dtype == null)
                throw new CheckpointException(what + ": storage '" + key + "' has an unsupported storage type");
            SafePickle.Storage st = storages.computeIfAbsent(key, k -> {
                ZipArchive.Entry e = zip.entries().get(prefix + "data/" + k);
                if (e == null)
                    throw new CheckpointException(file + ": storage '" + prefix + "data/" + k
                            + "' referenced by the pickle is missing from the archive");
                return new SafePickle.Storage(dtype, prefix + "data/" + k, zip.data(e));
            });
            if (st.dtype() != dtype)
                throw new CheckpointException(what + ": storage '" + key + "' is referenced as both " + st.dtype()
                        + " and " + dtype);
            return st;
        });
    }

    public Path file() {
        return file;
    }

    /** The unpickled value: maps, lists, strings, numbers, {@link TensorRef} leaves. */
    public Object root() {
        return root;
    }

    /** The value under the dict keys {@code path} (empty: the root); a missing key names what is there. */
    public Object get(String... path) {
        Object v = root;
        StringBuilder at = new StringBuilder();
        for (String k : path) {
            if (!(v instanceof Map<?, ?> m))
                throw new CheckpointException(file + ": " + where(at) + " is " + describe(v) + ", not a dict; cannot look up '" + k + "'");
            if (!m.containsKey(k))
                throw new CheckpointException(file + ": no key '" + k + "' in " + where(at) + "; it holds: " + summary(m));
            v = m.get(k);
            at.append('[').append(k).append(']');
        }
        return v;
    }

    /** String keys of the dict at {@code path}. */
    public Set<String> keys(String... path) {
        Object v = get(path);
        if (!(v instanceof Map<?, ?> m)) throw new CheckpointException(file + ": " + String.join(".", path) + " is not a dict");
        Set<String> out = new LinkedHashSet<>();
        for (Object k : m.keySet()) out.add(String.valueOf(k));
        return out;
    }

    /**
     * The tensors of the dict at {@code path} as a state dict (non-tensor entries are left out). Refused when
     * that dict holds no tensor, with a summary of what it holds (e.g. which nested key to pick).
     */
    public StateDict stateDict(String... path) {
        Object v = get(path);
        String src = file + (path.length == 0 ? "" : " [" + String.join("][", path) + "]");
        if (!(v instanceof Map<?, ?> m)) throw new CheckpointException(src + " is " + describe(v) + ", not a state dict");
        Map<String, TensorRef> tensors = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : m.entrySet())
            if (e.getValue() instanceof TensorRef t) tensors.put(String.valueOf(e.getKey()), t);
        if (tensors.isEmpty())
            throw new CheckpointException(src + " holds no tensors; it holds: " + summary(m));
        return new StateDict(src, tensors, this);
    }

    private static String where(StringBuilder at) {
        return at.isEmpty() ? "the top-level value" : at.toString();
    }

    /** "generator (dict of 825 tensors), step (int 3)" — one level only, at most 12 entries. */
    static String summary(Map<?, ?> m) {
        List<String> parts = new ArrayList<>();
        for (Map.Entry<?, ?> e : m.entrySet()) {
            if (parts.size() == 12) {
                parts.add("... (" + (m.size() - 12) + " more)");
                break;
            }
            parts.add(e.getKey() + " (" + describe(e.getValue()) + ")");
        }
        return parts.isEmpty() ? "nothing" : String.join(", ", parts);
    }

    /** A short, non-recursive description of a value. */
    static String describe(Object v) {
        if (v == null) return "None";
        if (v instanceof TensorRef t) return "tensor " + t;
        if (v instanceof Map<?, ?> m) {
            int n = 0;
            for (Object o : m.values()) if (o instanceof TensorRef) n++;
            return "dict of " + m.size() + " entries" + (n > 0 ? ", " + n + " tensors" : "");
        }
        if (v instanceof Collection<?> c) return v.getClass().getSimpleName().replace("ArrayList", "list") + " of " + c.size();
        if (v instanceof Long || v instanceof BigInteger) return "int " + v;
        if (v instanceof String s) return "str '" + (s.length() > 30 ? s.substring(0, 30) + "..." : s) + "'";
        if (v instanceof Double || v instanceof Boolean) return v.getClass().getSimpleName().toLowerCase() + " " + v;
        if (v instanceof byte[] b) return "bytes of " + b.length;
        return v.getClass().getSimpleName();
    }

    /** Unmaps the file; tensors not yet decoded can no longer be read. */
    @Override
    public void close() {
        zip.close();
    }
}
