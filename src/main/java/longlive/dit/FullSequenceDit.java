package longlive.dit;

import longlive.kernel.KeyMask;
import longlive.kernel.RopeTable;
import longlive.tensor.ShapeException;

/**
 * The Wan DiT over a whole clip in one call, without a KV cache: the mode of {@code CausalWanModel._forward_train}
 * (and of the bidirectional teacher / critic {@code WanModel}). Frames get RoPE positions 0..F-1; which keys a query
 * sees is a {@link KeyMask}: null for bidirectional attention, {@link KeyMask#blockCausal} for the causal student.
 * {@link #forwardTeacherForced} runs the clean context frames and the noisy frames side by side with the
 * teacher-forcing mask, as the reference does when {@code clean_x} is given.
 *
 * <p>The prompt's cross-attention keys/values are recomputed each call (training changes the prompt every sample).
 */
public final class FullSequenceDit {
    private final DitConfig c;
    private final DitKernels kern;
    private final DitLayers layers;
    private final RopeTable ropeTable;
    private final float[] crossK, crossV;

    public FullSequenceDit(DitWeights weights, DitKernels kernels) {
        this.c = weights.config();
        this.kern = kernels;
        this.layers = new DitLayers(weights, kernels);
        this.ropeTable = RopeTable.wan(c.headDim());
        this.crossK = new float[c.textLen() * c.dim()];
        this.crossV = new float[c.textLen() * c.dim()];
    }

    /** See {@link CausalDit#embedPrompt}. */
    public void embedPrompt(float[] promptEmbeds, int rows, float[] out, float[] scratch) {
        layers.embedText(promptEmbeds, rows, out, scratch);
    }

    /**
     * One forward over {@code frames} frames.
     *
     * @param latents   {@code [frames, in_dim, height, width]} from {@code latOff}
     * @param timesteps {@code [frames]}
     * @param mask      over the {@code frames * frameSeqLen} tokens, or null (every token sees every token)
     * @param flowOut   {@code [frames, out_dim, height, width]} from {@code flowOff}
     */
    public void forward(DitState st, float[] latents, int latOff, int frames, int height, int width, float[] timesteps,
                        float[] context, KeyMask mask, float[] flowOut, int flowOff) {
        int fsl = check(st, frames, height, width, mask);
        layers.embedPatches(latents, latOff, frames, height, width, st, 0);
        layers.embedTime(timesteps, frames, st);
        run(st, frames, fsl, height, width, context, mask, 1);
        layers.head(st, 0, frames, fsl, height, width, flowOut, flowOff);
    }

    /**
     * Teacher forcing: clean context frames (at timesteps {@code cleanTimesteps}, the reference's {@code aug_t}, 0 by
     * default) followed by the noisy frames, both halves at RoPE positions 0..F-1, with
     * {@link KeyMask#teacherForcing}: a noisy block sees the clean frames of earlier blocks and itself. Returns the
     * velocity of the noisy frames only. The state must hold {@code 2 * frames} frames.
     */
    public void forwardTeacherForced(DitState st, float[] clean, int cleanOff, float[] noisy, int noisyOff, int frames,
                                     int height, int width, float[] cleanTimesteps, float[] timesteps,
                                     int framesPerBlock, float[] context, float[] flowOut, int flowOff) {
        int fsl = c.frameSeqLen(height, width);
        KeyMask mask = KeyMask.teacherForcing(frames, fsl, framesPerBlock);
        check(st, 2 * frames, height, width, mask);
        layers.embedPatches(clean, cleanOff, frames, height, width, st, 0);
        layers.embedPatches(noisy, noisyOff, frames, height, width, st, frames * fsl);
        float[] both = new float[2 * frames];
        System.arraycopy(cleanTimesteps, 0, both, 0, frames);
        System.arraycopy(timesteps, 0, both, frames, frames);
        layers.embedTime(both, 2 * frames, st);
        run(st, 2 * frames, fsl, height, width, context, mask, 2);
        layers.head(st, frames, frames, fsl, height, width, flowOut, flowOff);
    }

    private int check(DitState st, int frames, int height, int width, KeyMask mask) {
        int fsl = c.frameSeqLen(height, width);
        if (fsl != st.frameSeqLen || frames < 1 || frames > st.maxFrames)
            throw new ShapeException("full-sequence DiT: " + frames + " frames of " + fsl + " tokens do not fit a state of "
                    + st.maxFrames + " x " + st.frameSeqLen);
        if (mask != null && mask.rows() != frames * fsl)
            throw new ShapeException("full-sequence DiT: mask has " + mask.rows() + " rows for " + frames * fsl + " tokens");
        return fsl;
    }

    /**
     * The blocks over {@code st.x}; the tokens are {@code segments} runs of {@code frames / segments} frames that each
     * get RoPE positions from 0 (teacher forcing rotates the clean and the noisy half alike).
     */
    private void run(DitState st, int frames, int fsl, int height, int width, float[] context, KeyMask mask,
                     int segments) {
        int gh = height / c.patchH(), gw = width / c.patchW(), d = c.dim(), heads = c.numHeads();
        int segFrames = frames / segments;
        DitLayers.SelfAttention selfAttn = (layer, b, s, nf, tokens) -> {
            layers.selfProjections(b, s, tokens);
            for (int g = 0; g < segments; g++) {
                int off = g * segFrames * fsl * d;
                kern.rope().forward(kern.parallel(), ropeTable, s.q, off, s.q, off, heads, segFrames, gh, gw, 0);
                kern.rope().forward(kern.parallel(), ropeTable, s.k, off, s.k, off, heads, segFrames, gh, gw, 0);
            }
            kern.attention().forward(tokens, tokens, heads, c.headDim(), layers.attentionScale(), s.q, 0, s.k, 0, s.v, 0,
                    s.attn, 0, null, mask);
            layers.selfOutput(b, s, tokens);
        };
        for (int l = 0; l < c.numLayers(); l++) layers.block(l, st, frames, fsl, selfAttn, context, crossK, crossV, true);
    }
}
