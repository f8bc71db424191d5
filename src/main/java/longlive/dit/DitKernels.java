package longlive.dit;

import longlive.kernel.Activations;
import longlive.kernel.AdaLn;
import longlive.kernel.Elementwise;
import longlive.kernel.Attention;
import longlive.kernel.LayerNorm;
import longlive.kernel.MatMul;
import longlive.kernel.Parallel;
import longlive.kernel.RmsNorm;
import longlive.kernel.Rope3d;
import longlive.kernel.ScalarAttention;
import longlive.kernel.ScalarMatMul;
import longlive.kernel.VectorAttention;
import longlive.kernel.VectorMatMul;

/**
 * The kernels a DiT forward runs on, passed in (never looked up globally) so tests can run the same model on the
 * scalar reference kernels and on the fast ones.
 */
public record DitKernels(Parallel parallel, MatMul matMul, Attention attention, LayerNorm layerNorm,
                         RmsNorm rmsNorm, Rope3d rope, Activations activations, AdaLn adaLn,
                         Elementwise elementwise) {

    /** The fast (Vector API) kernels on {@code parallel}. */
    public static DitKernels fast(Parallel parallel) {
        return new DitKernels(parallel, new VectorMatMul(parallel), new VectorAttention(parallel), LayerNorm.vector(),
                RmsNorm.vector(), Rope3d.vector(), Activations.vector(), AdaLn.vector(), Elementwise.vector());
    }

    /** The scalar reference kernels on {@code parallel}. */
    public static DitKernels scalar(Parallel parallel) {
        return new DitKernels(parallel, new ScalarMatMul(parallel), new ScalarAttention(parallel), LayerNorm.scalar(),
                RmsNorm.scalar(), Rope3d.scalar(), Activations.scalar(), AdaLn.scalar(), Elementwise.scalar());
    }
}
