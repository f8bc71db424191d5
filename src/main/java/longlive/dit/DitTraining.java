package longlive.dit;

import java.util.Arrays;
import longlive.cache.CacheUpdate;
import longlive.cache.KvCache;
import longlive.cache.ModelCache;
import longlive.kernel.KeyMask;
import longlive.kernel.Parallel;
import longlive.kernel.RopeTable;
import longlive.kernel.TimestepEmbedding;
import longlive.tensor.ShapeException;

/**
 * Training forward and backward of the Wan DiT. The forward computes what {@link FullSequenceDit} (bidirectional,
 * block-causal, teacher forcing) or {@link CausalDit} (one cached block) computes, and records on a {@link DitTape}
 * what the backward needs; {@link #backward} then ACCUMULATES the gradient of every weight into a zeros-like
 * {@link DitWeights} twin ({@link #zerosLike}) and, optionally, into the gradients of the input latents and of the
 * prompt embedding (the text encoder's output, before the DiT's text MLP).
 *
 * <p>Each sub-layer's backward is the kernel's own backward (MatMul, Attention with its KeyMask, RmsNorm, LayerNorm,
 * AdaLn, Rope3d, Activations); this class only wires them in reverse order. Timesteps get no gradient.
 *
 * <p>The cached block step ({@link #forwardCachedBlock}) is what Self-Forcing backpropagates through: the block's
 * queries attend to the sink + window keys/values already in the {@link ModelCache} (treated as constants: no
 * gradient flows into them) plus the block's own keys/values, which the step writes into the cache exactly like
 * inference.
 */
public final class DitTraining {
    private final DitConfig c;
    private final DitWeights w;
    private final DitKernels kern;
    private final Parallel par;
    private final RopeTable ropeTable;
    private final float eps, scale;
    private final DitBackward backward;

    public DitTraining(DitWeights weights, DitKernels kernels) {
        this.c = weights.config();
        this.w = weights;
        this.kern = kernels;
        this.par = kernels.parallel();
        this.ropeTable = RopeTable.wan(c.headDim());
        this.eps = (float) c.eps();
        this.scale = (float) (1.0 / Math.sqrt(c.headDim()));
        this.backward = new DitBackward(weights, kernels, ropeTable, scale);
    }

    public DitConfig config() {
        return c;
    }

    /** Zero-filled gradients laid out exactly like {@code w} (same records, same array sizes). */
    public static DitWeights zerosLike(DitWeights w) {
        return DitWeights.zeros(w.config());
    }

    /** Sets every gradient array of {@code g} to zero. */
    public static void zero(DitWeights g) {
        g.forEachLinear(l -> {
            Arrays.fill(l.weight(), 0f);
            Arrays.fill(l.bias(), 0f);
        });
        Arrays.fill(g.headModulation(), 0f);
        for (BlockWeights b : g.blocks())
            for (float[] a : new float[][] {b.modulation(), b.selfNormQ(), b.selfNormK(), b.norm3Weight(), b.norm3Bias(),
                    b.crossNormQ(), b.crossNormK()})
                if (a != null) Arrays.fill(a, 0f);
    }

    // ------------------------------------------------------------------------------------------------ forwards

    /**
     * Full-sequence training forward (the mode of {@link FullSequenceDit#forward}).
     *
     * @param latents    {@code [frames, in_dim, height, width]} from {@code latOff}
     * @param timesteps  {@code [frames]}
     * @param prompt     the prompt embedding {@code [rows <= text_len, text_dim]} (rows past {@code rows} are zero)
     * @param mask       null (bidirectional) or e.g. {@link KeyMask#blockCausal}
     * @param flowOut    {@code [frames, out_dim, height, width]} from {@code flowOff}
     */
    public void forward(DitTape tape, float[] latents, int latOff, int frames, int height, int width,
                        float[] timesteps, float[] prompt, int rows, KeyMask mask, float[] flowOut, int flowOff) {
        int fsl = begin(tape, frames, height, width, mask, false);
        if (timesteps.length < frames)
            throw new ShapeException("DiT training forward: " + timesteps.length + " timesteps for " + frames + " frames");
        tape.selfAttn = new DitTape.Full(mask, 1);
        tape.headFirstFrame = 0;
        embedText(tape, prompt, rows);
        DitPatches.gather(c, latents, latOff, frames, height, width, tape.patches, 0);
        embedTime(tape, timesteps, frames);
        run(tape, fsl, null);
        head(tape, flowOut, flowOff);
    }

