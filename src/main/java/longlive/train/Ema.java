package longlive.train;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Exponential moving average of parameters, as the reference's {@code EMA_FSDP}:
 * {@code shadow = decay·shadow + (1 − decay)·value} after each optimizer step, starting from a copy of the values
 * at construction. LongLive uses decay 0.99 for the generator. The shadow is what ships for inference.
 */
public final class Ema {
    private final ParamSet params;
    private final double decay;
    private final Map<String, float[]> shadow = new LinkedHashMap<>();
    private long updates;

    public Ema(ParamSet params, double decay) {
        if (!(decay >= 0 && decay <= 1)) throw new IllegalArgumentException("EMA decay must be in [0, 1], got " + decay);
        this.params = params;
        this.decay = decay;
        for (Param p : params) shadow.put(p.name(), p.value().clone());
    }

    /** Folds the current parameter values into the average. */
    public void update() {
        float d = (float) decay, keep = (float) (1 - decay);
        for (Param p : params) {
            float[] s = shadow(p.name()), v = p.value();
            for (int i = 0; i < s.length; i++) s[i] = s[i] * d + keep * v[i];
        }
        updates++;
    }

    /** The averaged values of {@code name} (live array: a checkpoint load writes into it). */
    public float[] shadow(String name) {
        float[] s = shadow.get(name);
        if (s == null) throw new IllegalArgumentException("EMA has no shadow for '" + name + "'");
        return s;
    }

    /** Copies the averages into the values of the same-named parameters of {@code target} (e.g. an eval model). */
    public void copyTo(ParamSet target) {
        for (Param p : target) {
            float[] s = shadow(p.name());
            if (s.length != p.size()) throw new IllegalArgumentException(p.name() + ": EMA holds " + s.length + " values, target " + p.size());
            System.arraycopy(s, 0, p.value(), 0, s.length);
        }
    }

    /**
     * Puts the averages into the live parameters until the returned handle is closed, when the raw values come back
     * (to evaluate or export the averaged model and then go on training).
     */
    public Averaged averagedIn() {
        return new Averaged();
    }

    /** The raw values, kept while the averages are in the live parameters. */
    public final class Averaged implements AutoCloseable {
        private final float[][] raw = new float[params.size()][];

        private Averaged() {
            int i = 0;
            for (Param p : params) raw[i++] = p.value().clone();
            copyTo(params);
        }

        @Override
        public void close() {
            int i = 0;
            for (Param p : params) System.arraycopy(raw[i], 0, p.value(), 0, raw[i++].length);
        }
    }

    /** The parameters averaged. */
    public ParamSet params() {
        return params;
    }

    public double decay() {
        return decay;
    }

    /** Number of {@link #update()} calls (saved with checkpoints). */
    public long updates() {
        return updates;
    }

    public void setUpdates(long updates) {
        this.updates = updates;
    }
}
