package longlive.train;

import java.util.Arrays;
import longlive.tensor.Tensor;

/**
 * One trainable tensor: {@code value} aliases the model's own weight array (training updates the live model, no
 * copy), {@code grad} has the same layout and length and is where backward passes accumulate (+=).
 *
 * @param name  the reference state-dict name (e.g. {@code blocks.0.self_attn.q.weight}), so checkpoints convert
 *              to the files {@code generate} loads
 * @param shape the tensor shape; its element count equals {@code value.length}
 */
public record Param(String name, float[] value, float[] grad, int[] shape) {
    public Param {
        if (name == null || name.isEmpty()) throw new IllegalArgumentException("a parameter needs a name");
        if (value == null || grad == null) throw new IllegalArgumentException(name + ": value and grad are required");
        if (Tensor.count(shape) != value.length)
            throw new IllegalArgumentException(name + ": shape " + Arrays.toString(shape) + " does not hold "
                    + value.length + " values");
        if (grad.length != value.length)
            throw new IllegalArgumentException(name + ": grad has " + grad.length + " values, value " + value.length);
        if (grad == value) throw new IllegalArgumentException(name + ": grad must not alias value");
        shape = shape.clone();
    }

    /** Number of elements. */
    public int size() {
        return value.length;
    }

    @Override
    public int[] shape() {
        return shape.clone();
    }

    @Override
    public String toString() {
        return name + Arrays.toString(shape);
    }
}
