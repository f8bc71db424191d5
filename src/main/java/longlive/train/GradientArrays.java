package longlive.train;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One batch worker's gradient arrays, in the trained parameters' order, so that the workers of a step (each with
 * whole samples of the batch) can be zeroed and summed into worker 0's arrays, which are the parameters' own.
 */
final class GradientArrays {
    private final List<float[]> arrays = new ArrayList<>();

    void add(float[] grad) {
        arrays.add(grad);
    }

    void zero() {
        for (float[] a : arrays) Arrays.fill(a, 0f);
    }

    /** Adds these gradients to {@code into}'s (the same parameters, registered in the same order). */
    void addTo(GradientArrays into) {
        if (into.arrays.size() != arrays.size())
            throw new IllegalArgumentException(arrays.size() + " gradient arrays cannot be added to " + into.arrays.size());
        for (int i = 0; i < arrays.size(); i++) {
            float[] a = arrays.get(i), b = into.arrays.get(i);
            for (int j = 0; j < a.length; j++) b[j] += a[j];
        }
    }
}
