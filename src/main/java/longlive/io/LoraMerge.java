package longlive.io;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import longlive.kernel.MatMul;
import longlive.tensor.Tensor;

/**
 * Merges a PEFT LoRA into base weights: {@code W += (alpha / r) · B · A} for every adapted Linear, with
 * {@code A = <module>.lora_A.weight [r, in]} and {@code B = <module>.lora_B.weight [out, r]} (PEFT's
 * {@code LoraLayer.get_delta_weight}; LongLive trains r = 256, alpha = 256, so the scale is 1).
 *
 * <p>LoRA key names as LongLive saves them ({@code peft.get_peft_model_state_dict} of the wrapped
 * {@code CausalWanModel}, stored under {@code generator_lora} in {@code lora.pt}):
 * {@code base_model.model.blocks.N.{self_attn,cross_attn}.{q,k,v,o}.lora_{A,B}.weight} and
 * {@code base_model.model.blocks.N.ffn.{0,2}.lora_{A,B}.weight}. The {@code base_model.model.} prefix is removed
 * and the rest names the base weight {@code <module>.weight} (or {@code <module>.base_layer.weight} when the base
 * was saved from a PEFT-wrapped model; {@code .base_layer} is then dropped from every output name). An adapter
 * name between {@code lora_A} and {@code weight} ({@code lora_A.default.weight}) is accepted.
 *
 * <p>The plan is checked completely from shapes before anything is decoded; merged weights are computed lazily
 * when {@link #merged()} tensors are read, so a converter holds one weight at a time.
 */
public final class LoraMerge {
    /** Prefix PEFT puts before module names in {@code get_peft_model_state_dict}. */
    public static final String PEFT_PREFIX = "base_model.model.";
    private static final Pattern LORA_KEY = Pattern.compile("^(.+)\\.lora_([AB])(?:\\.([^.]+))?\\.weight$");

    /** One adapted Linear: the base weight key and its LoRA factors. */
    public record Module(String name, String weightKey, String aKey, String bKey, int rank, int out, int in) {}

    private final List<Module> modules;
    private final StateDict merged;
    private final double alpha;

    private LoraMerge(List<Module> modules, StateDict merged, double alpha) {
        this.modules = modules;
        this.merged = merged;
        this.alpha = alpha;
    }

