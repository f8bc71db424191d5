package longlive.train;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import longlive.io.CheckpointException;
import longlive.io.LoraMerge;
import longlive.io.SafeTensorsWriter;
import longlive.io.StateDict;
import longlive.kernel.MatMul;
import longlive.tensor.Tensor;

/**
 * LoRA on the Linear layers of a model that trains through its ordinary weights (PEFT {@code LoraLayer} semantics,
 * as LongLive's streaming long tuning uses it: r = α = 256 on every Linear of every block, dropout 0).
 *
 * <p>For each adapted Linear {@code W [out, in]}: {@code A [r, in]} kaiming-uniform like PEFT
 * ({@code kaiming_uniform_(a=√5)}, i.e. U(−1/√in, 1/√in)), {@code B [out, r]} zeros, scale {@code α/r}.
 * The model itself is not changed: {@link #apply()} writes the effective weight {@code W0 + scale·B·A} into the
 * model's weight array (a frozen copy {@code W0} of the base is kept), the model runs its ordinary forward and
 * backward (which accumulates {@code dW} into the weight's gradient), and {@link #backward()} turns that into
 * {@code dA += scale·Bᵀ·dW} and {@code dB += scale·dW·Aᵀ} (two GEMMs). Call {@link #apply()} again after every
 * optimizer step on {@link #params()}.
 *
 * <p>Names: {@link #params()} holds {@code <module>.lora_A.weight} / {@code <module>.lora_B.weight};
 * {@link #exportPeft} writes them with PEFT's {@code base_model.model.} prefix, the layout {@link LoraMerge} and
 * {@code convert --lora} read.
 */
public final class LoraAdapter {
    /** The Linear layers LongLive adapts: q/k/v/o of both attentions and ffn.0 / ffn.2 of every block. */
    public static final Pattern BLOCK_LINEARS =
            Pattern.compile("blocks\\.\\d+\\.((self_attn|cross_attn)\\.[qkvo]|ffn\\.[02])\\.weight");

    /** One adapted Linear. */
    private record Module(String name, Param weight, float[] base, Param a, Param b, int out, int in) {}

    private final List<Module> modules = new ArrayList<>();
    private final ParamSet params = new ParamSet();
    private final int rank;
    private final double alpha;
    private final float scale;
    private final MatMul matMul;
    private float[] scratch = new float[0];

    /**
     * Adapts every 2-D weight of {@code model} whose name passes {@code target} (e.g. {@code BLOCK_LINEARS.asMatchPredicate()}).
     * The base weights are copied now; A is drawn from {@code seed}.
     */
    public LoraAdapter(ParamSet model, Predicate<String> target, int rank, double alpha, long seed, MatMul matMul) {
        if (rank < 1) throw new IllegalArgumentException("LoRA rank must be >= 1, got " + rank);
        if (!(alpha > 0)) throw new IllegalArgumentException("LoRA alpha must be > 0, got " + alpha);
        this.rank = rank;
        this.alpha = alpha;
        this.scale = (float) (alpha / rank);
        this.matMul = matMul;
        SplittableRandom rnd = new SplittableRandom(seed);
        for (Param w : model) {
            if (!target.test(w.name())) continue;
            int[] s = w.shape();
            if (s.length != 2) throw new IllegalArgumentException(w.name() + ": LoRA needs a 2-D Linear weight, got " + Arrays.toString(s));
            if (!w.name().endsWith(".weight")) throw new IllegalArgumentException(w.name() + ": not a '.weight' tensor");
            String mod = w.name().substring(0, w.name().length() - ".weight".length());
            int out = s[0], in = s[1];
            float[] a = new float[rank * in];
            double bound = 1 / Math.sqrt(in);
            for (int i = 0; i < a.length; i++) a[i] = (float) ((rnd.nextDouble() * 2 - 1) * bound);
            Param pa = params.add(mod + ".lora_A.weight", a, rank, in);
            Param pb = params.add(mod + ".lora_B.weight", new float[out * rank], out, rank);
            modules.add(new Module(mod, w, w.value().clone(), pa, pb, out, in));
        }
        if (modules.isEmpty()) throw new IllegalArgumentException("no parameter of " + model + " matches the LoRA target");
    }

