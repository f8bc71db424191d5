package longlive.dit;

import java.util.ArrayList;
import java.util.List;
import longlive.kernel.KeyMask;

/**
 * What a training forward of {@link DitTraining} records for its backward: the activations of one sample, per layer,
 * plus the scratch the backward needs. Sized once for up to {@link #maxFrames()} latent frames of
 * {@link #frameSeqLen()} tokens (teacher forcing needs twice the frames) and reused by every step: a training loop
 * allocates nothing per step. Owned by the caller; one tape per sample in flight.
 *
 * <p>Per layer it holds about 20 {@code [tokens, dim]} arrays and 2 {@code [tokens, ffn_dim]} ones (see
 * {@link #bytes()}); a cached block step additionally keeps the attended keys/values ({@code maxKeys} rows).
 */
public final class DitTape {
    final DitConfig c;
    final int maxFrames, frameSeqLen, maxTokens, maxKeys;

    /** How the self-attention of the last forward saw its keys (a mode is a type, never guessed from sizes). */
    sealed interface SelfAttn permits Full, Cached {}

    /**
     * Full sequence: the keys are the tokens themselves under {@code mask} (null: all); the tokens are
     * {@code segments} runs of frames that each get RoPE positions from 0 (teacher forcing: clean, noisy).
     */
    record Full(KeyMask mask, int segments) implements SelfAttn {}

    /**
     * Cached block step: {@code keyCount} attended slots copied into each layer's {@code keys/values}, the block's
     * own from {@code ownKeyStart}; queries and own keys rotated at RoPE frame {@code ropeFrame}.
     */
    record Cached(int keyCount, int ownKeyStart, int ropeFrame) implements SelfAttn {}

    // ---- what the last forward was (set by DitTraining)
    int frames, tokens, height, width, headFirstFrame, promptRows;
    SelfAttn selfAttn;
    boolean forwardDone;

    // ---- embeddings
    final float[] patches;      // [tokens, patchVolume]
    final float[] timesteps;    // teacher forcing: clean then noisy timesteps [frames]
    final double[] positions;   // [frames]
    final float[] sinusoid;     // [frames, freq_dim]
    final float[] timePre;      // time_embedding.0 output (before SiLU) [frames, dim]
    final float[] timeAct;      // SiLU of it [frames, dim]
    final float[] e;            // [frames, dim]
    final float[] eAct;         // SiLU(e) [frames, dim]
    final float[] e0;           // [frames, 6, dim]
    final float[] prompt;       // zero-padded prompt [text_len, text_dim]
    final float[] textPre;      // text_embedding.0 output (before GELU) [text_len, dim]
    final float[] textAct;      // [text_len, dim]
    final float[] context;      // [text_len, dim]

    final List<Layer> layers = new ArrayList<>();

    // ---- head
    final float[] xFinal;       // residual stream after the last block [tokens, dim]
    final float[] headMean, headRstd, headNorm, headIn; // LN stats, LN output, modulated input
    final float[] headMod;      // [frames, 2, dim]
    final float[] headOut;      // [tokens, headOutDim]

    // ---- backward scratch
    final float[] dx, dxNext, dh, dh2, dq, dk, dv, dattn, dy, dn, dHidden, dHidden2;
    final float[] dKeys, dValues;          // [maxKeys, dim]
    final float[] dCtx, dCrossK, dCrossV, dCrossKn, dText, dPromptPadded;
    final float[] dMod;                     // [frames, 6, dim] (one layer)
    final float[] dE0, dE, dEAct, dTime, dTimePre, dHeadMod, dHeadOut, dPatches;

    /** The activations of one transformer block. */
    static final class Layer {
        final float[] x0, n1, mean1, rstd1, m1, qLin, kLin, rstdQ, rstdK, qr, kr, v, lseSelf, attn, ys;
        final float[] x1, n3, mean3, rstd3, cqLin, rstdCq, cq, ckLin, rstdCk, ck, cv, lseCross, cattn;
        final float[] x2, n2, mean2, rstd2, m2, hPre, hAct, yf, mod;
        /** Cached step only: the attended keys (rotated) and values {@code [maxKeys, dim]}. */
        final float[] keys, values;

        Layer(DitConfig c, int maxFrames, int maxTokens, int maxKeys, boolean withKeys) {
            int d = c.dim(), td = maxTokens * d, tl = c.textLen(), h = c.numHeads();
            x0 = new float[td]; n1 = new float[td]; mean1 = new float[maxTokens]; rstd1 = new float[maxTokens];
            m1 = new float[td]; qLin = new float[td]; kLin = new float[td]; rstdQ = new float[maxTokens];
            rstdK = new float[maxTokens]; qr = new float[td]; kr = new float[td]; v = new float[td];
            lseSelf = new float[h * maxTokens]; attn = new float[td]; ys = new float[td];
            x1 = new float[td]; n3 = new float[td]; mean3 = new float[maxTokens]; rstd3 = new float[maxTokens];
            cqLin = new float[td]; rstdCq = new float[maxTokens]; cq = new float[td];
            ckLin = new float[tl * d]; rstdCk = new float[tl]; ck = new float[tl * d]; cv = new float[tl * d];
            lseCross = new float[h * maxTokens]; cattn = new float[td];
            x2 = new float[td]; n2 = new float[td]; mean2 = new float[maxTokens]; rstd2 = new float[maxTokens];
            m2 = new float[td]; hPre = new float[maxTokens * c.ffnDim()]; hAct = new float[maxTokens * c.ffnDim()];
            yf = new float[td]; mod = new float[maxFrames * 6 * d];
            keys = withKeys ? new float[maxKeys * d] : null;
            values = withKeys ? new float[maxKeys * d] : null;
        }