    /**
     * Teacher forcing (the mode of {@link FullSequenceDit#forwardTeacherForced}): clean frames at
     * {@code cleanTimesteps} followed by the noisy frames, the teacher-forcing mask; returns the noisy frames' flow.
     * The tape must hold {@code 2 * frames} frames.
     */
    public void forwardTeacherForced(DitTape tape, float[] clean, int cleanOff, float[] noisy, int noisyOff, int frames,
                                     int height, int width, float[] cleanTimesteps, float[] timesteps,
                                     int framesPerBlock, float[] prompt, int rows, float[] flowOut, int flowOff) {
        int fsl = c.frameSeqLen(height, width);
        KeyMask mask = KeyMask.teacherForcing(frames, fsl, framesPerBlock);
        begin(tape, 2 * frames, height, width, mask, false);
        tape.selfAttn = new DitTape.Full(mask, 2);
        tape.headFirstFrame = frames;
        embedText(tape, prompt, rows);
        int pv = c.patchVolume();
        DitPatches.gather(c, clean, cleanOff, frames, height, width, tape.patches, 0);
        DitPatches.gather(c, noisy, noisyOff, frames, height, width, tape.patches, frames * fsl * pv);
        if (cleanTimesteps.length < frames || timesteps.length < frames)
            throw new ShapeException("DiT teacher forcing: " + cleanTimesteps.length + " clean and " + timesteps.length
                    + " noisy timesteps for " + frames + " frames");
        float[] both = tape.timesteps;
        System.arraycopy(cleanTimesteps, 0, both, 0, frames);
        System.arraycopy(timesteps, 0, both, frames, frames);
        embedTime(tape, both, 2 * frames);
        run(tape, fsl, null);
        head(tape, flowOut, flowOff);
    }

    /**
     * One cached block step with gradient: the same computation and the same cache effects as
     * {@link CausalDit#forward} (plan, write the block's keys/values, commit), recorded for {@link #backward}. The
     * block's first denoising step advances the cache; later steps at the same start frame rewrite the block's slots
     * (a recompute, as in inference); either can be the step with gradient.
     *
     * @param currentStartFrame global index of the block's first frame
     */
    public void forwardCachedBlock(DitTape tape, ModelCache cache, RopeMode ropeMode, float[] latents, int latOff,
                                   int frames, int height, int width, float[] timesteps, float[] prompt, int rows,
                                   int currentStartFrame, float[] flowOut, int flowOff) {
        int fsl = begin(tape, frames, height, width, null, true);
        if (timesteps.length < frames)
            throw new ShapeException("cached training step: " + timesteps.length + " timesteps for " + frames + " frames");
        if (fsl != cache.frameSeqLen())
            throw new ShapeException("cached training step: the cache holds " + cache.frameSeqLen()
                    + " tokens per frame, the latents give " + fsl);
        if (ropeMode instanceof RopeMode.Absolute)
            ropeTable.requirePositions("cached training step (absolute RoPE)", currentStartFrame, frames,
                    height / c.patchH(), width / c.patchW());
        tape.selfAttn = null; // set by the first layer from the cache plan
        tape.headFirstFrame = 0;
        embedText(tape, prompt, rows);
        DitPatches.gather(c, latents, latOff, frames, height, width, tape.patches, 0);
        embedTime(tape, timesteps, frames);
        CachedStep step = new CachedStep(cache, ropeMode, (long) currentStartFrame * fsl, currentStartFrame);
        run(tape, fsl, step);
        cache.commitAll();
        head(tape, flowOut, flowOff);
    }

