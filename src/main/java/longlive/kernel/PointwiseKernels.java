package longlive.kernel;

/**
 * The pointwise, normalization and rotary kernels as one value to pass into model code: every member is either
 * the scalar reference or the Vector API implementation.
 */
public record PointwiseKernels(LayerNorm layerNorm, RmsNorm rmsNorm, Rope3d rope, Activations activations,
                               Softmax softmax, AdaLn adaLn, Elementwise elementwise,
                               ChannelRmsNorm channelRmsNorm) {
    public PointwiseKernels {
        if (layerNorm == null || rmsNorm == null || rope == null || activations == null || softmax == null
                || adaLn == null || elementwise == null || channelRmsNorm == null)
            throw new IllegalArgumentException("pointwise kernels: no member may be null");
    }

    /** All reference (scalar) implementations. */
    public static PointwiseKernels scalar() {
        return new PointwiseKernels(LayerNorm.scalar(), RmsNorm.scalar(), Rope3d.scalar(), Activations.scalar(),
                Softmax.scalar(), AdaLn.scalar(), Elementwise.scalar(), ChannelRmsNorm.scalar());
    }

    /** All Vector API implementations. */
    public static PointwiseKernels vector() {
        return new PointwiseKernels(LayerNorm.vector(), RmsNorm.vector(), Rope3d.vector(), Activations.vector(),
                Softmax.vector(), AdaLn.vector(), Elementwise.vector(), ChannelRmsNorm.vector());
    }
}
