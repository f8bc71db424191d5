package longlive.dit;

import java.util.Map;
import longlive.io.WanDitCheckpoint;

/**
 * The DiT's trainable tensors under their Wan2.1 checkpoint names, for a parameter registry. The registry is a
 * callback so that this package does not depend on the training package (train builds on dit, not the reverse):
 * {@code DitParams.register(weights, grads, paramSet::add)} with {@code longlive.train.ParamSet}.
 */
public final class DitParams {
    private DitParams() {}

    /** Receives one tensor: its checkpoint name, the live weight array, its gradient array and its shape. */
    @FunctionalInterface
    public interface Sink {
        void add(String name, float[] value, float[] grad, int... shape);
    }

    /**
     * Hands every tensor of {@code values} (aliased: training updates the live model) with the matching array of
     * {@code grads} (a {@link DitTraining#zerosLike} twin, which {@link DitTraining#backward} accumulates into) to
     * {@code sink}, named and shaped as in the checkpoint ({@code blocks.0.self_attn.q.weight} {@code [dim, dim]},
     * ...), in checkpoint order.
     */
    public static void register(DitWeights values, DitWeights grads, Sink sink) {
        if (!values.config().equals(grads.config()))
            throw new IllegalArgumentException("DitParams: gradients made for another config");
        Map<String, float[]> v = WanDitCheckpoint.tensors(values), g = WanDitCheckpoint.tensors(grads);
        for (Map.Entry<String, int[]> e : WanDitCheckpoint.expectedShapes(values.config()).entrySet())
            sink.add(e.getKey(), v.get(e.getKey()), g.get(e.getKey()), e.getValue());
    }
}