    private record CachedStep(ModelCache cache, RopeMode mode, long currentStart, int currentStartFrame) {}

    private int begin(DitTape tape, int frames, int height, int width, KeyMask mask, boolean cached) {
        if (!tape.c.equals(c)) throw new ShapeException("DiT training: the tape was made for another config");
        int fsl = c.frameSeqLen(height, width);
        if (fsl != tape.frameSeqLen || frames < 1 || frames > tape.maxFrames)
            throw new ShapeException("DiT training: " + frames + " frames of " + fsl + " tokens do not fit a tape of "
                    + tape.maxFrames + " x " + tape.frameSeqLen);
        if (mask != null && mask.rows() != frames * fsl)
            throw new ShapeException("DiT training: mask has " + mask.rows() + " rows for " + frames * fsl + " tokens");
        if (cached && tape.maxKeys == 0)
            throw new ShapeException("DiT training: this tape was made without key slots (use DitTape(c, F, fsl, maxKeys))");
        tape.frames = frames;
        tape.tokens = frames * fsl;
        tape.height = height;
        tape.width = width;
        tape.forwardDone = false;
        return fsl;
    }

    private void embedText(DitTape t, float[] prompt, int rows) {
        int tl = c.textLen(), td = c.textDim(), d = c.dim();
        if (rows < 0 || rows > tl || prompt.length < rows * td)
            throw new ShapeException("DiT training: prompt [" + rows + ", " + td + "] (array " + prompt.length
                    + ") does not fit text_len " + tl);
        t.promptRows = rows;
        Arrays.fill(t.prompt, 0f);
        System.arraycopy(prompt, 0, t.prompt, 0, rows * td);
        var mm = kern.matMul();
        mm.linear(tl, td, d, t.prompt, 0, w.textEmbedding0().weight(), 0, w.textEmbedding0().bias(), t.textPre, 0);
        kern.activations().gelu(par, t.textPre, 0, t.textAct, 0, tl * d);
        mm.linear(tl, d, d, t.textAct, 0, w.textEmbedding2().weight(), 0, w.textEmbedding2().bias(), t.context, 0);
    }

    private void embedTime(DitTape t, float[] timesteps, int frames) {
        int fd = c.freqDim(), d = c.dim();
        for (int f = 0; f < frames; f++) t.positions[f] = timesteps[f];
        TimestepEmbedding.sinusoidal(t.positions, 0, frames, fd, t.sinusoid, 0);
        var mm = kern.matMul();
        var act = kern.activations();
        mm.linear(frames, fd, d, t.sinusoid, 0, w.timeEmbedding0().weight(), 0, w.timeEmbedding0().bias(), t.timePre, 0);
        act.silu(par, t.timePre, 0, t.timeAct, 0, frames * d);
        mm.linear(frames, d, d, t.timeAct, 0, w.timeEmbedding2().weight(), 0, w.timeEmbedding2().bias(), t.e, 0);
        act.silu(par, t.e, 0, t.eAct, 0, frames * d);
        mm.linear(frames, d, 6 * d, t.eAct, 0, w.timeProjection().weight(), 0, w.timeProjection().bias(), t.e0, 0);
    }

    /** The blocks; the residual stream enters block l as {@code layers[l].x0} and leaves as {@code xFinal}. */
    private void run(DitTape t, int fsl, CachedStep step) {
        int d = c.dim();
        kern.matMul().linear(t.tokens, c.patchVolume(), d, t.patches, 0, w.patchEmbedding().weight(), 0,
                w.patchEmbedding().bias(), t.layers.get(0).x0, 0);
        for (int l = 0; l < c.numLayers(); l++) {
            DitTape.Layer L = t.layers.get(l);
            float[] out = l + 1 < c.numLayers() ? t.layers.get(l + 1).x0 : t.xFinal;
            blockForward(t, l, L, fsl, step, out);
        }
    }

