package longlive.vae;

import longlive.kernel.Activations;
import longlive.kernel.Attention;
import longlive.kernel.DirectConv;
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
 * @param directConv stride-1 convolutions run on {@link DirectConv} (read in place from a padded input) instead of
 *                  im2col tiles and {@code tileGemm}; the scalar reference keeps im2col, so tests compare the two
 */
public record VaeKernels(Parallel parallel, MatMul tileGemm, MatMul gemm, Attention attention, RmsNorm rmsNorm,
                         Activations activations, Elementwise elementwise, boolean directConv) {

    /** The fast (Vector API) kernels on {@code parallel}. */
    public static VaeKernels fast(Parallel parallel) {
        return new VaeKernels(parallel, new VectorMatMul(Parallel.serial()), new VectorMatMul(parallel),
                new VectorAttention(parallel), RmsNorm.vector(), Activations.vector(), Elementwise.vector(), true);
    }

    /** The scalar reference kernels on {@code parallel}. */
    public static VaeKernels scalar(Parallel parallel) {
        return new VaeKernels(parallel, new ScalarMatMul(Parallel.serial()), new ScalarMatMul(parallel),
                new ScalarAttention(parallel), RmsNorm.scalar(), Activations.scalar(), Elementwise.scalar(), false);
    }

    /** The same kernels with every convolution on im2col tiles and {@code tileGemm} (the benchmark's baseline). */
    public VaeKernels withIm2colConvs() {
        return new VaeKernels(parallel, tileGemm, gemm, attention, rmsNorm, activations, elementwise, false);
    }
}
