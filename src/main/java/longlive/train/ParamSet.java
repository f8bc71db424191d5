package longlive.train;

import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * An ordered set of named trainable tensors. Insertion order is kept (it is the order of checkpoints, of the
 * optimizer state and of the gradient-norm sum). {@link #subset} views share the same {@link Param} objects, so
 * a frozen part is simply left out of the subset given to the optimizer.
 */
public final class ParamSet implements Iterable<Param> {
    private final Map<String, Param> params = new LinkedHashMap<>();

    /** Adds {@code value} (aliased, not copied) with a freshly allocated zero gradient. */
    public Param add(String name, float[] value, int... shape) {
        return add(name, value, new float[value.length], shape);
    }

    /** Adds {@code value} with a caller-owned gradient array (e.g. a field of a model's gradient twin). */
    public Param add(String name, float[] value, float[] grad, int... shape) {
        return put(new Param(name, value, grad, shape));
    }

    private Param put(Param p) {
        if (params.containsKey(p.name())) throw new IllegalArgumentException("parameter '" + p.name() + "' added twice");
        for (Param q : params.values())
            if (q.value() == p.value() || q.grad() == p.grad())
                throw new IllegalArgumentException("parameter '" + p.name() + "' shares its "
                        + (q.value() == p.value() ? "value" : "grad") + " array with '" + q.name() + "'");
        params.put(p.name(), p);
        return p;
    }

    /** The parameter called {@code name}; throws listing a few names when absent. */
    public Param get(String name) {
        Param p = params.get(name);
        if (p == null)
            throw new IllegalArgumentException("no parameter '" + name + "' (have " + params.size() + ": "
                    + String.join(", ", params.keySet().stream().limit(8).toList()) + (params.size() > 8 ? ", ..." : "") + ")");
        return p;
    }

    /** Whether a parameter called {@code name} is present. */
    public boolean contains(String name) {
        return params.containsKey(name);
    }

    /** All parameters in insertion order (unmodifiable). */
    public List<Param> all() {
        return List.copyOf(params.values());
    }

    /** Names in insertion order. */
    public List<String> names() {
        return List.copyOf(params.keySet());
    }

    @Override
    public Iterator<Param> iterator() {
        return Collections.unmodifiableCollection(params.values()).iterator();
    }

    /** Number of tensors. */
    public int size() {
        return params.size();
    }

    /** Sets every gradient to zero (backward passes accumulate, so call this before each step's backward). */
    public void zeroGrad() {
        for (Param p : params.values()) Arrays.fill(p.grad(), 0f);
    }

    /** Multiplies every gradient by {@code factor} (a batch accumulated sample by sample becomes its mean). */
    public void scaleGrad(double factor) {
        if (factor == 1) return;
        float c = (float) factor;
        for (Param p : params.values()) {
            float[] g = p.grad();
            for (int i = 0; i < g.length; i++) g[i] *= c;
        }
    }

    /** The global L2 norm of all gradients, summed in double in insertion order. */
    public double gradNorm() {
        double sum = 0;
        for (Param p : params.values()) {
            float[] g = p.grad();
            double s = 0;
            for (float v : g) s += (double) v * v;
            sum += s;
        }
        return Math.sqrt(sum);
    }

    /**
     * Scales all gradients so that their global L2 norm is at most {@code maxNorm}, as
     * {@code torch.nn.utils.clip_grad_norm_} does: factor {@code maxNorm / (norm + 1e-6)} applied only when it is
     * below 1. A non-finite norm leaves the gradients untouched (the caller decides to skip the step).
     *
     * @return the norm before clipping
     */
    public double clipGradNorm(double maxNorm) {
        if (!(maxNorm > 0)) throw new IllegalArgumentException("maxNorm must be > 0, got " + maxNorm);
        double norm = gradNorm();
        double coef = maxNorm / (norm + 1e-6);
        if (Double.isFinite(norm) && coef < 1) scaleGrad(coef);
        return norm;
    }

    /** Total number of scalar parameters. */
    public long count() {
        long n = 0;
        for (Param p : params.values()) n += p.size();
        return n;
    }

    /** The parameters whose names pass {@code keep}, sharing the same {@link Param} objects (and arrays). */
    public ParamSet subset(Predicate<String> keep) {
        ParamSet s = new ParamSet();
        for (Param p : params.values()) if (keep.test(p.name())) s.params.put(p.name(), p);
        return s;
    }

    @Override
    public String toString() {
        return "ParamSet(" + size() + " tensors, " + count() + " values)";
    }
}
