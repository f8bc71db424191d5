package longlive.io;

import java.lang.foreign.MemorySegment;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * A pickle virtual machine that builds only plain data and tensors, like torch's {@code weights_only} loader:
 * dicts, lists, tuples, sets, strings, bytes, numbers, booleans, None, and the few globals torch.save emits for
 * tensors (see {@link #ALLOWED}). Any other global (e.g. {@code posix.system}, {@code builtins.eval}) is refused
 * when the pickle names it, before anything could call it; opcodes that construct arbitrary classes (INST, OBJ,
 * NEWOBJ, extension registry) are refused too. Input bytes are never trusted: every length is checked against
 * what is left, the stack and memo grow at most one entry per input byte, and nothing recurses.
 *
 * <p>Values: None → null, bool → Boolean, int → Long (BigInteger when wider), float → Double, str → String,
 * bytes → byte[], tuple → unmodifiable List, list → ArrayList, dict → LinkedHashMap, set → LinkedHashSet,
 * tensor → {@link TensorRef}.
 */
final class SafePickle {
    /** A storage referenced by a tensor: torch's persistent id ('storage', type, key, location, numel). */
    record Storage(DType dtype, String key, MemorySegment data) {}

    private record Global(String module, String name) {
        String qualified() {
            return module + "." + name;
        }
    }

    private static final Set<String> TENSOR_REBUILDERS = Set.of(
            "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor");
    private static final Set<String> PARAMETER_REBUILDERS = Set.of(
            "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state");
    private static final Set<String> ALLOWED;

    static {
        Set<String> a = new LinkedHashSet<>();
        a.add("collections.OrderedDict");
        a.addAll(TENSOR_REBUILDERS);
        a.addAll(PARAMETER_REBUILDERS);
        a.add("torch.Size");
        a.add("torch.device");
        a.add("builtins.set");
        a.add("builtins.frozenset");
        a.add("__builtin__.set");
        a.add("__builtin__.frozenset");
        a.add("_codecs.encode");
        for (String s : List.of("Double", "Float", "Half", "BFloat16", "Long", "Int", "Short", "Char", "Byte", "Bool",
                "Untyped")) a.add("torch." + s + "Storage");
        for (String s : List.of("float64", "float32", "float16", "bfloat16", "int64", "int32", "int16", "int8", "uint8",
                "bool")) a.add("torch." + s);
        ALLOWED = Collections.unmodifiableSet(a);
    }

    private static final Object MARK = new Object() {
        @Override public String toString() { return "MARK"; }
    };

    private final String what;
    private final byte[] in;
    private final Function<List<Object>, Storage> storages;
    private int pos;
    private final ArrayList<Object> stack = new ArrayList<>();
    private final ArrayList<Integer> marks = new ArrayList<>();
    private final Map<Long, Object> memo = new HashMap<>();

    private SafePickle(String what, byte[] in, Function<List<Object>, Storage> storages) {
        this.what = what;
        this.in = in;
        this.storages = storages;
    }

    /**
     * Unpickles {@code bytes}.
     *
     * @param what     names the pickle in error messages (file and entry)
     * @param storages resolves a persistent id tuple to its storage; may throw {@link CheckpointException}
     */
    static Object load(String what, byte[] bytes, Function<List<Object>, Storage> storages) {
        SafePickle p = new SafePickle(what, bytes, storages);
        try {
            return p.run();
        } catch (CheckpointException e) {
            throw e;
        } catch (RuntimeException e) {
            throw p.bad("malformed pickle (" + e.getClass().getSimpleName() + ": " + e.getMessage() + ")");
        } catch (StackOverflowError e) {
            throw p.bad("malformed pickle (values nested too deeply)");
        }
    }

    /** The globals a pickle may name (module.name). */
    static Set<String> allowedGlobals() {
        return ALLOWED;
    }

    private CheckpointException bad(String why) {
        return new CheckpointException(what + ": " + why + " at byte " + pos);
    }

    private Object run() {
        while (true) {
            int op = u8();
            switch (op) {
                case 0x80 -> u8(); // PROTO: any version; unsupported opcodes are refused individually
                case 0x95 -> bytes(8); // FRAME: a length hint only
                case '.' -> { // STOP
                    if (stack.size() != 1 || !marks.isEmpty()) throw bad("pickle ends with " + stack.size() + " values on the stack");
                    return stack.get(0);
                }
                case '(' -> marks.add(stack.size());
                case '0' -> pop();
                case '1' -> popMark();
                case '2' -> push(peek());
                case 'N' -> push(null);
                case 0x88 -> push(Boolean.TRUE);
                case 0x89 -> push(Boolean.FALSE);
                case 'J' -> push(le(4, true));
                case 'K' -> push((long) u8());
                case 'M' -> push(le(2, false));
                case 0x8a -> push(bigInt(u8()));
                case 0x8b -> push(bigInt(length(4)));
                case 'I' -> push(textInt(line()));
                case 'L' -> push(textLong(line()));
                case 'G' -> push(ByteBuffer.wrap(bytes(8)).order(ByteOrder.BIG_ENDIAN).getDouble());
                case 'F' -> push(Double.parseDouble(line().trim()));
                case 'X' -> push(utf8(length(4)));
                case 0x8c -> push(utf8(u8()));
                case 0x8d -> push(utf8(length(8)));
                case 'B' -> push(bytes(length(4)));
                case 'C' -> push(bytes(u8()));
                case 0x8e -> push(bytes(length(8)));
                case 'T' -> push(new String(bytes(length(4)), StandardCharsets.ISO_8859_1));
                case 'U' -> push(new String(bytes(u8()), StandardCharsets.ISO_8859_1));
                case ')' -> push(tuple(List.of()));
                case 't' -> push(tuple(popMark()));
                case 0x85 -> push(tuple(popN(1)));
                case 0x86 -> push(tuple(popN(2)));
                case 0x87 -> push(tuple(popN(3)));
                case ']' -> push(new ArrayList<>());
                case 'l' -> push(new ArrayList<>(popMark()));
                case '}' -> push(new LinkedHashMap<>());
                case 'd' -> {
                    Map<Object, Object> m = new LinkedHashMap<>();
                    putAll(m, popMark());
                    push(m);
                }
                case 0x8f -> push(new LinkedHashSet<>());
                case 0x91 -> {
                    Set<Object> s = new LinkedHashSet<>();
                    for (Object o : popMark()) s.add(key(o));
                    push(Collections.unmodifiableSet(s));
                }
                case 'a' -> {
                    Object v = pop();
                    list(peek(), "APPEND").add(v);
                }
                case 'e' -> {
                    List<Object> items = popMark();
                    list(peek(), "APPENDS").addAll(items);
                }
                case 's' -> {
                    Object v = pop(), k = pop();
                    map(peek(), "SETITEM").put(key(k), v);
                }
                case 'u' -> {
                    List<Object> items = popMark();
                    putAll(map(peek(), "SETITEMS"), items);
                }
                case 0x90 -> {
                    List<Object> items = popMark();
                    if (!(peek() instanceof Set<?>)) throw bad("ADDITEMS on a " + typeName(peek()));
                    @SuppressWarnings("unchecked") Set<Object> s = (Set<Object>) peek();
                    for (Object o : items) s.add(key(o));
                }
                case 'q' -> memo.put((long) u8(), peek());
                case 'r' -> memo.put(le(4, false), peek());
                case 0x94 -> memo.put((long) memo.size(), peek());
                case 'p' -> memo.put(textLong(line()).longValue(), peek());
                case 'h' -> push(memoGet(u8()));
                case 'j' -> push(memoGet(le(4, false)));
                case 'g' -> push(memoGet(textLong(line()).longValue()));
                case 'c' -> {
                    String module = line(), name = line();
                    push(global(module, name));
                }
                case 0x93 -> {
                    Object name = pop(), module = pop();
                    if (!(module instanceof String m) || !(name instanceof String n))
                        throw bad("STACK_GLOBAL needs two strings, got " + typeName(module) + " and " + typeName(name));
                    push(global(m, n));
                }
                case 'R' -> {
                    Object args = pop(), fn = pop();
                    push(reduce(fn, args));
                }
                case 'b' -> build(pop(), peek());
                case 'Q' -> push(persistent(pop()));
                case 'P' -> throw bad("text persistent ids (PERSID) are not produced by torch.save; refusing");
                case 'i', 'o', 0x81, 0x92 -> throw bad("refusing to construct an arbitrary object (opcode "
                        + opName(op) + "); only tensors and plain data are allowed");
                case 0x82, 0x83, 0x84 -> throw bad("refusing the pickle extension registry (opcode " + opName(op) + ")");
                default -> throw bad("unsupported pickle opcode " + opName(op));
            }
        }
    }

    private static String opName(int op) {
        return op >= 0x20 && op < 0x7f ? "'" + (char) op + "'" : String.format("0x%02x", op);
    }

    private Object global(String module, String name) {
        String q = module + "." + name;
        if (!ALLOWED.contains(q))
            throw bad("refusing to load global '" + q + "': a checkpoint may only contain tensors and plain data"
                    + " (this file may be malicious, or needs code this loader does not run)");
        return new Global(module, name);
    }

    private Object reduce(Object fn, Object argsObj) {
        if (!(fn instanceof Global g)) throw bad("REDUCE on a " + typeName(fn) + ", not a callable");
        if (!(argsObj instanceof List<?> args)) throw bad("REDUCE of " + g.qualified() + " without an argument tuple");
        String q = g.qualified();
        if (TENSOR_REBUILDERS.contains(q)) return tensor(args);
        if (PARAMETER_REBUILDERS.contains(q)) {
            if (args.isEmpty() || !(args.get(0) instanceof TensorRef)) throw bad(q + " expects a tensor first");
            return args.get(0);
        }
        switch (q) {
            case "collections.OrderedDict" -> {
                Map<Object, Object> m = new LinkedHashMap<>();
                if (!args.isEmpty()) {
                    for (Object pair : list(args.get(0), "OrderedDict items")) {
                        if (!(pair instanceof List<?> kv) || kv.size() != 2) throw bad("OrderedDict item is not a pair");
                        m.put(key(kv.get(0)), kv.get(1));
                    }
                }
                return m;
            }
            case "torch.Size" -> {
                return new ArrayList<>(args.isEmpty() ? List.of() : list(args.get(0), "torch.Size"));
            }
            case "torch.device" -> {
                if (args.isEmpty() || !(args.get(0) instanceof String s)) throw bad("torch.device expects a name");
                return s;
            }
            case "builtins.set", "__builtin__.set", "builtins.frozenset", "__builtin__.frozenset" -> {
                Set<Object> s = new LinkedHashSet<>();
                if (!args.isEmpty()) for (Object o : iterable(args.get(0))) s.add(key(o));
                return s;
            }
            case "_codecs.encode" -> {
                if (args.size() != 2 || !(args.get(0) instanceof String s) || !(args.get(1) instanceof String enc)
                        || !(enc.equals("latin1") || enc.equals("latin-1")))
                    throw bad("_codecs.encode supports only (str, 'latin1')");
                return s.getBytes(StandardCharsets.ISO_8859_1);
            }
            default -> throw bad("'" + q + "' cannot be called");
        }
    }

    /** {@code _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, hooks[, metadata])}. */
    private TensorRef tensor(List<?> args) {
        if (args.size() < 4 || !(args.get(0) instanceof Storage st))
            throw bad("tensor rebuild expects (storage, offset, size, stride, ...)");
        long offset = nonNegative(args.get(1), "storage offset");
        List<Object> size = list(args.get(2), "tensor size"), stride = list(args.get(3), "tensor stride");
        if (size.size() != stride.size())
            throw bad("tensor size " + size + " and stride " + stride + " differ in rank");
        int[] shape = new int[size.size()];
        long[] strides = new long[size.size()];
        for (int i = 0; i < shape.length; i++) {
            long d = nonNegative(size.get(i), "tensor dimension");
            if (d > Integer.MAX_VALUE) throw bad("tensor dimension " + d + " is too large");
            shape[i] = (int) d;
            strides[i] = nonNegative(stride.get(i), "tensor stride");
        }
        long byteOffset = Math.multiplyExact(offset, st.dtype().byteSize());
        return new MappedTensor(what + ": storage '" + st.key() + "'", st.data(), byteOffset, st.dtype(), shape, strides);
    }

    private long nonNegative(Object o, String name) {
        if (!(o instanceof Long v) || v < 0) throw bad(name + " is " + typeName(o) + (o instanceof Long ? " " + o : "")
                + ", not a non-negative int");
        return v;
    }

    private void build(Object state, Object target) {
        // OrderedDict state carries torch's `_metadata` (module versions); it does not affect the tensors.
        if (target instanceof Map<?, ?> && (state == null || state instanceof Map<?, ?>)) return;
        throw bad("refusing BUILD (object state) on a " + typeName(target));
    }

    private Object persistent(Object pid) {
        if (!(pid instanceof List<?> t) || t.size() < 3 || !"storage".equals(t.get(0)))
            throw bad("persistent id is not a ('storage', type, key, location, numel) tuple");
        @SuppressWarnings("unchecked") List<Object> id = (List<Object>) t;
        return storages.apply(id);
    }

    /** Decodes the storage type element of a persistent id (a torch.*Storage global or a torch dtype). */
    static DType storageDType(Object type) {
        if (type instanceof Global g && g.module().equals("torch")) return DType.fromTorch(g.name());
        return null;
    }

    private static String typeName(Object o) {
        if (o == null) return "None";
        if (o instanceof Global g) return "global " + g.qualified();
        if (o instanceof TensorRef) return "tensor";
        return o.getClass().getSimpleName();
    }

    /** Dict keys and set members: only hashable plain values, so hashing can never recurse through a cycle. */
    private Object key(Object k) {
        if (k == null || k instanceof String || k instanceof Long || k instanceof BigInteger || k instanceof Double
                || k instanceof Boolean) return k;
        if (k instanceof Tuple t) {
            for (Object o : t) key(o);
            return k;
        }
        throw bad("unsupported dict key or set member of type " + typeName(k));
    }

    /** An immutable tuple; a distinct type so that lists (mutable, maybe cyclic) are never used as keys. */
    static final class Tuple extends java.util.AbstractList<Object> {
        private final Object[] items;

        Tuple(Object[] items) {
            this.items = items;
        }

        @Override public Object get(int i) { return items[i]; }

        @Override public int size() { return items.length; }
    }

    private static Tuple tuple(List<Object> items) {
        return new Tuple(items.toArray());
    }

    private void putAll(Map<Object, Object> m, List<Object> kv) {
        if (kv.size() % 2 != 0) throw bad("odd number of items for a dict");
        for (int i = 0; i < kv.size(); i += 2) m.put(key(kv.get(i)), kv.get(i + 1));
    }

    @SuppressWarnings("unchecked")
    private List<Object> list(Object o, String op) {
        if (o instanceof ArrayList<?> || o instanceof Tuple) return (List<Object>) o;
        throw bad(op + " on a " + typeName(o) + ", not a list");
    }

    private Iterable<?> iterable(Object o) {
        if (o instanceof List<?> l) return l;
        if (o instanceof Set<?> s) return s;
        throw bad("expected a list or set, got " + typeName(o));
    }

    @SuppressWarnings("unchecked")
    private Map<Object, Object> map(Object o, String op) {
        if (o instanceof LinkedHashMap<?, ?>) return (Map<Object, Object>) o;
        throw bad(op + " on a " + typeName(o) + ", not a dict");
    }

    private Object memoGet(long i) {
        if (!memo.containsKey(i)) throw bad("memo entry " + i + " read before it was written");
        return memo.get(i);
    }

    private void push(Object o) {
        stack.add(o);
    }

    private Object pop() {
        int floor = marks.isEmpty() ? 0 : marks.get(marks.size() - 1);
        if (stack.size() <= floor) throw bad("pickle stack underflow");
        return stack.remove(stack.size() - 1);
    }

    private Object peek() {
        int floor = marks.isEmpty() ? 0 : marks.get(marks.size() - 1);
        if (stack.size() <= floor) throw bad("pickle stack underflow");
        return stack.get(stack.size() - 1);
    }

    private List<Object> popN(int n) {
        Object[] out = new Object[n];
        for (int i = n - 1; i >= 0; i--) out[i] = pop();
        return Arrays.asList(out);
    }

    private List<Object> popMark() {
        if (marks.isEmpty()) throw bad("pickle uses a MARK that was never set");
        int m = marks.remove(marks.size() - 1);
        List<Object> items = new ArrayList<>(stack.subList(m, stack.size()));
        stack.subList(m, stack.size()).clear();
        return items;
    }

    private int u8() {
        if (pos >= in.length) throw bad("pickle ends early");
        return in[pos++] & 0xFF;
    }

    private long le(int n, boolean signed) {
        byte[] b = bytes(n);
        long v = 0;
        for (int i = n - 1; i >= 0; i--) v = (v << 8) | (b[i] & 0xFF);
        if (signed && n < 8 && (b[n - 1] & 0x80) != 0) v -= 1L << (8 * n);
        return v;
    }

    /** A length field; must not exceed the bytes left (so a corrupt length never allocates gigabytes). */
    private int length(int n) {
        long len = le(n, false);
        if (len < 0 || len > in.length - pos) throw bad("length " + Long.toUnsignedString(len) + " exceeds the "
                + (in.length - pos) + " bytes left in the pickle");
        return (int) len;
    }

    private byte[] bytes(int n) {
        if (n > in.length - pos) throw bad("pickle ends early (needs " + n + " more bytes)");
        byte[] b = Arrays.copyOfRange(in, pos, pos + n);
        pos += n;
        return b;
    }

    private String utf8(int n) {
        return new String(bytes(n), StandardCharsets.UTF_8);
    }

    private String line() {
        int start = pos;
        while (pos < in.length && in[pos] != '\n') pos++;
        if (pos >= in.length) throw bad("pickle ends inside a text line");
        return new String(in, start, pos++ - start, StandardCharsets.UTF_8);
    }

    private Object bigInt(int n) {
        byte[] le = bytes(n);
        if (n == 0) return 0L;
        byte[] be = new byte[n];
        for (int i = 0; i < n; i++) be[i] = le[n - 1 - i];
        BigInteger v = new BigInteger(be);
        return v.bitLength() < 64 ? (Object) v.longValue() : v;
    }

    private Object textInt(String s) {
        if (s.equals("01")) return Boolean.TRUE;
        if (s.equals("00")) return Boolean.FALSE;
        return textLong(s);
    }

    private Long textLong(String s) {
        String t = s.endsWith("L") ? s.substring(0, s.length() - 1) : s;
        try {
            return Long.parseLong(t.trim());
        } catch (NumberFormatException e) {
            throw bad("invalid integer literal '" + (t.length() > 40 ? t.substring(0, 40) + "..." : t) + "'");
        }
    }
}