    private void blockForward(DitTape t, int layer, DitTape.Layer L, int fsl, CachedStep step, float[] out) {
        BlockWeights b = w.blocks().get(layer);
        int d = c.dim(), T = t.tokens, F = t.frames, ms = 6 * d, tl = c.textLen(), heads = c.numHeads();
        var mm = kern.matMul();
        var ada = kern.adaLn();
        var ln = kern.layerNorm();
        var rms = kern.rmsNorm();
        for (int f = 0; f < F; f++)
            for (int i = 0; i < ms; i++) L.mod[f * ms + i] = b.modulation()[i] + t.e0[f * ms + i];

        // self-attention
        ln.forward(par, L.x0, 0, L.n1, 0, T, d, null, null, eps, L.mean1, L.rstd1, 0);
        ada.modulate(par, L.n1, 0, L.m1, 0, F, fsl, d, L.mod, 0, L.mod, d, ms);
        mm.linear(T, d, d, L.m1, 0, b.selfQ().weight(), 0, b.selfQ().bias(), L.qLin, 0);
        mm.linear(T, d, d, L.m1, 0, b.selfK().weight(), 0, b.selfK().bias(), L.kLin, 0);
        mm.linear(T, d, d, L.m1, 0, b.selfV().weight(), 0, b.selfV().bias(), L.v, 0);
        if (c.qkNorm()) {
            rms.forward(par, L.qLin, 0, L.qr, 0, T, d, b.selfNormQ(), eps, L.rstdQ, 0);
            rms.forward(par, L.kLin, 0, L.kr, 0, T, d, b.selfNormK(), eps, L.rstdK, 0);
        } else {
            System.arraycopy(L.qLin, 0, L.qr, 0, T * d);
            System.arraycopy(L.kLin, 0, L.kr, 0, T * d);
        }
        int gh = t.height / c.patchH(), gw = t.width / c.patchW();
        if (step == null) {
            DitTape.Full full = (DitTape.Full) t.selfAttn;
            int segFrames = F / full.segments();
            for (int g = 0; g < full.segments(); g++) {
                int off = g * segFrames * fsl * d;
                kern.rope().forward(par, ropeTable, L.qr, off, L.qr, off, heads, segFrames, gh, gw, 0);
                kern.rope().forward(par, ropeTable, L.kr, off, L.kr, off, heads, segFrames, gh, gw, 0);
            }
            kern.attention().forward(T, T, heads, c.headDim(), scale, L.qr, 0, L.kr, 0, L.v, 0, L.attn, 0, L.lseSelf,
                    full.mask());
        } else {
            int keyCount = cachedKeys(t, layer, L, step, gh, gw);
            kern.attention().forward(T, keyCount, heads, c.headDim(), scale, L.qr, 0, L.keys, 0, L.values, 0, L.attn,
                    0, L.lseSelf, null);
        }
        mm.linear(T, d, d, L.attn, 0, b.selfO().weight(), 0, b.selfO().bias(), L.ys, 0);
        System.arraycopy(L.x0, 0, L.x1, 0, T * d);
        ada.gatedResidual(par, L.x1, 0, L.ys, 0, F, fsl, d, L.mod, 2 * d, ms);

        // cross-attention (no gate)
        if (c.crossAttnNorm())
            ln.forward(par, L.x1, 0, L.n3, 0, T, d, b.norm3Weight(), b.norm3Bias(), eps, L.mean3, L.rstd3, 0);
        else
            System.arraycopy(L.x1, 0, L.n3, 0, T * d);
        mm.linear(T, d, d, L.n3, 0, b.crossQ().weight(), 0, b.crossQ().bias(), L.cqLin, 0);
        mm.linear(tl, d, d, t.context, 0, b.crossK().weight(), 0, b.crossK().bias(), L.ckLin, 0);
        mm.linear(tl, d, d, t.context, 0, b.crossV().weight(), 0, b.crossV().bias(), L.cv, 0);
        if (c.qkNorm()) {
            rms.forward(par, L.cqLin, 0, L.cq, 0, T, d, b.crossNormQ(), eps, L.rstdCq, 0);
            rms.forward(par, L.ckLin, 0, L.ck, 0, tl, d, b.crossNormK(), eps, L.rstdCk, 0);
        } else {
            System.arraycopy(L.cqLin, 0, L.cq, 0, T * d);
            System.arraycopy(L.ckLin, 0, L.ck, 0, tl * d);
        }
        kern.attention().forward(T, tl, heads, c.headDim(), scale, L.cq, 0, L.ck, 0, L.cv, 0, L.cattn, 0, L.lseCross,
                null);
        // x2 = x1 + cattn Wo^T + bo
        mm.linear(T, d, d, L.cattn, 0, b.crossO().weight(), 0, b.crossO().bias(), L.x2, 0);
        kern.elementwise().accumulate(par, L.x1, 0, L.x2, 0, T * d);

        // FFN
        int fd = c.ffnDim();
        ln.forward(par, L.x2, 0, L.n2, 0, T, d, null, null, eps, L.mean2, L.rstd2, 0);
        ada.modulate(par, L.n2, 0, L.m2, 0, F, fsl, d, L.mod, 3 * d, L.mod, 4 * d, ms);
        mm.linear(T, d, fd, L.m2, 0, b.ffn0().weight(), 0, b.ffn0().bias(), L.hPre, 0);
        kern.activations().gelu(par, L.hPre, 0, L.hAct, 0, T * fd);
        mm.linear(T, fd, d, L.hAct, 0, b.ffn2().weight(), 0, b.ffn2().bias(), L.yf, 0);
        System.arraycopy(L.x2, 0, out, 0, T * d);
        ada.gatedResidual(par, out, 0, L.yf, 0, F, fsl, d, L.mod, 5 * d, ms);
    }

