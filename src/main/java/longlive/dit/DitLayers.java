package longlive.dit;

import longlive.kernel.TimestepEmbedding;
import longlive.tensor.ShapeException;

/**
 * The parts of the Wan DiT forward that both modes share (embeddings, the adaLN block around a self-attention
 * supplied by the mode, the head, patchify/unpatchify). Mirrors {@code CausalWanModel._forward_inference},
 * {@code CausalWanAttentionBlock.forward} and {@code CausalHead.forward} (wan/modules/causal_model.py).
 *
 * <p>Activations are token-major {@code [tokens, dim]} with tokens in (frame, row, column) order; latents are
 * {@code [frames, channels, height, width]} (the pipeline's layout, before the wrapper's permute).
 */
final class DitLayers {
    /** Self-attention of one layer, supplied by the mode (cached causal, or full-sequence with a mask). */
    @FunctionalInterface
    interface SelfAttention {
        /**
         * Reads the normalised+modulated input {@code st.h [tokens, dim]} and writes the attention output after
         * the output projection into {@code st.y [tokens, dim]}.
         */
        void apply(int layer, BlockWeights w, DitState st, int frames, int tokens);
    }

    private final DitConfig c;
    private final DitWeights w;
    private final DitKernels kern;
    private final float eps;
    private final float attnScale;

    DitLayers(DitWeights weights, DitKernels kernels) {
        this.c = weights.config();
        this.w = weights;
        this.kern = kernels;
        this.eps = (float) c.eps();
        this.attnScale = (float) (1.0 / Math.sqrt(c.headDim()));
    }

    float attentionScale() {
        return attnScale;
    }

    /**
     * The text embedding {@code Linear -> GELU(tanh) -> Linear} over all {@code text_len} rows (padding rows too).
     *
     * @param prompt  {@code [rows, text_dim]} with {@code rows <= text_len}; missing rows are zero (the reference pads)
     * @param out     {@code [text_len, dim]}
     * @param scratch at least {@code text_len * max(text_dim, dim)} floats
     */
    void embedText(float[] prompt, int rows, float[] out, float[] scratch) {
        int tl = c.textLen(), td = c.textDim(), d = c.dim();
        if (rows > tl || prompt.length < rows * td)
            throw new ShapeException("text embedding: prompt [" + rows + ", " + td + "] (array " + prompt.length
                    + ") does not fit text_len " + tl);
        java.util.Arrays.fill(scratch, 0, tl * td, 0f);
        System.arraycopy(prompt, 0, scratch, 0, rows * td);
        kern.matMul().linear(tl, td, d, scratch, 0, w.textEmbedding0().weight(), 0, w.textEmbedding0().bias(), out, 0);
        kern.activations().gelu(kern.parallel(), out, 0, out, 0, tl * d);
        System.arraycopy(out, 0, scratch, 0, tl * d);
        kern.matMul().linear(tl, d, d, scratch, 0, w.textEmbedding2().weight(), 0, w.textEmbedding2().bias(), out, 0);
    }

    /**
     * Time embeddings of {@code frames} per-frame timesteps: {@code e = MLP(sinusoid(t))} into {@code st.e} and
     * {@code e0 = Linear(SiLU(e))} into {@code st.e0 [frames, 6, dim]}.
     */
    void embedTime(float[] timesteps, int frames, DitState st) {
        int fd = c.freqDim(), d = c.dim();
        // sinusoidal_embedding_1d: float64 positions (the float32 timesteps widened), cat(cos, sin)
        for (int f = 0; f < frames; f++) st.positions[f] = timesteps[f];
        TimestepEmbedding.sinusoidal(st.positions, 0, frames, fd, st.sinusoid, 0);
        var mm = kern.matMul();
        var act = kern.activations();
        mm.linear(frames, fd, d, st.sinusoid, 0, w.timeEmbedding0().weight(), 0, w.timeEmbedding0().bias(), st.timeHidden, 0);
        act.silu(kern.parallel(), st.timeHidden, 0, st.timeHidden, 0, frames * d);
        mm.linear(frames, d, d, st.timeHidden, 0, w.timeEmbedding2().weight(), 0, w.timeEmbedding2().bias(), st.e, 0);
        act.silu(kern.parallel(), st.e, 0, st.timeHidden, 0, frames * d);
        mm.linear(frames, d, 6 * d, st.timeHidden, 0, w.timeProjection().weight(), 0, w.timeProjection().bias(), st.e0, 0);
    }