    /**
     * Plans the merge of {@code lora} into {@code base}; refuses (listing them) LoRA keys without a partner,
     * without a base weight, with mismatched shapes, or that are not LoRA factors at all.
     *
     * @param alpha  LoRA alpha; NaN means alpha = r per module (scale 1)
     * @param matMul computes B·A when a merged weight is read
     */
    public static LoraMerge plan(StateDict base, StateDict lora, double alpha, MatMul matMul) {
        Map<String, String[]> pairs = new LinkedHashMap<>();
        List<String> notLora = new ArrayList<>();
        for (String key : lora.names()) {
            String k = key.startsWith(PEFT_PREFIX) ? key.substring(PEFT_PREFIX.length()) : key;
            Matcher m = LORA_KEY.matcher(k);
            if (!m.matches()) {
                notLora.add(key);
                continue;
            }
            String[] ab = pairs.computeIfAbsent(m.group(1), x -> new String[2]);
            int i = m.group(2).equals("A") ? 0 : 1;
            if (ab[i] != null) notLora.add(key + " (second adapter for " + m.group(1) + ")");
            ab[i] = key;
        }
        List<String> errors = new ArrayList<>();
        for (String k : notLora) errors.add(k + ": not a LoRA factor (expected <module>.lora_A/lora_B.weight)");
        List<Module> modules = new ArrayList<>();
        for (Map.Entry<String, String[]> e : pairs.entrySet()) {
            String mod = e.getKey();
            String aKey = e.getValue()[0], bKey = e.getValue()[1];
            if (aKey == null || bKey == null) {
                errors.add(mod + ": has " + (aKey == null ? "lora_B" : "lora_A") + " but no "
                        + (aKey == null ? "lora_A" : "lora_B"));
                continue;
            }
            String wKey = base.contains(mod + ".weight") ? mod + ".weight"
                    : base.contains(mod + ".base_layer.weight") ? mod + ".base_layer.weight" : null;
            if (wKey == null) {
                errors.add(mod + ": no base weight " + mod + ".weight in " + base.source());
                continue;
            }
            int[] a = lora.shape(aKey), b = lora.shape(bKey), w = base.shape(wKey);
            if (a.length != 2 || b.length != 2 || w.length != 2 || a[0] != b[1] || w[0] != b[0] || w[1] != a[1]) {
                errors.add(mod + ": shapes do not fit, weight " + Arrays.toString(w) + ", lora_A " + Arrays.toString(a)
                        + " (expected [r, " + (w.length == 2 ? w[1] : "in") + "]), lora_B " + Arrays.toString(b)
                        + " (expected [" + (w.length == 2 ? w[0] : "out") + ", r])");
                continue;
            }
            if (a[0] == 0) {
                errors.add(mod + ": rank 0");
                continue;
            }
            modules.add(new Module(mod, wKey, aKey, bKey, a[0], w[0], w[1]));
        }
        if (!errors.isEmpty()) {
            StringBuilder sb = new StringBuilder(lora.source()).append(": cannot merge LoRA into ").append(base.source())
                    .append(" (").append(errors.size()).append(" problems):");
            for (String s : errors.subList(0, Math.min(StateDict.LIST_LIMIT, errors.size()))) sb.append("\n  ").append(s);
            if (errors.size() > StateDict.LIST_LIMIT) sb.append("\n  ... (").append(errors.size() - StateDict.LIST_LIMIT).append(" more)");
            throw new CheckpointException(sb.toString());
        }
        if (modules.isEmpty()) throw new CheckpointException(lora.source() + ": holds no LoRA factors");
        if (!Double.isNaN(alpha) && !(alpha > 0 && Double.isFinite(alpha)))
            throw new CheckpointException("LoRA alpha must be a positive number, got " + alpha);

        Map<String, Module> byWeight = new LinkedHashMap<>();
        for (Module m : modules) byWeight.put(m.weightKey(), m);
        Map<String, TensorRef> out = new LinkedHashMap<>();
        for (String key : base.names()) {
            TensorRef ref = base.ref(key);
            Module m = byWeight.get(key);
            String name = key.replace(".base_layer.", ".");
            TensorRef v = m == null ? ref : mergedRef(ref, lora.ref(m.aKey()), lora.ref(m.bKey()), m,
                    (float) ((Double.isNaN(alpha) ? m.rank() : alpha) / m.rank()), matMul);
            if (out.put(name, v) != null)
                throw new CheckpointException(base.source() + ": both " + key + " and " + name + " present");
        }
        return new LoraMerge(List.copyOf(modules), new StateDict(base.source() + " + LoRA " + lora.source(), out, null), alpha);
    }

    private static TensorRef mergedRef(TensorRef w, TensorRef a, TensorRef b, Module m, float scale, MatMul matMul) {
        return new TensorRef() {
            @Override public DType dtype() { return DType.F32; }
            @Override public int[] shape() { return new int[] {m.out(), m.in()}; }
            @Override public Tensor toFloat() {
                Tensor t = w.toFloat().copy();
                addLowRank(t.data(), b.toFloat().data(), a.toFloat().data(), m.out(), m.rank(), m.in(), scale, matMul);
                return t;
            }
            @Override public long[] toLongs() {
                throw new CheckpointException(m.weightKey() + " is a float tensor");
            }
            @Override public String toString() { return "F32[" + m.out() + ", " + m.in() + "] + LoRA r=" + m.rank(); }
        };
    }

    /**
     * {@code w[out, in] += scale · b[out, r] · a[r, in]} through the project's GEMM (B is scaled into a copy
     * first, so the product is one accumulating {@code gemm}).
     */
    public static void addLowRank(float[] w, float[] b, float[] a, int out, int r, int in, float scale, MatMul matMul) {
        if (w.length != (long) out * in || b.length != (long) out * r || a.length != (long) r * in)
            throw new longlive.tensor.ShapeException("lora merge: W " + w.length + ", B " + b.length + ", A " + a.length
                    + " elements do not fit [" + out + ", " + in + "] += [" + out + ", " + r + "]·[" + r + ", " + in + "]");
        float[] sb = b.clone();
        for (int i = 0; i < sb.length; i++) sb[i] *= scale;
        matMul.gemm(out, in, r, sb, 0, false, a, 0, false, null, w, 0, true);
    }

    /** The adapted modules, in LoRA file order. */
    public List<Module> modules() {
        return modules;
    }

    /** The base tensors with adapted weights merged (lazily); {@code .base_layer} removed from names. */
    public StateDict merged() {
        return merged;
    }

    /** The alpha used (NaN: alpha = r per module). */
    public double alpha() {
        return alpha;
    }
}