    /**
     * The cached step's keys: writes the block's keys/values into the layer's cache slots as {@link CausalDit} does,
     * then copies the attended slots (sink, then recent; the block's own keys last) into the tape, rotated.
     */
    private int cachedKeys(DitTape t, int layer, DitTape.Layer L, CachedStep s, int gh, int gw) {
        int d = c.dim(), T = t.tokens, fsl = gh * gw, heads = c.numHeads();
        ModelCache cache = s.cache();
        KvCache kv = cache.layer(layer);
        CacheUpdate u = kv.plan(s.currentStart(), T, false);
        // A later denoising step of the same block is a recompute (the indices stay), which is what Self-Forcing
        // differentiates; what is refused is a write that skips some of the block's tokens (the protected sink).
        if (u.localStart() != u.localEnd() - T || u.writeStart() != u.localStart())
            throw new IllegalStateException("cached training step: frames from " + s.currentStartFrame()
                    + " overlap the protected sink slots; only a block's own denoising steps can be differentiated");
        cache.setPending(layer, u);
        KvCache.KeyRanges r = kv.attentionRanges(u);
        float[] keys;
        int ropeFrame;
        if (s.mode() instanceof RopeMode.Absolute) {
            ropeFrame = s.currentStartFrame();
            kern.rope().forward(par, ropeTable, L.qr, 0, L.qr, 0, heads, t.frames, gh, gw, s.currentStartFrame());
            kern.rope().forward(par, ropeTable, L.kr, 0, L.kr, 0, heads, t.frames, gh, gw, s.currentStartFrame());
            kv.write(u, L.kr, L.v);
            keys = kv.keys();
        } else {
            // keys cached unrotated, each slot rotated by its slot position on every call (causal_model_infinity)
            kv.write(u, L.kr, L.v);
            int cacheFrames = u.localEnd() / fsl;
            keys = cache.keyScratch();
            kern.rope().forward(par, ropeTable, kv.keys(), 0, keys, 0, heads, cacheFrames, gh, gw, 0);
            ropeFrame = u.localStart() / fsl; // the block's own slots: queries and own keys rotate alike
            kern.rope().forward(par, ropeTable, L.qr, 0, L.qr, 0, heads, t.frames, gh, gw, ropeFrame);
            int sinkEnd = Math.min(r.hi0(), u.localEnd());
            r = new KvCache.KeyRanges(Math.min(r.lo0(), sinkEnd), sinkEnd, r.lo1(), r.hi1());
        }
        int n0 = r.hi0() - r.lo0(), n1 = r.hi1() - r.lo1(), n = n0 + n1;
        if (n > t.maxKeys)
            throw new ShapeException("cached training step: " + n + " key slots, the tape holds " + t.maxKeys);
        System.arraycopy(keys, r.lo0() * d, L.keys, 0, n0 * d);
        System.arraycopy(kv.values(), r.lo0() * d, L.values, 0, n0 * d);
        System.arraycopy(keys, r.lo1() * d, L.keys, n0 * d, n1 * d);
        System.arraycopy(kv.values(), r.lo1() * d, L.values, n0 * d, n1 * d);
        int ownEnd = n1 > 0 ? n : n0; // the block's slots end the recent range (or the only range)
        if ((n1 > 0 ? r.hi1() : r.hi0()) != u.localEnd())
            throw new IllegalStateException("cached training step: the attended slots do not end with the block's own");
        DitTape.Cached mode = new DitTape.Cached(n, ownEnd - T, ropeFrame);
        // every layer's cache has the same indices, so every layer must see the same slots
        if (t.selfAttn == null) t.selfAttn = mode;
        else if (!t.selfAttn.equals(mode))
            throw new IllegalStateException("cached training step: layer " + layer + " attends to " + mode
                    + ", layer 0 to " + t.selfAttn + " (the layers' caches are out of step)");
        return n;
    }