    /**
     * The patch embedding (a Conv3d with stride = kernel): gathers each patch in (c, p, q, r) order into
     * {@code st.patches}, then {@code st.x = patches W^T + b}.
     *
     * @param latents {@code [frames, in_dim, height, width]} from {@code off}
     * @param tokenOffset first row of {@code st.x} written (teacher forcing puts the noisy frames after the clean ones)
     */
    void embedPatches(float[] latents, int off, int frames, int height, int width, DitState st, int tokenOffset) {
        int ch = c.inDim(), ph = c.patchH(), pw = c.patchW();
        int gh = height / ph, gw = width / pw, pv = c.patchVolume();
        int tokens = frames * gh * gw;
        for (int f = 0; f < frames; f++)
            for (int i = 0; i < gh; i++)
                for (int j = 0; j < gw; j++) {
                    int row = ((f * gh + i) * gw + j) * pv;
                    for (int cc = 0; cc < ch; cc++)
                        for (int qq = 0; qq < ph; qq++) {
                            int src = off + ((f * ch + cc) * height + i * ph + qq) * width + j * pw;
                            System.arraycopy(latents, src, st.patches, row + (cc * ph + qq) * pw, pw);
                        }
                }
        kern.matMul().linear(tokens, pv, c.dim(), st.patches, 0, w.patchEmbedding().weight(), 0,
                w.patchEmbedding().bias(), st.x, tokenOffset * c.dim());
    }

    /**
     * One transformer block on {@code st.x [tokens, dim]} (in place):
     * {@code x += SelfAttn(LN1(x)(1+scale_msa)+shift_msa) gate_msa; x += CrossAttn(LN3(x)); x += FFN(LN2(x)(1+scale_ffn)+shift_ffn) gate_ffn}.
     *
     * @param context  the prompt's text embedding {@code [text_len, dim]}
     * @param crossKv  keys/values of the prompt for this layer {@code [text_len, dim]} each, computed here when
     *                 {@code fillCrossKv} is true
     */
    void block(int layer, DitState st, int frames, int fsl, SelfAttention selfAttn, float[] context,
               float[] crossK, float[] crossV, boolean fillCrossKv) {
        BlockWeights b = w.blocks().get(layer);
        int d = c.dim(), tokens = frames * fsl, ms = 6 * d;
        var par = kern.parallel();
        // modulation = block.modulation [6, dim] + e0 [frames, 6, dim]
        for (int f = 0; f < frames; f++)
            for (int i = 0; i < ms; i++) st.modulation[f * ms + i] = b.modulation()[i] + st.e0[f * ms + i];

        // self-attention branch
        kern.layerNorm().forward(par, st.x, 0, st.h, 0, tokens, d, null, null, eps, null, null, 0);
        kern.adaLn().modulate(par, st.h, 0, st.h, 0, frames, fsl, d, st.modulation, 0, st.modulation, d, ms);
        selfAttn.apply(layer, b, st, frames, tokens);
        kern.adaLn().gatedResidual(par, st.x, 0, st.y, 0, frames, fsl, d, st.modulation, 2 * d, ms);

        // cross-attention branch (no gate)
        if (c.crossAttnNorm())
            kern.layerNorm().forward(par, st.x, 0, st.h, 0, tokens, d, b.norm3Weight(), b.norm3Bias(), eps, null, null, 0);
        else
            System.arraycopy(st.x, 0, st.h, 0, tokens * d);
        crossAttention(b, st, tokens, context, crossK, crossV, fillCrossKv);
        kern.elementwise().accumulate(par, st.y, 0, st.x, 0, tokens * d);

        // feed-forward branch, in row chunks so the hidden buffer stays small
        kern.layerNorm().forward(par, st.x, 0, st.h, 0, tokens, d, null, null, eps, null, null, 0);
        kern.adaLn().modulate(par, st.h, 0, st.h, 0, frames, fsl, d, st.modulation, 3 * d, st.modulation, 4 * d, ms);
        int fd = c.ffnDim();
        for (int r0 = 0; r0 < tokens; r0 += st.ffnRows) {
            int rows = Math.min(st.ffnRows, tokens - r0);
            kern.matMul().linear(rows, d, fd, st.h, r0 * d, b.ffn0().weight(), 0, b.ffn0().bias(), st.ffnHidden, 0);
            kern.activations().gelu(par, st.ffnHidden, 0, st.ffnHidden, 0, rows * fd);
            kern.matMul().linear(rows, fd, d, st.ffnHidden, 0, b.ffn2().weight(), 0, b.ffn2().bias(), st.y, r0 * d);
        }
        kern.adaLn().gatedResidual(par, st.x, 0, st.y, 0, frames, fsl, d, st.modulation, 5 * d, ms);
    }

