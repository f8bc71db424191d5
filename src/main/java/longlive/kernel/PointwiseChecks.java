package longlive.kernel;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import longlive.tensor.ShapeException;

/**
 * Argument checks and work-splitting helpers shared by the pointwise, normalization and rotary kernels, so the
 * scalar and the Vector API implementation of each reject bad input with the same message.
 */
final class PointwiseChecks {
    private PointwiseChecks() {}

    /** The widest float vector shape the CPU runs natively; all Vector implementations use it. */
    static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;

    /** Elements one task should at least get, so tiny calls stay on the calling thread. */
    private static final int MIN_ELEMENTS_PER_TASK = 1 << 14;

    /** Minimum rows per task for rows of {@code dim} elements. */
    static int rowGrain(int dim) {
        return Math.max(1, MIN_ELEMENTS_PER_TASK / Math.max(1, dim));
    }

    /** Minimum elements per task for flat element-wise loops. */
    static int flatGrain() {
        return MIN_ELEMENTS_PER_TASK;
    }

    /** Columns per task when a parameter gradient is reduced over rows, column range by column range. */
    static final int COLUMN_BLOCK = 64;

    /** Rows summed in float before the partial sum is added to a parameter gradient (bounds rounding growth). */
    static final int ROW_CHUNK = 256;

    /** Throws unless every count is >= 0 (and dims that must be positive are). */
    static void requireDims(String op, String what, int rows, int dim) {
        if (rows < 0 || dim < 1)
            throw new ShapeException(op + ": " + what + " [" + rows + ", " + dim + "] needs rows >= 0 and dim >= 1");
    }

    /** Throws unless {@code array[off, off + count)} exists; {@code shape} describes the view for the message. */
    static void requireView(String op, String name, float[] array, int off, long count, int... shape) {
        if (array == null)
            throw new ShapeException(op + ": " + name + " " + Arrays.toString(shape) + " is null");
        if (off < 0 || off + count > array.length)
            throw new ShapeException(op + ": " + name + " " + Arrays.toString(shape) + " needs " + count
                    + " floats from offset " + off + " but its array has " + array.length);
    }

    /** Like {@link #requireView} but a null array is allowed (meaning "not wanted"). */
    static void optionalView(String op, String name, float[] array, int off, long count, int... shape) {
        if (array != null) requireView(op, name, array, off, count, shape);
    }

    /**
     * Checks a per-frame modulation operand: {@code frames} rows of {@code dim} floats, row f starting at
     * {@code off + f * stride}.
     */
    static void requireStrided(String op, String name, float[] array, int off, int frames, int dim, int stride) {
        if (stride < dim)
            throw new ShapeException(op + ": " + name + " row stride " + stride + " is smaller than dim " + dim);
        long count = frames == 0 ? 0 : (long) (frames - 1) * stride + dim;
        requireView(op, name, array, off, count, frames, dim);
    }
}