    private void head(DitTape t, float[] flowOut, int flowOff) {
        int d = c.dim(), fsl = t.frameSeqLen, F = t.frames - t.headFirstFrame, T = F * fsl, od = c.headOutDim();
        int x0 = t.headFirstFrame * fsl * d;
        float[] hm = w.headModulation();
        for (int f = 0; f < F; f++)
            for (int j = 0; j < 2; j++)
                for (int i = 0; i < d; i++)
                    t.headMod[f * 2 * d + j * d + i] = hm[j * d + i] + t.e[(t.headFirstFrame + f) * d + i];
        kern.layerNorm().forward(par, t.xFinal, x0, t.headNorm, 0, T, d, null, null, eps, t.headMean, t.headRstd, 0);
        kern.adaLn().modulate(par, t.headNorm, 0, t.headIn, 0, F, fsl, d, t.headMod, 0, t.headMod, d, 2 * d);
        kern.matMul().linear(T, d, od, t.headIn, 0, w.head().weight(), 0, w.head().bias(), t.headOut, 0);
        DitPatches.unpatchify(c, t.headOut, F, t.height, t.width, flowOut, flowOff);
        t.forwardDone = true;
    }

    /**
     * Backward of the last forward recorded on {@code tape}. Every gradient ACCUMULATES.
     *
     * @param dFlow     gradient of the loss w.r.t. the forward's {@code flowOut} (same layout) from {@code dFlowOff}
     * @param grads     weight gradients, laid out like the weights ({@link #zerosLike})
     * @param dLatents  nullable: gradient of the (noisy) input latents {@code [frames, in_dim, H, W]} from {@code dLatOff}
     * @param dClean    nullable: teacher forcing only, gradient of the clean latents from {@code dCleanOff}
     * @param dPrompt   nullable: gradient of the prompt embedding {@code [rows, text_dim]} (the rows the forward got)
     */
    public void backward(DitTape tape, float[] dFlow, int dFlowOff, DitWeights grads, float[] dLatents, int dLatOff,
                         float[] dClean, int dCleanOff, float[] dPrompt) {
        backward.run(tape, dFlow, dFlowOff, grads, dLatents, dLatOff, dClean, dCleanOff, dPrompt);
    }
}