    /** The trainable LoRA factors (give these to the optimizer; the base weights stay frozen). */
    public ParamSet params() {
        return params;
    }

    /** Adapted module names ({@code blocks.0.self_attn.q}, ...). */
    public List<String> modules() {
        return modules.stream().map(Module::name).toList();
    }

    public int rank() {
        return rank;
    }

    public double alpha() {
        return alpha;
    }

    /** Writes {@code W = W0 + scale·B·A} into every adapted weight of the model. */
    public void apply() {
        for (Module m : modules) {
            float[] w = m.weight().value();
            System.arraycopy(m.base(), 0, w, 0, w.length);
            LoraMerge.addLowRank(w, m.b().value(), m.a().value(), m.out(), rank, m.in(), scale, matMul);
        }
    }

    /** Restores the base weights into the model (the adapter off). */
    public void remove() {
        for (Module m : modules) System.arraycopy(m.base(), 0, m.weight().value(), 0, m.base().length);
    }

    /**
     * Accumulates the factor gradients from the model's weight gradients {@code dW} (the weights' {@code grad}
     * arrays, filled by the model's backward): {@code dA += scale·Bᵀ·dW}, {@code dB += scale·dW·Aᵀ}.
     */
    public void backward() {
        for (Module m : modules) {
            float[] dW = m.weight().grad();
            int n = m.out() * m.in();
            if (scratch.length < n) scratch = new float[n];
            for (int i = 0; i < n; i++) scratch[i] = scale * dW[i];
            // dA [r, in] += Bᵀ [r, out] · (scale·dW) [out, in]
            matMul.gemm(rank, m.in(), m.out(), m.b().value(), 0, true, scratch, 0, false, null, m.a().grad(), 0, true);
            // dB [out, r] += (scale·dW) [out, in] · Aᵀ [in, r]
            matMul.gemm(m.out(), rank, m.in(), scratch, 0, false, m.a().value(), 0, true, null, m.b().grad(), 0, true);
        }
    }

    /** The frozen base weights as a state dict (reference names), e.g. to check a merge. */
    public StateDict baseStateDict() {
        java.util.Map<String, Tensor> t = new java.util.LinkedHashMap<>();
        for (Module m : modules) t.put(m.weight().name(), Tensor.of(m.base(), m.out(), m.in()));
        return StateDict.ofTensors("LoRA base", t);
    }

    /**
     * Writes the factors in PEFT naming ({@code base_model.model.<module>.lora_A.weight}), with rank and alpha in
     * the metadata; {@code ./longlive convert BASE OUT --lora FILE} and {@link LoraMerge} read it.
     */
    public void exportPeft(Path file) {
        SafeTensorsWriter w = new SafeTensorsWriter().metadata("format", "peft-lora")
                .metadata("rank", Integer.toString(rank)).metadata("alpha", Double.toString(alpha));
        for (Module m : modules) {
            w.add(LoraMerge.PEFT_PREFIX + m.a().name(), Tensor.of(m.a().value(), rank, m.in()));
            w.add(LoraMerge.PEFT_PREFIX + m.b().name(), Tensor.of(m.b().value(), m.out(), rank));
        }
        w.write(file);
    }

    /**
     * Loads factors saved by {@link #exportPeft} (or LongLive's own PEFT state dict, with or without the prefix
     * and adapter name) into this adapter; the module set and shapes must match exactly.
     */
    public void importPeft(StateDict lora) {
        java.util.Map<String, String> byName = new java.util.HashMap<>();
        for (String k : lora.names()) {
            String n = k.startsWith(LoraMerge.PEFT_PREFIX) ? k.substring(LoraMerge.PEFT_PREFIX.length()) : k;
            byName.put(n.replace(".default.weight", ".weight"), k);
        }
        if (byName.size() != params.size())
            throw new CheckpointException(lora.source() + ": holds " + byName.size() + " LoRA tensors, this adapter has "
                    + params.size() + " (" + modules.size() + " modules)");
        for (Param p : params) {
            String key = byName.get(p.name());
            if (key == null) throw new CheckpointException(lora.source() + ": no LoRA tensor for " + p.name());
            System.arraycopy(lora.tensor(key, p.shape()).data(), 0, p.value(), 0, p.size());
        }
    }
}
