package longlive.dit;

import java.util.Arrays;
import longlive.kernel.Parallel;
import longlive.kernel.RopeTable;
import longlive.tensor.ShapeException;

/**
 * The backward of {@link DitTraining}: the forward in reverse, one kernel backward per forward kernel, reading the
 * activations the forward left on the {@link DitTape}. Every gradient ACCUMULATES.
 */
final class DitBackward {
    private final DitConfig c;
    private final DitWeights w;
    private final DitKernels kern;
    private final Parallel par;
    private final RopeTable ropeTable;
    private final float scale;

    DitBackward(DitWeights weights, DitKernels kernels, RopeTable ropeTable, float scale) {
        this.c = weights.config();
        this.w = weights;
        this.kern = kernels;
        this.par = kernels.parallel();
        this.ropeTable = ropeTable;
        this.scale = scale;
    }

    /** See {@link DitTraining#backward}. */
    void run(DitTape t, float[] dFlow, int dFlowOff, DitWeights grads, float[] dLatents, int dLatOff,
             float[] dClean, int dCleanOff, float[] dPrompt) {
        if (!t.forwardDone) throw new IllegalStateException("DiT backward: the tape holds no finished forward");
        if (!grads.config().equals(c))
            throw new ShapeException("DiT backward: gradients made for another config");
        int d = c.dim(), fsl = t.frameSeqLen, T = t.tokens, F = t.frames, od = c.headOutDim();
        int hF = F - t.headFirstFrame, hT = hF * fsl, hx0 = t.headFirstFrame * fsl * d;
        long latSize = (long) hF * c.inDim() * t.height * t.width;
        if (dFlowOff < 0 || dFlowOff + (long) hF * c.outDim() * t.height * t.width > dFlow.length)
            throw new ShapeException("DiT backward: dFlow (array " + dFlow.length + ", offset " + dFlowOff
                    + ") is shorter than the flow [" + hF + ", " + c.outDim() + ", " + t.height + ", " + t.width + "]");
        if (dLatents != null && (dLatOff < 0 || dLatOff + latSize > dLatents.length))
            throw new ShapeException("DiT backward: dLatents is shorter than the latents [" + hF + ", " + c.inDim()
                    + ", " + t.height + ", " + t.width + "]");
        if (dClean != null && t.teacherForced() && (dCleanOff < 0 || dCleanOff + latSize > dClean.length))
            throw new ShapeException("DiT backward: dClean is shorter than the clean latents");
        if (dPrompt != null && dPrompt.length < t.promptRows * c.textDim())
            throw new ShapeException("DiT backward: dPrompt has " + dPrompt.length + " elements for a prompt ["
                    + t.promptRows + ", " + c.textDim() + "]");
        var mm = kern.matMul();
        var ada = kern.adaLn();

        // head: flow -> head output -> modulated LN -> residual stream
        DitPatches.patchify(c, dFlow, dFlowOff, hF, t.height, t.width, t.dHeadOut);
        Arrays.fill(t.dh, 0, hT * d, 0f);
        mm.linearBackward(hT, d, od, t.headIn, 0, w.head().weight(), 0, t.dHeadOut, 0, t.dh, 0,
                grads.head().weight(), 0, grads.head().bias());
        Arrays.fill(t.dn, 0, hT * d, 0f);
        Arrays.fill(t.dHeadMod, 0, hF * 2 * d, 0f);
        ada.modulateBackward(par, t.headNorm, 0, t.dh, 0, t.dn, 0, hF, fsl, d, t.headMod, d, 2 * d,
                t.dHeadMod, 0, t.dHeadMod, d);
        Arrays.fill(t.dx, 0, T * d, 0f);
        kern.layerNorm().backward(par, t.xFinal, hx0, t.dn, 0, t.dx, hx0, hT, d, null, t.headMean, t.headRstd, 0,
                null, null);
        Arrays.fill(t.dE, 0, F * d, 0f);
        float[] ghm = grads.headModulation();
        for (int f = 0; f < hF; f++)
            for (int j = 0; j < 2; j++)
                for (int i = 0; i < d; i++) {
                    float g = t.dHeadMod[f * 2 * d + j * d + i];
                    ghm[j * d + i] += g;
                    t.dE[(t.headFirstFrame + f) * d + i] += g;
                }

        // blocks in reverse: t.dx holds dL/d(block output), becomes dL/d(block input)
        Arrays.fill(t.dE0, 0, F * 6 * d, 0f);
        Arrays.fill(t.dCtx, 0f);
        for (int l = c.numLayers() - 1; l >= 0; l--) blockBackward(t, l, grads.blocks().get(l));

        // patch embedding
        Arrays.fill(t.dPatches, 0, T * c.patchVolume(), 0f);
        mm.linearBackward(T, c.patchVolume(), d, t.patches, 0, w.patchEmbedding().weight(), 0, t.dx, 0,
                t.dPatches, 0, grads.patchEmbedding().weight(), 0, grads.patchEmbedding().bias());
        int pv = c.patchVolume();
        if (t.teacherForced()) {
            int half = F / 2;
            if (dClean != null) DitPatches.scatterAdd(c, t.dPatches, 0, half, t.height, t.width, dClean, dCleanOff);
            if (dLatents != null)
                DitPatches.scatterAdd(c, t.dPatches, half * fsl * pv, half, t.height, t.width, dLatents, dLatOff);
        } else if (dLatents != null) {
            DitPatches.scatterAdd(c, t.dPatches, 0, F, t.height, t.width, dLatents, dLatOff);
        }

        // time embedding: e0 = Linear(SiLU(e)); e = Linear(SiLU(Linear(sinusoid)))
        int fd = c.freqDim();
        Arrays.fill(t.dEAct, 0, F * d, 0f);
        mm.linearBackward(F, d, 6 * d, t.eAct, 0, w.timeProjection().weight(), 0, t.dE0, 0, t.dEAct, 0,
                grads.timeProjection().weight(), 0, grads.timeProjection().bias());
        kern.activations().siluBackward(par, t.e, 0, t.dEAct, 0, t.dE, 0, F * d);
        Arrays.fill(t.dTime, 0, F * d, 0f);
        mm.linearBackward(F, d, d, t.timeAct, 0, w.timeEmbedding2().weight(), 0, t.dE, 0, t.dTime, 0,
                grads.timeEmbedding2().weight(), 0, grads.timeEmbedding2().bias());
        Arrays.fill(t.dTimePre, 0, F * d, 0f);
        kern.activations().siluBackward(par, t.timePre, 0, t.dTime, 0, t.dTimePre, 0, F * d);
        mm.linearBackward(F, fd, d, t.sinusoid, 0, w.timeEmbedding0().weight(), 0, t.dTimePre, 0, null, 0,
                grads.timeEmbedding0().weight(), 0, grads.timeEmbedding0().bias());

        // text embedding: context = Linear(GELU(Linear(prompt)))
        int tl = c.textLen(), td = c.textDim();
        Arrays.fill(t.dText, 0f);
        mm.linearBackward(tl, d, d, t.textAct, 0, w.textEmbedding2().weight(), 0, t.dCtx, 0, t.dText, 0,
                grads.textEmbedding2().weight(), 0, grads.textEmbedding2().bias());
        Arrays.fill(t.dCrossK, 0f); // reused as dL/d(textPre)
        kern.activations().geluBackward(par, t.textPre, 0, t.dText, 0, t.dCrossK, 0, tl * d);
        Arrays.fill(t.dPromptPadded, 0f);
        mm.linearBackward(tl, td, d, t.prompt, 0, w.textEmbedding0().weight(), 0, t.dCrossK, 0,
                dPrompt == null ? null : t.dPromptPadded, 0, grads.textEmbedding0().weight(), 0,
                grads.textEmbedding0().bias());
        if (dPrompt != null)
            for (int i = 0; i < t.promptRows * td; i++) dPrompt[i] += t.dPromptPadded[i];
    }

