package longlive.dit;

import longlive.tensor.ShapeException;

/**
 * The weights of one PyTorch {@code nn.Linear}: {@code y = x W^T + b} with {@code weight [out, in]} (row-major)
 * and {@code bias [out]}.
 */
public record Linear(int in, int out, float[] weight, float[] bias) {
    public Linear {
        if (in < 1 || out < 1) throw new ShapeException("Linear: bad size in=" + in + " out=" + out);
        if (weight.length != (long) in * out)
            throw new ShapeException("Linear: weight has " + weight.length + " elements, expected [" + out + ", " + in + "]");
        if (bias.length != out)
            throw new ShapeException("Linear: bias has " + bias.length + " elements, expected [" + out + "]");
    }

    /** A zero-initialised layer of the given size (filled later by a loader or an initialiser). */
    public static Linear zeros(int in, int out) {
        return new Linear(in, out, new float[in * out], new float[out]);
    }
}
