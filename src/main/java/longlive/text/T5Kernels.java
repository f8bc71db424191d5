package longlive.text;

import longlive.kernel.Activations;
import longlive.kernel.MatMul;
import longlive.kernel.Parallel;
import longlive.kernel.RmsNorm;
import longlive.kernel.ScalarMatMul;
import longlive.kernel.Softmax;
import longlive.kernel.VectorMatMul;

/**
 * The kernels a umT5 forward runs on, passed in (never looked up globally) so tests can run the same model on the
 * scalar reference kernels and on the fast ones.
 */
public record T5Kernels(Parallel parallel, MatMul matMul, RmsNorm rmsNorm, Activations activations, Softmax softmax) {

    /** The fast (Vector API) kernels on {@code parallel}. */
    public static T5Kernels fast(Parallel parallel) {
        return new T5Kernels(parallel, new VectorMatMul(parallel), RmsNorm.vector(), Activations.vector(),
                Softmax.vector());
    }

    /** The scalar reference kernels on {@code parallel}. */
    public static T5Kernels scalar(Parallel parallel) {
        return new T5Kernels(parallel, new ScalarMatMul(parallel), RmsNorm.scalar(), Activations.scalar(),
                Softmax.scalar());
    }
}