    /** Backward of one block: {@code t.dx} holds dL/d(out) on entry and dL/d(x0) on exit. */
    private void blockBackward(DitTape t, int layer, BlockWeights g) {
        BlockWeights b = w.blocks().get(layer);
        DitTape.Layer L = t.layers.get(layer);
        int d = c.dim(), T = t.tokens, F = t.frames, fsl = t.frameSeqLen, ms = 6 * d, tl = c.textLen(),
                fd = c.ffnDim(), heads = c.numHeads(), hd = c.headDim();
        var mm = kern.matMul();
        var ada = kern.adaLn();
        var ln = kern.layerNorm();
        var rms = kern.rmsNorm();
        var att = kern.attention();
        float[] dMod = t.dMod;
        Arrays.fill(dMod, 0, F * ms, 0f);

        // FFN: out = x2 + yf * gate_ffn; dx (= dOut) passes to x2
        Arrays.fill(t.dy, 0, T * d, 0f);
        ada.gatedResidualBackward(par, L.yf, 0, t.dx, 0, t.dy, 0, F, fsl, d, L.mod, 5 * d, ms, dMod, 5 * d);
        Arrays.fill(t.dHidden, 0, T * fd, 0f);
        mm.linearBackward(T, fd, d, L.hAct, 0, b.ffn2().weight(), 0, t.dy, 0, t.dHidden, 0, g.ffn2().weight(), 0,
                g.ffn2().bias());
        Arrays.fill(t.dHidden2, 0, T * fd, 0f);
        kern.activations().geluBackward(par, L.hPre, 0, t.dHidden, 0, t.dHidden2, 0, T * fd);
        Arrays.fill(t.dh, 0, T * d, 0f);
        mm.linearBackward(T, d, fd, L.m2, 0, b.ffn0().weight(), 0, t.dHidden2, 0, t.dh, 0, g.ffn0().weight(), 0,
                g.ffn0().bias());
        Arrays.fill(t.dn, 0, T * d, 0f);
        ada.modulateBackward(par, L.n2, 0, t.dh, 0, t.dn, 0, F, fsl, d, L.mod, 4 * d, ms, dMod, 3 * d, dMod, 4 * d);
        ln.backward(par, L.x2, 0, t.dn, 0, t.dx, 0, T, d, null, L.mean2, L.rstd2, 0, null, null);
        // t.dx = dL/dx2

        // cross-attention: x2 = x1 + crossO(attn(cq, ck, cv)); dx passes to x1
        Arrays.fill(t.dattn, 0, T * d, 0f);
        mm.linearBackward(T, d, d, L.cattn, 0, b.crossO().weight(), 0, t.dx, 0, t.dattn, 0, g.crossO().weight(), 0,
                g.crossO().bias());
        Arrays.fill(t.dq, 0, T * d, 0f);
        Arrays.fill(t.dCrossKn, 0f);
        Arrays.fill(t.dCrossV, 0f);
        att.backward(T, tl, heads, hd, scale, L.cq, 0, L.ck, 0, L.cv, 0, L.cattn, 0, L.lseCross, t.dattn, 0, null,
                t.dq, 0, t.dCrossKn, 0, t.dCrossV, 0);
        float[] dCqLin, dCkLin;
        if (c.qkNorm()) {
            Arrays.fill(t.dh, 0, T * d, 0f);
            rms.backward(par, L.cqLin, 0, t.dq, 0, t.dh, 0, T, d, b.crossNormQ(), L.rstdCq, 0, g.crossNormQ());
            Arrays.fill(t.dCrossK, 0f);
            rms.backward(par, L.ckLin, 0, t.dCrossKn, 0, t.dCrossK, 0, tl, d, b.crossNormK(), L.rstdCk, 0,
                    g.crossNormK());
            dCqLin = t.dh;
            dCkLin = t.dCrossK;
        } else {
            dCqLin = t.dq;
            dCkLin = t.dCrossKn;
        }
        mm.linearBackward(tl, d, d, t.context, 0, b.crossK().weight(), 0, dCkLin, 0, t.dCtx, 0, g.crossK().weight(), 0,
                g.crossK().bias());
        mm.linearBackward(tl, d, d, t.context, 0, b.crossV().weight(), 0, t.dCrossV, 0, t.dCtx, 0, g.crossV().weight(),
                0, g.crossV().bias());
        Arrays.fill(t.dn, 0, T * d, 0f);
        mm.linearBackward(T, d, d, L.n3, 0, b.crossQ().weight(), 0, dCqLin, 0, t.dn, 0, g.crossQ().weight(), 0,
                g.crossQ().bias());
        if (c.crossAttnNorm())
            ln.backward(par, L.x1, 0, t.dn, 0, t.dx, 0, T, d, b.norm3Weight(), L.mean3, L.rstd3, 0, g.norm3Weight(),
                    g.norm3Bias());
        else
            kern.elementwise().accumulate(par, t.dn, 0, t.dx, 0, T * d);
        // t.dx = dL/dx1

        // self-attention: x1 = x0 + selfO(attn) * gate_msa
        Arrays.fill(t.dy, 0, T * d, 0f);
        ada.gatedResidualBackward(par, L.ys, 0, t.dx, 0, t.dy, 0, F, fsl, d, L.mod, 2 * d, ms, dMod, 2 * d);
        Arrays.fill(t.dattn, 0, T * d, 0f);
        mm.linearBackward(T, d, d, L.attn, 0, b.selfO().weight(), 0, t.dy, 0, t.dattn, 0, g.selfO().weight(), 0,
                g.selfO().bias());
        Arrays.fill(t.dq, 0, T * d, 0f); // dL/d(rotated q)
        int gh = t.height / c.patchH(), gw = t.width / c.patchW();
        Arrays.fill(t.dh, 0, T * d, 0f);  // dL/d(normed q), then dL/d(normed k)
        Arrays.fill(t.dk, 0, T * d, 0f);  // dL/d(rotated k)
        Arrays.fill(t.dv, 0, T * d, 0f);
        if (t.selfAttn instanceof DitTape.Full full) {
            att.backward(T, T, heads, hd, scale, L.qr, 0, L.kr, 0, L.v, 0, L.attn, 0, L.lseSelf, t.dattn, 0,
                    full.mask(), t.dq, 0, t.dk, 0, t.dv, 0);
        } else if (t.selfAttn instanceof DitTape.Cached cached) {
            int n = cached.keyCount();
            Arrays.fill(t.dKeys, 0, n * d, 0f);
            Arrays.fill(t.dValues, 0, n * d, 0f);
            att.backward(T, n, heads, hd, scale, L.qr, 0, L.keys, 0, L.values, 0, L.attn, 0, L.lseSelf, t.dattn, 0,
                    null, t.dq, 0, t.dKeys, 0, t.dValues, 0);
            // only the block's own keys/values carry gradient; the cached ones are constants
            System.arraycopy(t.dKeys, cached.ownKeyStart() * d, t.dk, 0, T * d);
            System.arraycopy(t.dValues, cached.ownKeyStart() * d, t.dv, 0, T * d);
        }
        // undo RoPE (orthogonal): q, then k
        float[] dQn = t.dh, dKn = t.dh2;
        Arrays.fill(dKn, 0, T * d, 0f);
        if (t.selfAttn instanceof DitTape.Full full) {
            int segFrames = F / full.segments();
            for (int s = 0; s < full.segments(); s++) {
                int off = s * segFrames * fsl * d;
                kern.rope().backward(par, ropeTable, t.dq, off, dQn, off, heads, segFrames, gh, gw, 0);
                kern.rope().backward(par, ropeTable, t.dk, off, dKn, off, heads, segFrames, gh, gw, 0);
            }
        } else if (t.selfAttn instanceof DitTape.Cached cached) {
            kern.rope().backward(par, ropeTable, t.dq, 0, dQn, 0, heads, F, gh, gw, cached.ropeFrame());
            kern.rope().backward(par, ropeTable, t.dk, 0, dKn, 0, heads, F, gh, gw, cached.ropeFrame());
        }
        float[] dQLin, dKLin;
        if (c.qkNorm()) {
            Arrays.fill(t.dq, 0, T * d, 0f);
            rms.backward(par, L.qLin, 0, dQn, 0, t.dq, 0, T, d, b.selfNormQ(), L.rstdQ, 0, g.selfNormQ());
            Arrays.fill(t.dk, 0, T * d, 0f);
            rms.backward(par, L.kLin, 0, dKn, 0, t.dk, 0, T, d, b.selfNormK(), L.rstdK, 0, g.selfNormK());
            dQLin = t.dq;
            dKLin = t.dk;
        } else {
            dQLin = dQn;
            dKLin = dKn;
        }
        Arrays.fill(t.dn, 0, T * d, 0f); // dL/dm1
        mm.linearBackward(T, d, d, L.m1, 0, b.selfQ().weight(), 0, dQLin, 0, t.dn, 0, g.selfQ().weight(), 0,
                g.selfQ().bias());
        mm.linearBackward(T, d, d, L.m1, 0, b.selfK().weight(), 0, dKLin, 0, t.dn, 0, g.selfK().weight(), 0,
                g.selfK().bias());
        mm.linearBackward(T, d, d, L.m1, 0, b.selfV().weight(), 0, t.dv, 0, t.dn, 0, g.selfV().weight(), 0,
                g.selfV().bias());
        Arrays.fill(t.dy, 0, T * d, 0f); // dL/dn1
        ada.modulateBackward(par, L.n1, 0, t.dn, 0, t.dy, 0, F, fsl, d, L.mod, d, ms, dMod, 0, dMod, d);
        ln.backward(par, L.x0, 0, t.dy, 0, t.dx, 0, T, d, null, L.mean1, L.rstd1, 0, null, null);
        // t.dx = dL/dx0

        // modulation = parameter + e0 (per frame)
        float[] gm = g.modulation();
        for (int f = 0; f < F; f++)
            for (int i = 0; i < ms; i++) {
                float v = dMod[f * ms + i];
                gm[i] += v;
                t.dE0[f * ms + i] += v;
            }
    }
}
