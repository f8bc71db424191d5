package longlive.vae;

import longlive.kernel.Activations;
import longlive.kernel.Attention;
import longlive.kernel.Elementwise;
import longlive.kernel.MatMul;
import longlive.kernel.Parallel;
import longlive.kernel.RmsNorm;
import longlive.kernel.ScalarAttention;
import longlive.kernel.ScalarMatMul;
import longlive.kernel.VectorAttention;
import longlive.kernel.VectorMatMul;

/**
 * The kernels the VAE runs on, passed in (never looked up globally) so tests can compare the scalar reference
 * kernels with the fast ones.
 *
 * @param parallel  splits convolutions over output tiles (one task per tile range)
 * @param tileGemm  a SERIAL GEMM each worker runs on its own tile (the tiles are the parallelism)
 * @param gemm      a parallel GEMM for the few whole-frame products (attention projections)
 */
public record VaeKernels(Parallel parallel, MatMul tileGemm, MatMul gemm, Attention attention, RmsNorm rmsNorm,
                         Activations activations, Elementwise elementwise) {

    /** The fast (Vector API) kernels on {@code parallel}. */
    public static VaeKernels fast(Parallel parallel) {
        return new VaeKernels(parallel, new VectorMatMul(Parallel.serial()), new VectorMatMul(parallel),
                new VectorAttention(parallel), RmsNorm.vector(), Activations.vector(), Elementwise.vector());
    }

    /** The scalar reference kernels on {@code parallel}. */
    public static VaeKernels scalar(Parallel parallel) {
        return new VaeKernels(parallel, new ScalarMatMul(Parallel.serial()), new ScalarMatMul(parallel),
                new ScalarAttention(parallel), RmsNorm.scalar(), Activations.scalar(), Elementwise.scalar());
    }
}