        long floats() {
            long n = 0;
            for (float[] a : new float[][] {x0, n1, mean1, rstd1, m1, qLin, kLin, rstdQ, rstdK, qr, kr, v, lseSelf, attn,
                    ys, x1, n3, mean3, rstd3, cqLin, rstdCq, cq, ckLin, rstdCk, ck, cv, lseCross, cattn, x2, n2, mean2,
                    rstd2, m2, hPre, hAct, yf, mod, keys, values})
                if (a != null) n += a.length;
            return n;
        }
    }

    /**
     * A tape for full-sequence training forwards.
     *
     * @param maxFrames   most latent frames in one call (teacher forcing: 2 x the clip's frames)
     * @param frameSeqLen tokens per latent frame
     */
    public DitTape(DitConfig c, int maxFrames, int frameSeqLen) {
        this(c, maxFrames, frameSeqLen, 0);
    }

    /**
     * A tape that can also record cached block steps ({@link DitTraining#forwardCachedBlock}) attending to at most
     * {@code maxKeys} key slots (sink + window, the block's own included).
     */
    public DitTape(DitConfig c, int maxFrames, int frameSeqLen, int maxKeys) {
        if (maxFrames < 1 || frameSeqLen < 1 || maxKeys < 0)
            throw new IllegalArgumentException("DitTape: bad maxFrames=" + maxFrames + " frameSeqLen=" + frameSeqLen
                    + " maxKeys=" + maxKeys);
        long tok = (long) maxFrames * frameSeqLen;
        if (tok * Math.max(c.ffnDim(), Math.max(c.dim(), c.patchVolume())) > Integer.MAX_VALUE - 8
                || (long) maxKeys * c.dim() > Integer.MAX_VALUE - 8)
            throw new IllegalArgumentException("DitTape: " + maxFrames + " frames of " + frameSeqLen
                    + " tokens are too many for one tape");
        this.c = c;
        this.maxFrames = maxFrames;
        this.frameSeqLen = frameSeqLen;
        this.maxTokens = (int) tok;
        this.maxKeys = maxKeys;
        int d = c.dim(), T = maxTokens, F = maxFrames, tl = c.textLen(), td = c.textDim();
        patches = new float[T * c.patchVolume()];
        timesteps = new float[F];
        positions = new double[F];
        sinusoid = new float[F * c.freqDim()];
        timePre = new float[F * d];
        timeAct = new float[F * d];
        e = new float[F * d];
        eAct = new float[F * d];
        e0 = new float[F * 6 * d];
        prompt = new float[tl * td];
        textPre = new float[tl * d];
        textAct = new float[tl * d];
        context = new float[tl * d];
        for (int l = 0; l < c.numLayers(); l++) layers.add(new Layer(c, F, T, maxKeys, maxKeys > 0));
        xFinal = new float[T * d];
        headMean = new float[T];
        headRstd = new float[T];
        headNorm = new float[T * d];
        headIn = new float[T * d];
        headMod = new float[F * 2 * d];
        headOut = new float[T * c.headOutDim()];
        dx = new float[T * d];
        dxNext = new float[T * d];
        dh = new float[T * d];
        dh2 = new float[T * d];
        dq = new float[T * d];
        dk = new float[T * d];
        dv = new float[T * d];
        dattn = new float[T * d];
        dy = new float[T * d];
        dn = new float[T * d];
        dHidden = new float[T * c.ffnDim()];
        dHidden2 = new float[T * c.ffnDim()];
        dKeys = new float[maxKeys * d];
        dValues = new float[maxKeys * d];
        dCtx = new float[tl * d];
        dCrossK = new float[tl * d];
        dCrossV = new float[tl * d];
        dCrossKn = new float[tl * d];
        dText = new float[tl * d];
        dPromptPadded = new float[tl * td];
        dMod = new float[F * 6 * d];
        dE0 = new float[F * 6 * d];
        dE = new float[F * d];
        dEAct = new float[F * d];
        dTime = new float[F * d];
        dTimePre = new float[F * d];
        dHeadMod = new float[F * 2 * d];
        dHeadOut = new float[T * c.headOutDim()];
        dPatches = new float[T * c.patchVolume()];
    }

    public int maxFrames() {
        return maxFrames;
    }

    public int frameSeqLen() {
        return frameSeqLen;
    }

    boolean teacherForced() {
        return selfAttn instanceof Full f && f.segments() == 2;
    }

    /** The text embedding of the last forward's prompt {@code [text_len, dim]} (live buffer). */
    public float[] context() {
        return context;
    }

    /** Bytes of all buffers (activations and backward scratch). */
    public long bytes() {
        long n = positions.length * 2L + timesteps.length;
        for (Layer l : layers) n += l.floats();
        for (float[] a : new float[][] {patches, sinusoid, timePre, timeAct, e, eAct, e0, prompt, textPre, textAct,
                context, xFinal, headMean, headRstd, headNorm, headIn, headMod, headOut, dx, dxNext, dh, dh2, dq, dk, dv,
                dattn, dy, dn, dHidden, dHidden2, dKeys, dValues, dCtx, dCrossK, dCrossV, dCrossKn, dText, dPromptPadded,
                dMod, dE0, dE, dEAct, dTime, dTimePre, dHeadMod, dHeadOut, dPatches})
            n += a.length;
        return n * Float.BYTES;
    }
}
