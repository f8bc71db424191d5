package longlive.stream;

import longlive.cache.ModelCache;
import longlive.dit.CausalDit;
import longlive.dit.DitConfig;
import longlive.dit.DitState;
import longlive.dit.RopeMode;
import longlive.sampling.FlowMatchSchedule;
import longlive.tensor.ShapeException;

/**
 * A LongLive generation session: produces the latent video block by block (num_frame_per_block latent frames per
 * {@link #step}), with a sink + rolling-window KV cache, and switches prompts at block boundaries with the KV-recache.
 * Mirrors {@code CausalInferencePipeline.inference} and {@code InteractiveCausalInferencePipeline.inference /
 * _recache_after_switch} (pipeline/*.py).
 *
 * <p>One step = denoise (S model calls: predict x0 from the velocity, re-noise with a fresh draw to the next
 * timestep), emit the last x0, then one more call on the clean output at {@code context_noise} only to write clean
 * keys/values into the cache. Every buffer is allocated in the constructor and sized by the window (or, with global
 * attention, by the frame limit): memory does not grow with the stream.
 *
 * <p>Deterministic: the same weights, noise source, prompts and switch points give the same latents.
 * Not thread-safe: one session is driven by one thread (the kernels parallelise internally).
 */
public final class StreamingGenerator {
    /** The reference's {@code max_attention_size} for global attention (21 frames of 1560 tokens), kept as is. */
    public static final int GLOBAL_MAX_ATTENTION_TOKENS = 32760;

    /** Observes what the generator does (tests inject one); all methods default to doing nothing. */
    public interface Listener {
        /** A block starts ({@code block} 0-based) at latent frame {@code firstFrame}. */
        default void blockStarted(int block, int firstFrame) {}

        /** A prompt switch took effect at frame {@code atFrame}, recaching frames {@code [recacheStart, atFrame)}. */
        default void recached(int atFrame, int recacheStart, int recacheFrames) {}

        /** One model call over {@code frames} frames finished in {@code nanos}. */
        default void forwardTimed(ForwardKind kind, int frames, long nanos) {}
    }

    /** Why the model ran: a denoising step, the cache pass on the clean output, or the recache of a prompt switch. */
    public enum ForwardKind { DENOISE, CACHE, RECACHE }

    private final CausalDit model;
    private final DitConfig c;
    private final InferenceConfig cfg;
    private final int height, width, frameSize, frameSeqLen, n;
    private final int historyFrames;
    private final int maxFrames;
    private final NoiseSource noise;
    private final FlowMatchSchedule schedule;
    private final float[] timesteps;
    private final ModelCache cache;
    private final DitState state;
    private final Listener listener;

    // per-block buffers, [N, C, H, W] unless noted
    private final float[] x, x0, draw;
    /** Velocity of the model [N, C, H, W]. */
    private final float[] flow;
    /** The most recent generated frames, oldest first [historyFrames, C, H, W]: the recache input. */
    private final float[] history;
    private final float[] frameTimesteps;
    private final float[] context;
    private final float[] textScratch;

    private int historyCount;
    private int currentFrame;
    /** The frame at which the model's positions start: 0, or the frame of the last {@link SwitchMode#CLEAR} switch. */
    private int origin;
    private SwitchMode switchMode = SwitchMode.RECACHE;
    private int block;
    private float[] pendingPrompt;
    private int pendingRows;

    /**
     * @param latentHeight latent rows (60 for 480p)
     * @param latentWidth  latent columns (104 for 832 px)
     * @param maxFrames    most latent frames this session may produce: required with global attention (the cache
     *                     holds every frame); with a window it only bounds the run ({@link Integer#MAX_VALUE} for
     *                     an endless relative-RoPE stream)
     * @param prompt       text-encoder output {@code [rows, text_dim]} of the first prompt
     */
    public StreamingGenerator(CausalDit model, InferenceConfig cfg, int latentHeight, int latentWidth, int maxFrames,
                              NoiseSource noise, float[] prompt, int promptRows, Listener listener) {
        this.model = model;
        this.c = model.config();
        this.cfg = cfg;
        if (!cfg.ropeMode().equals(model.ropeMode()))
            throw new IllegalArgumentException("generator: the model runs " + model.ropeMode() + " but the config asks for "
                    + cfg.ropeMode());
        this.height = latentHeight;
        this.width = latentWidth;
        this.frameSeqLen = c.frameSeqLen(latentHeight, latentWidth);
        this.frameSize = c.inDim() * latentHeight * latentWidth;
        if (c.inDim() != c.outDim())
            throw new IllegalArgumentException("generator: in_dim " + c.inDim() + " != out_dim " + c.outDim()
                    + " cannot denoise its own output");
        this.n = cfg.numFramePerBlock();
        if (maxFrames < n) throw new IllegalArgumentException("generator: maxFrames " + maxFrames + " < one block of " + n);
        if (cfg.globalAttention() && maxFrames == Integer.MAX_VALUE)
            throw new IllegalArgumentException("generator: global attention (local_attn_size -1) keeps every frame in the "
                    + "cache; give a frame limit, or use a local window for an endless stream");
        this.maxFrames = maxFrames;
        this.noise = noise;
        this.listener = listener == null ? new Listener() {} : listener;
        this.schedule = new FlowMatchSchedule(cfg.timestepShift());
        this.timesteps = schedule.denoisingTimesteps(cfg.denoisingStepList(), cfg.warpDenoisingStep());

        int windowFrames = cfg.globalAttention() ? roundUpToBlocks(maxFrames, n) : cfg.localAttnSize();
        int maxAttention = cfg.globalAttention() ? GLOBAL_MAX_ATTENTION_TOKENS : cfg.localAttnSize() * frameSeqLen;
        this.cache = new ModelCache(c.numLayers(), c.dim(), c.textLen(), frameSeqLen, windowFrames, cfg.sinkSize(),
                !cfg.globalAttention(), maxAttention, cfg.ropeMode() instanceof RopeMode.Relative);
        this.historyFrames = windowFrames;
        int stateFrames = Math.max(n, windowFrames);
        this.state = new DitState(c, stateFrames, frameSeqLen);
        this.x = new float[n * frameSize];
        this.x0 = new float[n * frameSize];
        this.draw = new float[n * frameSize];
        this.flow = new float[n * frameSize];
        this.history = new float[historyFrames * frameSize];
        this.frameTimesteps = new float[stateFrames];
        this.context = new float[c.textLen() * c.dim()];
        this.textScratch = new float[c.textLen() * Math.max(c.textDim(), c.dim())];
        model.embedPrompt(checkPrompt(prompt, promptRows), promptRows, context, textScratch);
    }

