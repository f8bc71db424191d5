package longlive.io;

import longlive.tensor.Tensor;

/**
 * One tensor of a checkpoint, not yet read: its stored dtype and shape are known, the data is decoded only
 * when asked for. Implementations read from a memory-mapped file (safetensors, torch zip) or wrap memory.
 */
public interface TensorRef {
    /** The element type as stored in the file. */
    DType dtype();

    /** A copy of the shape; a scalar has shape {@code []}. */
    int[] shape();

    /** Number of elements. */
    default long numel() {
        return Tensor.count(shape());
    }

    /** Decodes the data widened to float32 (F32/BF16/F16/F64); integer dtypes are refused. */
    Tensor toFloat();

    /** Decodes an integer tensor (I64/I32/I16/I8/U8/BOOL) as longs in row-major order. */
    long[] toLongs();

    /** Like {@link #toLongs()} but as ints; I64 values outside the int range are refused. */
    default int[] toInts() {
        long[] v = toLongs();
        int[] out = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            if (v[i] != (int) v[i])
                throw new CheckpointException("value " + v[i] + " at element " + i + " does not fit an int");
            out[i] = (int) v[i];
        }
        return out;
    }

    /** A tensor already in memory (float32). */
    static TensorRef of(Tensor t) {
        return new TensorRef() {
            @Override public DType dtype() { return DType.F32; }
            @Override public int[] shape() { return t.shape(); }
            @Override public Tensor toFloat() { return t; }
            @Override public long[] toLongs() {
                throw new CheckpointException("in-memory tensor " + t + " is F32, not an integer type");
            }
            @Override public String toString() { return "F32" + java.util.Arrays.toString(t.shape()); }
        };
    }

    /** Integer values already in memory (I64). */
    static TensorRef ofLongs(long[] values, int... shape) {
        if (Tensor.count(shape) != values.length)
            throw new CheckpointException("shape " + java.util.Arrays.toString(shape) + " does not hold "
                    + values.length + " values");
        int[] s = shape.clone();
        return new TensorRef() {
            @Override public DType dtype() { return DType.I64; }
            @Override public int[] shape() { return s.clone(); }
            @Override public Tensor toFloat() {
                throw new CheckpointException("in-memory tensor I64" + java.util.Arrays.toString(s)
                        + " is an integer type, not floating point");
            }
            @Override public long[] toLongs() { return values.clone(); }
            @Override public String toString() { return "I64" + java.util.Arrays.toString(s); }
        };
    }
}
