package longlive.tensor;

import java.util.Arrays;

/** Thrown when an operation gets operands whose shapes do not fit; the message names the operation and the shapes. */
public final class ShapeException extends IllegalArgumentException {
    public ShapeException(String message) {
        super(message);
    }

    /** "gemm: A [4, 5] and B [6, 7] do not fit (inner dimensions 5 != 6)". */
    public static ShapeException of(String op, String nameA, int[] shapeA, String nameB, int[] shapeB, String why) {
        return new ShapeException(op + ": " + nameA + " " + Arrays.toString(shapeA) + " and "
                + nameB + " " + Arrays.toString(shapeB) + " do not fit (" + why + ")");
    }
}