    /**
     * The {@code maxFrames} to give a generator that will make {@code latentFrames} frames: for global attention (which
     * keeps every frame, so its cache is sized by this limit) the frames rounded up to whole blocks, as the last block
     * is generated whole and its extra frames dropped by the caller; unlimited for a local window.
     */
    public static int frameLimitFor(InferenceConfig cfg, int latentFrames) {
        return cfg.globalAttention() ? roundUpToBlocks(Math.max(1, latentFrames), cfg.numFramePerBlock()) : Integer.MAX_VALUE;
    }

    private static int roundUpToBlocks(int frames, int perBlock) {
        return (int) Math.min(Integer.MAX_VALUE, ((long) frames + perBlock - 1) / perBlock * perBlock);
    }

    private float[] checkPrompt(float[] prompt, int rows) {
        if (rows < 1 || rows > c.textLen() || prompt.length < rows * c.textDim())
            throw new ShapeException("generator: a prompt must be [rows <= " + c.textLen() + ", " + c.textDim()
                    + "], got " + rows + " rows in an array of " + prompt.length);
        return prompt;
    }

    /**
     * Asks for a prompt switch; it takes effect at the next block boundary (the next {@link #step}), with the KV-recache.
     * A later request before that boundary replaces this one.
     */
    public void requestPromptSwitch(float[] prompt, int rows) {
        checkPrompt(prompt, rows);
        pendingPrompt = prompt.clone();
        pendingRows = rows;
    }

    /** Whether a switch is waiting for the next block boundary. */
    public boolean switchPending() {
        return pendingPrompt != null;
    }

    /**
     * Generates the next block into {@code out[off, off + N*C*H*W)} ({@code [N, C, H, W]}) and returns N.
     *
     * @throws IllegalStateException when the stream reached its limit (the absolute RoPE table's 1024 frames, or
     *                               {@code maxFrames}); the session is unchanged then
     */
    public int step(float[] out, int off) {
        int frame = currentFrame;
        if ((long) frame + n > maxFrames)
            throw new IllegalStateException("generator: frame limit " + maxFrames + " reached at frame " + frame);
        // the block's position in the model's cache: a CLEAR switch restarts positions as a new video would
        int start = pendingPrompt != null && switchMode == SwitchMode.CLEAR ? 0 : frame - origin;
        if (cfg.ropeMode() instanceof RopeMode.Absolute && start + n > model.maxRopePositions())
            throw new IllegalStateException("generator: the absolute RoPE mode cannot go past latent frame "
                    + model.maxRopePositions() + " (its position table ends there; frames " + start + ".." + (start + n - 1)
                    + " were asked for). Use the relative RoPE mode for longer streams.");
        if (out.length - off < n * frameSize)
            throw new ShapeException("generator: output needs " + n * frameSize + " floats from " + off + ", array has "
                    + out.length);
        if (pendingPrompt != null) switchPrompt();
        listener.blockStarted(block, frame);

        noise.initial(block, x, 0, n * frameSize);
        for (int i = 0; i < timesteps.length; i++) {
            java.util.Arrays.fill(frameTimesteps, 0, n, timesteps[i]);
            long t0 = System.nanoTime();
            model.forward(state, cache, x, 0, n, height, width, frameTimesteps, context, start, false, flow, 0);
            listener.forwardTimed(ForwardKind.DENOISE, n, System.nanoTime() - t0);
            schedule.x0FromVelocity(x, 0, flow, 0, timesteps[i], x0, 0, n * frameSize);
            if (i < timesteps.length - 1) {
                noise.step(block, i, draw, 0, n * frameSize);
                schedule.addNoise(x0, 0, draw, 0, timesteps[i + 1], x, 0, n * frameSize);
            }
        }
        System.arraycopy(x0, 0, out, off, n * frameSize);
        remember(x0);
        // the cache pass: the clean output at t = context_noise writes the keys/values later blocks attend to
        java.util.Arrays.fill(frameTimesteps, 0, n, cfg.contextNoise());
        long t0 = System.nanoTime();
        model.forward(state, cache, x0, 0, n, height, width, frameTimesteps, context, start, false, null, 0);
        listener.forwardTimed(ForwardKind.CACHE, n, System.nanoTime() - t0);
        currentFrame += n;
        block++;
        return n;
    }

