package longlive.train;

import java.util.SplittableRandom;

/**
 * The timestep draws of the reference training code ({@code BaseModel._get_timestep} and its callers), one value
 * per latent frame of one sample, constant within each block of {@code framesPerBlock} frames where the reference
 * makes it so.
 */
public final class TimestepSampler {
    /** {@code num_train_timestep} of the reference configs. */
    public static final int NUM_TRAIN_TIMESTEPS = 1000;
    /** DMD's {@code min_step = int(0.02·1000)} and {@code max_step = int(0.98·1000)}. */
    public static final int DMD_MIN_STEP = 20, DMD_MAX_STEP = 980;

    private TimestepSampler() {}

    /**
     * DMD / critic timestep ({@code compute_distribution_matching_loss}, {@code critic_loss} with
     * {@code ts_schedule: false}): raw t ~ U{0..999}, the same for all frames, shifted and clamped by
     * {@link #dmdShift}.
     */
    public static float dmd(SplittableRandom rnd, double shift) {
        return dmdShift(rnd.nextInt(NUM_TRAIN_TIMESTEPS), shift);
    }

    /**
     * {@code t' = shift·(t/1000) / (1 + (shift−1)·(t/1000)) · 1000} clamped to [20, 980], in float32 as the
     * reference computes it on a long tensor (no shift when {@code shift <= 1}, as the reference's {@code if}).
     */
    public static float dmdShift(long raw, double shift) {
        float t = raw;
        if (shift > 1) {
            float x = (float) raw / 1000f, s = (float) shift;
            t = s * x / (1f + (s - 1f) * x) * 1000f;
        }
        return Math.min(Math.max(t, DMD_MIN_STEP), DMD_MAX_STEP);
    }

    /**
     * Flow-matching (teacher / diffusion) training: a table index ~ U{0..999} per block of frames
     * ({@code CausalDiffusion.generator_loss}, {@code uniform_timestep=False}); look the timestep up in
     * {@link longlive.sampling.FlowMatchSchedule#timesteps()}. {@code framesPerBlock = frames} gives one index for
     * the whole clip, as for a bidirectional teacher.
     */
    public static int[] flowIndices(SplittableRandom rnd, int frames, int framesPerBlock) {
        return perBlock(rnd, frames, framesPerBlock, NUM_TRAIN_TIMESTEPS);
    }

    /**
     * ODE regression ({@code ODERegression._prepare_generator_input}): an index into the stored trajectory
     * ({@code 0..trajectoryLength-1}, the last being the clean latent) per block of frames.
     */
    public static int[] odeIndices(SplittableRandom rnd, int frames, int framesPerBlock, int trajectoryLength) {
        return perBlock(rnd, frames, framesPerBlock, trajectoryLength);
    }

    /**
     * Self-Forcing's random exit step ({@code SelfForcingTrainingPipeline.generate_and_sync_list}): for each block
     * of the rollout, the denoising step (index into the denoising step list, e.g. 4 steps) whose output is kept
     * and carries the gradient; the steps before it run without gradient. LongLive uses
     * {@code same_step_across_blocks: true} (block 0's draw applies to every block).
     */
    public static int[] exitSteps(SplittableRandom rnd, int blocks, int denoisingSteps, boolean sameAcrossBlocks, boolean lastStepOnly) {
        if (blocks < 1 || denoisingSteps < 1) throw new IllegalArgumentException("need at least one block and one denoising step");
        int[] out = new int[blocks];
        for (int b = 0; b < blocks; b++) out[b] = lastStepOnly ? denoisingSteps - 1 : rnd.nextInt(denoisingSteps);
        if (sameAcrossBlocks) java.util.Arrays.fill(out, out[0]);
        return out;
    }

    /**
     * The reference's {@code (denoised_timestep_from, denoised_timestep_to)} for an exit step (used to bound the
     * DMD timestep when {@code ts_schedule} is on): {@code 1000 − nearest table index} of the exit step's timestep
     * and of the next one (to = 0 after the last step).
     *
     * @param denoisingTimesteps the (warped) denoising timesteps, e.g. [1000, 937.5, 833.3, 625]
     */
    public static int[] denoisedRange(longlive.sampling.FlowMatchSchedule schedule, float[] denoisingTimesteps, int exitStep) {
        int from = NUM_TRAIN_TIMESTEPS - schedule.nearestIndex(denoisingTimesteps[exitStep]);
        int to = exitStep == denoisingTimesteps.length - 1 ? 0
                : NUM_TRAIN_TIMESTEPS - schedule.nearestIndex(denoisingTimesteps[exitStep + 1]);
        return new int[] {from, to};
    }

    private static int[] perBlock(SplittableRandom rnd, int frames, int framesPerBlock, int bound) {
        if (framesPerBlock < 1 || frames % framesPerBlock != 0)
            throw new IllegalArgumentException(frames + " frames are not a whole number of blocks of " + framesPerBlock);
        int[] out = new int[frames];
        for (int b = 0; b < frames; b += framesPerBlock) {
            int v = rnd.nextInt(bound);
            for (int f = b; f < b + framesPerBlock; f++) out[f] = v;
        }
        return out;
    }
}