    /** q/k/v projections of {@code st.h} with q/k RMSNorm over the full dim: into {@code st.q, st.k, st.v}. */
    void selfProjections(BlockWeights b, DitState st, int tokens) {
        int d = c.dim();
        var mm = kern.matMul();
        mm.linear(tokens, d, d, st.h, 0, b.selfQ().weight(), 0, b.selfQ().bias(), st.q, 0);
        mm.linear(tokens, d, d, st.h, 0, b.selfK().weight(), 0, b.selfK().bias(), st.k, 0);
        mm.linear(tokens, d, d, st.h, 0, b.selfV().weight(), 0, b.selfV().bias(), st.v, 0);
        if (c.qkNorm()) {
            kern.rmsNorm().forward(kern.parallel(), st.q, 0, st.q, 0, tokens, d, b.selfNormQ(), eps, null, 0);
            kern.rmsNorm().forward(kern.parallel(), st.k, 0, st.k, 0, tokens, d, b.selfNormK(), eps, null, 0);
        }
    }

    /** {@code st.y = st.attn W_o^T + b_o}. */
    void selfOutput(BlockWeights b, DitState st, int tokens) {
        int d = c.dim();
        kern.matMul().linear(tokens, d, d, st.attn, 0, b.selfO().weight(), 0, b.selfO().bias(), st.y, 0);
    }

    /** {@code WanT2VCrossAttention}: q from {@code st.h}, k/v from the prompt (cached per prompt); into {@code st.y}. */
    private void crossAttention(BlockWeights b, DitState st, int tokens, float[] context, float[] crossK,
                                float[] crossV, boolean fill) {
        int d = c.dim(), tl = c.textLen();
        var mm = kern.matMul();
        mm.linear(tokens, d, d, st.h, 0, b.crossQ().weight(), 0, b.crossQ().bias(), st.q, 0);
        if (c.qkNorm()) kern.rmsNorm().forward(kern.parallel(), st.q, 0, st.q, 0, tokens, d, b.crossNormQ(), eps, null, 0);
        if (fill) {
            mm.linear(tl, d, d, context, 0, b.crossK().weight(), 0, b.crossK().bias(), crossK, 0);
            if (c.qkNorm()) kern.rmsNorm().forward(kern.parallel(), crossK, 0, crossK, 0, tl, d, b.crossNormK(), eps, null, 0);
            mm.linear(tl, d, d, context, 0, b.crossV().weight(), 0, b.crossV().bias(), crossV, 0);
        }
        kern.attention().forward(tokens, tl, c.numHeads(), c.headDim(), attnScale, st.q, 0, crossK, 0, crossV, 0,
                st.attn, 0, null, null);
        mm.linear(tokens, d, d, st.attn, 0, b.crossO().weight(), 0, b.crossO().bias(), st.y, 0);
    }

    /**
     * The head: {@code Linear(LN(x)(1 + scale) + shift)} with {@code (shift, scale) = head.modulation + e} (note:
     * {@code e}, not {@code e0}), then unpatchify into {@code out [frames, out_dim, height, width]} from {@code outOff}.
     *
     * @param firstFrame the head reads frames {@code [firstFrame, firstFrame + frames)} of {@code st.x} and {@code st.e}
     *                   (teacher forcing: only the noisy half)
     */
    void head(DitState st, int firstFrame, int frames, int fsl, int height, int width, float[] out, int outOff) {
        int d = c.dim(), tokens = frames * fsl, od = c.headOutDim(), x0 = firstFrame * fsl * d;
        var par = kern.parallel();
        float[] hm = w.headModulation();
        for (int f = 0; f < frames; f++)
            for (int j = 0; j < 2; j++)
                for (int i = 0; i < d; i++)
                    st.modulation[f * 2 * d + j * d + i] = hm[j * d + i] + st.e[(firstFrame + f) * d + i];
        kern.layerNorm().forward(par, st.x, x0, st.h, 0, tokens, d, null, null, eps, null, null, 0);
        kern.adaLn().modulate(par, st.h, 0, st.h, 0, frames, fsl, d, st.modulation, 0, st.modulation, d, 2 * d);
        kern.matMul().linear(tokens, d, od, st.h, 0, w.head().weight(), 0, w.head().bias(), st.headOut, 0);
        unpatchify(st.headOut, frames, height, width, out, outOff);
    }

    /** Head outputs {@code [tokens, (p, q, r, c)]} (c fastest) to {@code [frames, out_dim, height, width]}. */
    private void unpatchify(float[] headOut, int frames, int height, int width, float[] out, int outOff) {
        int co = c.outDim(), ph = c.patchH(), pw = c.patchW(), gh = height / ph, gw = width / pw, od = c.headOutDim();
        for (int f = 0; f < frames; f++)
            for (int i = 0; i < gh; i++)
                for (int j = 0; j < gw; j++) {
                    int row = ((f * gh + i) * gw + j) * od;
                    for (int qq = 0; qq < ph; qq++)
                        for (int rr = 0; rr < pw; rr++)
                            for (int cc = 0; cc < co; cc++)
                                out[outOff + ((f * co + cc) * height + i * ph + qq) * width + j * pw + rr] =
                                        headOut[row + (qq * pw + rr) * co + cc];
                }
    }
}
