package longlive.io;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;
import longlive.tensor.Tensor;

/**
 * Named tensors of a checkpoint (name → {@link TensorRef}, decoded lazily), in file order. Views made by
 * {@link #stripPrefix}, {@link #subDict} and {@link #filter} share the tensors and the open file; closing any
 * of them closes the file (use one try-with-resources around the state dict the loader returned).
 */
public final class StateDict implements AutoCloseable {
    /** How many names of each kind a validation error lists before summarising with a count. */
    static final int LIST_LIMIT = 20;

    private final String source;
    private final Map<String, ? extends TensorRef> entries;
    private final AutoCloseable owner;

    /**
     * @param source describes where the tensors come from (file, key) for error messages
     * @param owner  closed by {@link #close()}; may be null
     */
    public StateDict(String source, Map<String, ? extends TensorRef> entries, AutoCloseable owner) {
        this.source = source;
        this.entries = Collections.unmodifiableMap(new LinkedHashMap<>(entries));
        this.owner = owner;
    }

    /** Float32 tensors already in memory. */
    public static StateDict ofTensors(String source, Map<String, Tensor> tensors) {
        Map<String, TensorRef> m = new LinkedHashMap<>();
        tensors.forEach((k, v) -> m.put(k, TensorRef.of(v)));
        return new StateDict(source, m, null);
    }

    /** Where the tensors come from, e.g. {@code "/x/longlive_base.pt [generator]"}. */
    public String source() {
        return source;
    }

    /** Names in file order. */
    public Set<String> names() {
        return entries.keySet();
    }

    public int size() {
        return entries.size();
    }

    public boolean contains(String name) {
        return entries.containsKey(name);
    }

    /** The named tensor, not yet decoded; throws naming the source when absent. */
    public TensorRef ref(String name) {
        TensorRef r = entries.get(name);
        if (r == null) throw new CheckpointException(source + ": no tensor named '" + name + "'"
                + nearNames(name));
        return r;
    }

    /** Shape of the named tensor without decoding it. */
    public int[] shape(String name) {
        return ref(name).shape();
    }

    /** The named tensor widened to float32. */
    public Tensor tensor(String name) {
        return ref(name).toFloat();
    }

    /** The named tensor widened to float32, refused unless it has exactly {@code expected} shape. */
    public Tensor tensor(String name, int... expected) {
        int[] s = shape(name);
        if (!Arrays.equals(s, expected))
            throw new CheckpointException(source + ": tensor '" + name + "' has shape " + Arrays.toString(s)
                    + ", expected " + Arrays.toString(expected));
        return ref(name).toFloat();
    }

    /** The named integer tensor as longs. */
    public long[] longs(String name) {
        return ref(name).toLongs();
    }

    /** Total bytes of the tensors as stored (before widening). */
    public long storedBytes() {
        long b = 0;
        for (TensorRef r : entries.values()) b += r.numel() * r.dtype().byteSize();
        return b;
    }

    /** The entries whose name passes {@code keep}. */
    public StateDict filter(Predicate<String> keep) {
        Map<String, TensorRef> m = new LinkedHashMap<>();
        entries.forEach((k, v) -> { if (keep.test(k)) m.put(k, v); });
        return new StateDict(source, m, owner);
    }

    /** All entries, with {@code prefix} removed from the names that start with it (others unchanged). */
    public StateDict stripPrefix(String prefix) {
        return rename(k -> k.startsWith(prefix) ? k.substring(prefix.length()) : k);
    }

    /** All entries renamed by {@code f}; refused if two names collide. */
    public StateDict rename(UnaryOperator<String> f) {
        Map<String, TensorRef> m = new LinkedHashMap<>();
        for (Map.Entry<String, ? extends TensorRef> e : entries.entrySet()) {
            String k = f.apply(e.getKey());
            if (m.put(k, e.getValue()) != null)
                throw new CheckpointException(source + ": renaming makes two tensors named '" + k + "'");
        }
        return new StateDict(source, m, owner);
    }

    /** Only the entries under {@code prefix} (e.g. {@code "blocks.0."}), with the prefix removed. */
    public StateDict subDict(String prefix) {
        Map<String, TensorRef> m = new LinkedHashMap<>();
        entries.forEach((k, v) -> { if (k.startsWith(prefix)) m.put(k.substring(prefix.length()), v); });
        return new StateDict(source + " [" + prefix + "*]", m, owner);
    }

    /** True if any name starts with {@code prefix}. */
    public boolean anyStartsWith(String prefix) {
        for (String k : entries.keySet()) if (k.startsWith(prefix)) return true;
        return false;
    }

    /**
     * Refuses (with one {@link CheckpointException} listing them all) tensors that are missing, unexpected, or
     * have another shape than {@code expected}. Each list shows the first {@value #LIST_LIMIT} names and a count.
     */
    public StateDict requireExactly(Map<String, int[]> expected) {
        List<String> missing = new ArrayList<>(), unexpected = new ArrayList<>(), misshaped = new ArrayList<>();
        for (Map.Entry<String, int[]> e : expected.entrySet()) {
            TensorRef r = entries.get(e.getKey());
            if (r == null) missing.add(e.getKey());
            else if (!Arrays.equals(r.shape(), e.getValue()))
                misshaped.add(e.getKey() + " " + Arrays.toString(r.shape()) + " (expected "
                        + Arrays.toString(e.getValue()) + ")");
        }
        for (String k : entries.keySet()) if (!expected.containsKey(k)) unexpected.add(k);
        if (missing.isEmpty() && unexpected.isEmpty() && misshaped.isEmpty()) return this;
        StringBuilder sb = new StringBuilder(source).append(": tensors do not match the model (")
                .append(expected.size()).append(" expected, ").append(entries.size()).append(" found)");
        list(sb, "missing", missing);
        list(sb, "unexpected", unexpected);
        list(sb, "wrong shape", misshaped);
        throw new CheckpointException(sb.toString());
    }

    private static void list(StringBuilder sb, String what, List<String> names) {
        if (names.isEmpty()) return;
        sb.append("\n  ").append(names.size()).append(' ').append(what).append(": ");
        sb.append(String.join(", ", names.subList(0, Math.min(LIST_LIMIT, names.size()))));
        if (names.size() > LIST_LIMIT) sb.append(", ... (").append(names.size() - LIST_LIMIT).append(" more)");
    }

    /** A hint listing up to three names that share the missing name's last component. */
    private String nearNames(String name) {
        String tail = name.substring(name.lastIndexOf('.') + 1);
        List<String> near = new ArrayList<>();
        for (String k : entries.keySet()) if (k.endsWith(tail) && near.size() < 3) near.add(k);
        if (near.isEmpty()) return " (" + entries.size() + " tensors present)";
        return " (" + entries.size() + " tensors present, e.g. " + String.join(", ", near) + ")";
    }

    /** Closes the file behind these tensors (shared with every view of it). */
    @Override
    public void close() {
        if (owner == null) return;
        try {
            owner.close();
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(source + ": close failed: " + e.getMessage(), e);
        }
    }

    @Override
    public String toString() {
        return "StateDict(" + source + ", " + entries.size() + " tensors)";
    }
}
