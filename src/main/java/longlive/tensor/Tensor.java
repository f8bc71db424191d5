package longlive.tensor;

import java.util.Arrays;

/**
 * A dense, row-major float32 array with a shape. Deliberately small: kernels work on the raw {@code data}
 * array with explicit offsets (so a slice costs nothing); this type carries shape checks and names between
 * stages (checkpoint loading, model weights, activations).
 */
public final class Tensor {
    private final float[] data;
    private final int[] shape;

    private Tensor(float[] data, int[] shape) {
        this.data = data;
        this.shape = shape;
    }

    /** Wraps {@code data} (not copied) with the given shape; the element counts must agree. */
    public static Tensor of(float[] data, int... shape) {
        long n = count(shape);
        if (n != data.length)
            throw new ShapeException("tensor: shape " + Arrays.toString(shape) + " holds " + n
                    + " elements but the data has " + data.length);
        return new Tensor(data, shape.clone());
    }

    /** A zero-filled tensor of the given shape. */
    public static Tensor zeros(int... shape) {
        long n = count(shape);
        if (n > Integer.MAX_VALUE - 8)
            throw new ShapeException("tensor: shape " + Arrays.toString(shape) + " has " + n
                    + " elements, more than one Java array can hold");
        return new Tensor(new float[(int) n], shape.clone());
    }

    /** Number of elements of a shape; throws on negative dimensions. */
    public static long count(int... shape) {
        long n = 1;
        for (int d : shape) {
            if (d < 0) throw new ShapeException("tensor: negative dimension in shape " + Arrays.toString(shape));
            n *= d;
        }
        return n;
    }

    public float[] data() {
        return data;
    }

    /** A copy of the shape. */
    public int[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    /** Size of dimension {@code i}; negative {@code i} counts from the end. */
    public int dim(int i) {
        return shape[i < 0 ? shape.length + i : i];
    }

    public int size() {
        return data.length;
    }

    /** The same data viewed with another shape of equal element count. */
    public Tensor reshape(int... newShape) {
        return of(data, newShape);
    }

    /** A deep copy. */
    public Tensor copy() {
        return new Tensor(data.clone(), shape.clone());
    }

    /** Throws a {@link ShapeException} naming {@code what} unless this tensor has exactly {@code expected} shape. */
    public Tensor requireShape(String what, int... expected) {
        if (!Arrays.equals(shape, expected))
            throw new ShapeException(what + ": expected shape " + Arrays.toString(expected) + " but got "
                    + Arrays.toString(shape));
        return this;
    }

    public boolean hasShape(int... s) {
        return Arrays.equals(shape, s);
    }

    @Override
    public String toString() {
        return "Tensor" + Arrays.toString(shape);
    }
}
