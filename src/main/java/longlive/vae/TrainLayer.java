package longlive.vae;

/**
 * One layer of an encoder/decoder stack in training form ({@link TrainStack}): built for one clip shape, it owns its
 * activation tape (everything its backward reads, its output included: the next layer's input is this layer's
 * {@link #output()}, never a copy). Whole clips only: causal time padding is zeros, as at the start of a stream,
 * which makes the result equal to the reference's chunked, cached forward.
 */
sealed interface TrainLayer permits ResidualTrain, AttentionTrain, ResampleTrain {

    FrameShape inShape();

    FrameShape outShape();

    /** The output of the last {@link #forward}, {@code [outShape]} channels-last. */
    float[] output();

    /** Floats each of the two gradient scratch buffers must hold for {@link #backward}. */
    long scratchFloats();

    /** Runs the layer on {@code in [inShape]} into {@link #output()}, recording the tape. */
    void forward(VaeKernels k, TrainScratch s, float[] in);

    /**
     * Backward of the last {@link #forward}: ACCUMULATES the weight gradients into {@code grad} (the layer's twin in
     * a gradient {@link VaeWeights}) and, when {@code dIn} is not null, the input gradient into {@code dIn}.
     *
     * @param in     the forward input (still intact)
     * @param dOut   {@code [outShape]}
     * @param ga, gb scratch of {@link #scratchFloats()} floats each, contents undefined
     */
    void backward(VaeKernels k, TrainScratch s, float[] in, float[] dOut, float[] dIn, VaeWeights.Layer grad,
                  float[] ga, float[] gb);

    /** RMS_norm epsilon as {@link VaeLayer#normSilu} uses it: {@code F.normalize}'s 1e-12 norm floor, squared, per channel. */
    static float eps(int channels) {
        return 1e-24f / channels;
    }
}