    /** Generates the next block into a new array {@code [N, C, H, W]}. */
    public float[] step() {
        float[] out = new float[n * frameSize];
        step(out, 0);
        return out;
    }

    /** Keeps the newest {@code historyFrames} frames, oldest first. */
    private void remember(float[] frames) {
        int keep = Math.min(historyCount, historyFrames - n);
        if (keep < historyCount)
            System.arraycopy(history, (historyCount - keep) * frameSize, history, 0, keep * frameSize);
        System.arraycopy(frames, 0, history, keep * frameSize, n * frameSize);
        historyCount = keep + n;
    }

    /**
     * The prompt switch ({@code _recache_after_switch}): with {@code global_sink} false zero every self-attention
     * key/value (indices kept); reset the cross-attention cache; re-run the model on the last
     * min(local_attn_size, frames so far) generated frames with the NEW prompt at t = context_noise, which rewrites
     * their keys/values (the sink slots too unless {@code global_sink}).
     */
    private void switchPrompt() {
        model.embedPrompt(pendingPrompt, pendingRows, context, textScratch);
        pendingPrompt = null;
        int frame = currentFrame;
        switch (switchMode) {
            case KEEP -> {                      // the old prompt's keys/values stay; only cross-attention follows
                cache.crossAttention().invalidate();
                listener.recached(frame, frame, 0);
                return;
            }
            case CLEAR -> {                     // forget everything: the rest of the video starts afresh
                cache.reset();
                origin = frame;
                historyCount = 0;
                listener.recached(frame, frame, 0);
                return;
            }
            case RECACHE -> { }
        }
        if (!cfg.globalSink()) cache.zeroSelfAttentionData();
        cache.crossAttention().invalidate();
        int start = frame - origin;
        if (start == 0) {
            listener.recached(frame, frame, 0);
            return;
        }
        int frames = cfg.globalAttention() ? start : Math.min(cfg.localAttnSize(), start);
        int recacheStart = start - frames;
        if (frames > historyCount)
            throw new IllegalStateException("generator: recache needs " + frames + " frames, history holds " + historyCount);
        java.util.Arrays.fill(frameTimesteps, 0, frames, cfg.contextNoise());
        long t0 = System.nanoTime();
        model.forward(state, cache, history, (historyCount - frames) * frameSize, frames, height, width, frameTimesteps,
                context, recacheStart, !cfg.globalSink(), null, 0);
        listener.forwardTimed(ForwardKind.RECACHE, frames, System.nanoTime() - t0);
        cache.crossAttention().invalidate();
        listener.recached(frame, frame - frames, frames);
    }

    /**
     * What a prompt switch does to the KV cache: LongLive's {@link #RECACHE} (the default); {@link #KEEP} the old
     * prompt's keys/values (only the cross-attention follows the new prompt: the paper's "no recache" baseline); or
     * {@link #CLEAR} the cache, so the rest of the video starts afresh from the switch (the "clear cache" baseline).
     */
    public enum SwitchMode { RECACHE, KEEP, CLEAR }

    /** Sets what later prompt switches do to the cache (default {@link SwitchMode#RECACHE}). */
    public void setSwitchMode(SwitchMode mode) {
        this.switchMode = java.util.Objects.requireNonNull(mode);
    }

    /** Latent frames generated so far (the next block starts here). */
    public int currentFrame() {
        return currentFrame;
    }

    /** Blocks generated so far. */
    public int blocksDone() {
        return block;
    }

    public int framesPerBlock() {
        return n;
    }

    /** Floats of one latent frame (C * H * W). */
    public int frameSize() {
        return frameSize;
    }

    /** The session's caches (tests check their sizes and identities). */
    public ModelCache cache() {
        return cache;
    }

    /** The session's activation buffers. */
    public DitState state() {
        return state;
    }

    /** The timesteps of the denoising steps. */
    public float[] timesteps() {
        return timesteps.clone();
    }

    /** Bytes of every per-session buffer: caches, activations, latents. */
    public long sessionBytes() {
        long own = (long) (x.length + x0.length + draw.length + flow.length + history.length + context.length
                + textScratch.length) * Float.BYTES;
        return cache.bytes() + state.bytes() + own;
    }
}
