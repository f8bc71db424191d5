package longlive.train;

import java.util.Arrays;
import java.util.SplittableRandom;
import longlive.cache.ModelCache;
import longlive.dit.CausalDit;
import longlive.dit.DitConfig;
import longlive.dit.DitKernels;
import longlive.dit.DitState;
import longlive.dit.DitTape;
import longlive.dit.DitTraining;
import longlive.dit.DitWeights;
import longlive.dit.RopeMode;
import longlive.sampling.FlowMatchSchedule;
import longlive.stream.InferenceConfig;

/**
 * The generator's rollout during training (Self-Forcing's {@code SelfForcingTrainingPipeline.inference_with_trajectory},
 * LongLive's streaming variant): block by block against the generator's own sink + window KV cache, exactly as
 * {@link longlive.stream.StreamingGenerator} runs at inference (denoise, re-noise to the next timestep with a fresh
 * draw, cache pass on the clean block at {@code context_noise}), except that each block stops at the call's exit
 * step and, with gradient, runs that one step on a {@link DitTape}. The cache is written without gradient, so
 * {@link #backward} sends each block's gradient through its exit step only, as the reference (cache filled under
 * {@code no_grad}).
 *
 * <p>A rollout may be continued over several calls ({@link #generate}) with the cache carried over (LongLive's
 * chunks), and the prompt switched in between with the KV-recache ({@link #switchPrompt}).
 */
final class SelfForcingRollout {
    private final DitConfig c;
    private final InferenceConfig inf;
    private final FlowMatchSchedule schedule;
    private final float[] denoising;
    private final CausalDit causal;
    private final DitTraining train;
    private final ModelCache cache;
    private final DitState state;
    private final DitTape[] tapes;
    private final int h, w, frameSize, blockSize, maxFrames, window;
    private final float[] sequence, x, x0, flow, noise, ts, ctx, textScratch, exitT;
    private float[] prompt;
    private int frames, lastFirstBlock, lastBlocks;
    private boolean lastWithGrad;

    /**
     * @param maxFrames     most frames of one sequence (the rollout buffer)
     * @param maxGradBlocks most blocks one {@link #generate} call runs with gradient (one tape each)
     */
    SelfForcingRollout(DitWeights generator, DitKernels kernels, InferenceConfig inf, int latentHeight, int latentWidth,
                       int maxFrames, int maxGradBlocks) {
        this.c = generator.config();
        this.inf = inf;
        if (inf.numFramePerBlock() != 3) throw new IllegalArgumentException("training rollouts expect 3 frames per block");
        this.schedule = new FlowMatchSchedule(inf.timestepShift());
        this.denoising = schedule.denoisingTimesteps(inf.denoisingStepList(), inf.warpDenoisingStep());
        this.causal = new CausalDit(generator, kernels, inf.ropeMode());
        this.train = new DitTraining(generator, kernels);
        this.h = latentHeight;
        this.w = latentWidth;
        this.frameSize = c.inDim() * h * w;
        this.blockSize = 3 * frameSize;
        this.maxFrames = maxFrames;
        int fsl = c.frameSeqLen(h, w);
        boolean global = inf.globalAttention();
        this.window = global ? maxFrames : inf.localAttnSize();
        this.cache = new ModelCache(c.numLayers(), c.dim(), c.textLen(), fsl, window, inf.sinkSize(), !global,
                window * fsl, inf.ropeMode() instanceof RopeMode.Relative);
        this.state = new DitState(c, Math.max(3, window), fsl);
        this.tapes = new DitTape[maxGradBlocks];
        for (int b = 0; b < maxGradBlocks; b++) tapes[b] = new DitTape(c, 3, fsl, window * fsl);
        this.sequence = new float[maxFrames * frameSize];
        this.x = new float[blockSize];
        this.x0 = new float[blockSize];
        this.flow = new float[blockSize];
        this.noise = new float[blockSize];
        this.ts = new float[Math.max(3, window)];
        this.ctx = new float[c.textLen() * c.dim()];
        this.textScratch = new float[c.textLen() * Math.max(c.dim(), c.textDim())];
        this.exitT = new float[maxGradBlocks];
    }

    int denoisingSteps() {
        return denoising.length;
    }

    /** Frames generated in this sequence so far. */
    int frames() {
        return frames;
    }

    /** The sequence so far, {@code [frames, C, H, W]} (frames past {@link #frames()} are stale). */
    float[] sequence() {
        return sequence;
    }

    int frameSize() {
        return frameSize;
    }

