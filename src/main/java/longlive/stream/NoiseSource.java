package longlive.stream;

/**
 * Where the generator's Gaussian draws come from: the initial noise of each block and the fresh noise that re-noises
 * the x0 prediction after each denoising step but the last. {@link SeededNoise} draws them from a seed (normal runs);
 * {@link GivenNoise} reads them from tensors (the {@code replay} parity command).
 *
 * <p>Every draw is addressed by (block, step), so a source never has to remember what it produced: memory stays
 * constant however long the stream runs.
 */
public interface NoiseSource {
    /**
     * Fills {@code out[off, off + n)} with the initial noise of block {@code block} ({@code n = frames * C * H * W},
     * frames in order).
     */
    void initial(int block, float[] out, int off, int n);

    /**
     * Fills {@code out[off, off + n)} with the noise that re-noises block {@code block} after denoising step
     * {@code step} (0-based; steps 0 .. S-2).
     */
    void step(int block, int step, float[] out, int off, int n);
}
