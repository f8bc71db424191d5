package longlive.stream;

import longlive.tensor.ShapeException;
import longlive.tensor.Tensor;

/**
 * Noise read from tensors, for exact replays of a reference run: {@code noise [F, C, H, W]} (block b starts at frame
 * b * N) and {@code step_noise [F / N, S - 1, N, C, H, W]} (the draw that re-noises block b after step i).
 */
public final class GivenNoise implements NoiseSource {
    private final float[] noise;
    private final float[] stepNoise;
    private final int blocks;
    private final int stepsMinusOne;
    private final int blockSize;

    /**
     * @param framesPerBlock N
     * @param steps          S, the length of the denoising step list
     */
    public GivenNoise(Tensor noise, Tensor stepNoise, int framesPerBlock, int steps) {
        if (noise.rank() != 4) throw new ShapeException("replay: noise must be [F, C, H, W], got " + noise);
        int f = noise.dim(0), perFrame = noise.dim(1) * noise.dim(2) * noise.dim(3);
        if (f % framesPerBlock != 0)
            throw new ShapeException("replay: noise has " + f + " frames, not a multiple of num_frame_per_block "
                    + framesPerBlock);
        this.blocks = f / framesPerBlock;
        this.stepsMinusOne = steps - 1;
        this.blockSize = framesPerBlock * perFrame;
        if (steps > 1) {
            stepNoise.requireShape("replay: step_noise", blocks, steps - 1, framesPerBlock, noise.dim(1), noise.dim(2),
                    noise.dim(3));
        }
        this.noise = noise.data();
        this.stepNoise = stepNoise == null ? new float[0] : stepNoise.data();
    }

    public int blocks() {
        return blocks;
    }

    @Override
    public void initial(int block, float[] out, int off, int n) {
        check(block, n);
        System.arraycopy(noise, block * blockSize, out, off, n);
    }

    @Override
    public void step(int block, int step, float[] out, int off, int n) {
        check(block, n);
        if (step < 0 || step >= stepsMinusOne)
            throw new IllegalArgumentException("replay: no step noise for step " + step + " (have " + stepsMinusOne + ")");
        System.arraycopy(stepNoise, (block * stepsMinusOne + step) * blockSize, out, off, n);
    }

    private void check(int block, int n) {
        if (block < 0 || block >= blocks)
            throw new IllegalArgumentException("replay: the inputs hold noise for " + blocks + " blocks, block " + block
                    + " was asked for");
        if (n != blockSize)
            throw new ShapeException("replay: a block of noise is " + blockSize + " floats, " + n + " were asked for");
    }
}