    /** Starts a new sequence with {@code prompt} (a text-encoder output {@code [text_len, text_dim]}). */
    void begin(float[] prompt) {
        cache.reset();
        frames = 0;
        lastBlocks = 0;
        this.prompt = prompt;
        causal.embedPrompt(prompt, c.textLen(), ctx, textScratch);
    }

    /**
     * After an optimizer step on the generator: re-embeds the prompt and drops the cross-attention keys/values, which
     * were made by the old weights (the self-attention cache stays: it is detached history).
     */
    void weightsChanged() {
        causal.embedPrompt(prompt, c.textLen(), ctx, textScratch);
        cache.crossAttention().invalidate();
    }

    /**
     * The prompt switch with KV-recache, as inference does it: zero the self-attention data unless
     * {@code global_sink}, recompute the last min(window, frames) frames' keys/values under the new prompt at
     * {@code context_noise}.
     */
    void switchPrompt(float[] newPrompt) {
        this.prompt = newPrompt;
        causal.embedPrompt(newPrompt, c.textLen(), ctx, textScratch);
        if (!inf.globalSink()) cache.zeroSelfAttentionData();
        cache.crossAttention().invalidate();
        if (frames == 0) return;
        int n = Math.min(window, frames), start = frames - n;
        Arrays.fill(ts, 0, n, inf.contextNoise());
        causal.forward(state, cache, sequence, start * frameSize, n, h, w, ts, ctx, start, !inf.globalSink(), null, 0);
        cache.crossAttention().invalidate();
    }

    /**
     * Generates {@code blocks} more blocks onto the sequence, each denoised up to step {@code exit} (the same for
     * all blocks, as {@code same_step_across_blocks}). With {@code withGrad} each block's exit step is recorded for
     * {@link #backward}.
     */
    void generate(int blocks, int exit, boolean withGrad, SplittableRandom rnd) {
        if (frames + 3 * blocks > maxFrames)
            throw new IllegalStateException("rollout: " + blocks + " blocks past frame " + frames + " exceed the buffer of " + maxFrames);
        if (withGrad && blocks > tapes.length)
            throw new IllegalArgumentException("rollout: " + blocks + " blocks with gradient, tapes for " + tapes.length);
        if (exit < 0 || exit >= denoising.length) throw new IllegalArgumentException("exit step " + exit + " of " + denoising.length);
        lastFirstBlock = frames / 3;
        lastBlocks = blocks;
        lastWithGrad = withGrad;
        for (int b = 0; b < blocks; b++) {
            int start = frames;
            VaeTraining.gaussian(rnd, x);
            for (int i = 0; i <= exit; i++) {
                Arrays.fill(ts, 0, 3, denoising[i]);
                if (withGrad && i == exit)
                    train.forwardCachedBlock(tapes[b], cache, inf.ropeMode(), x, 0, 3, h, w, ts, prompt, c.textLen(), start, flow, 0);
                else causal.forward(state, cache, x, 0, 3, h, w, ts, ctx, start, false, flow, 0);
                schedule.x0FromVelocity(x, 0, flow, 0, denoising[i], x0, 0, blockSize);
                if (i < exit) {
                    VaeTraining.gaussian(rnd, noise);
                    schedule.addNoise(x0, 0, noise, 0, denoising[i + 1], x, 0, blockSize);
                }
            }
            if (withGrad) exitT[b] = denoising[exit];
            System.arraycopy(x0, 0, sequence, start * frameSize, blockSize);
            Arrays.fill(ts, 0, 3, inf.contextNoise());
            causal.forward(state, cache, x0, 0, 3, h, w, ts, ctx, start, false, null, 0);
            frames += 3;
        }
    }

    /**
     * Accumulates into {@code grads} the generator gradient of a loss whose gradient w.r.t. the last
     * {@link #generate} call's frames is {@code dX} (from {@code dXOff}, those frames in order):
     * {@code x0 = x_t − σ·v} at the exit step, so {@code ∂L/∂v = −σ·∂L/∂x0}. {@code dX} is overwritten.
     */
    void backward(float[] dX, int dXOff, DitWeights grads) {
        if (!lastWithGrad) throw new IllegalStateException("rollout: the last generate() ran without gradient");
        for (int b = lastBlocks - 1; b >= 0; b--) {
            float k = -schedule.sigma(exitT[b]);
            int off = dXOff + b * blockSize;
            for (int i = off; i < off + blockSize; i++) dX[i] *= k;
            train.backward(tapes[b], dX, off, grads, null, 0, null, 0, null);
        }
        lastWithGrad = false;
    }

    /** First block index of the last {@link #generate} call. */
    int lastFirstBlock() {
        return lastFirstBlock;
    }
}
