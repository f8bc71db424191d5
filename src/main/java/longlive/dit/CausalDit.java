package longlive.dit;

import longlive.cache.CacheUpdate;
import longlive.cache.CrossAttentionCache;
import longlive.cache.KvCache;
import longlive.cache.ModelCache;
import longlive.kernel.KeyMask;
import longlive.kernel.RopeTable;
import longlive.tensor.ShapeException;

/**
 * The causal Wan DiT in its cached inference mode ({@code CausalWanModel._forward_inference}, with the self-attention
 * of {@code CausalWanSelfAttention.forward}'s {@code kv_cache} branch): one call runs a few consecutive latent frames
 * against the keys/values already in the {@link ModelCache}, writes its own keys/values into it, and returns the flow
 * (velocity) prediction. The RoPE placement is a {@link RopeMode}.
 *
 * <p>Per layer, the self-attention plans the cache update from the layer's end indices, writes the new keys/values
 * (after the roll, if the window is full) into the layer's slots, then attends to the sink slots plus the most recent
 * slots; the end indices are committed after all layers, as the reference's {@code _apply_cache_updates}.
 */
public final class CausalDit {
    private final DitConfig c;
    private final DitWeights w;
    private final DitKernels kern;
    private final DitLayers layers;
    private final RopeMode ropeMode;
    private final RopeTable ropeTable;
    private ForwardProbe probe;

    public CausalDit(DitWeights weights, DitKernels kernels, RopeMode ropeMode) {
        this.c = weights.config();
        this.w = weights;
        this.kern = kernels;
        this.layers = new DitLayers(weights, kernels);
        this.ropeMode = ropeMode;
        this.ropeTable = RopeTable.wan(c.headDim());
    }

    /** Installs a probe that sees the intermediate activations of every forward (null: none). */
    public void setProbe(ForwardProbe probe) {
        this.probe = probe;
    }

    public DitConfig config() {
        return c;
    }

    public RopeMode ropeMode() {
        return ropeMode;
    }

    /** Frames the RoPE table covers (1024): the absolute mode's length limit. */
    public int maxRopePositions() {
        return ropeTable.maxPositions();
    }

    /**
     * The prompt's text embedding, computed once per prompt (the reference recomputes the same values every call).
     *
     * @param promptEmbeds {@code [rows <= text_len, text_dim]}
     * @param out          {@code [text_len, dim]}
     * @param scratch      {@code text_len * max(text_dim, dim)} floats
     */
    public void embedPrompt(float[] promptEmbeds, int rows, float[] out, float[] scratch) {
        layers.embedText(promptEmbeds, rows, out, scratch);
    }

    /**
     * One cached forward.
     *
     * @param latents           {@code [frames, in_dim, height, width]} from {@code latOff}
     * @param timesteps         {@code [frames]} per-frame timesteps (floats such as 937.5)
     * @param context           the prompt's text embedding {@code [text_len, dim]} ({@link #embedPrompt})
     * @param currentStartFrame global index of the first frame ({@code current_start / frameSeqLen})
     * @param sinkRecacheAfterSwitch the recache with {@code global_sink: false} (may rewrite the sink slots)
     * @param flowOut           receives the velocity {@code [frames, out_dim, height, width]} from {@code flowOff};
     *                          null for a cache pass (the head is skipped, the cache is written all the same)
     */
    public void forward(DitState st, ModelCache cache, float[] latents, int latOff, int frames, int height, int width,
                        float[] timesteps, float[] context, int currentStartFrame, boolean sinkRecacheAfterSwitch,
                        float[] flowOut, int flowOff) {
        int fsl = c.frameSeqLen(height, width);
        if (fsl != st.frameSeqLen || fsl != cache.frameSeqLen())
            throw new ShapeException("causal DiT: latent " + height + "x" + width + " gives " + fsl
                    + " tokens per frame, but the state holds " + st.frameSeqLen + " and the cache " + cache.frameSeqLen());
        if (frames < 1 || frames > st.maxFrames)
            throw new ShapeException("causal DiT: " + frames + " frames in one call, the state holds at most " + st.maxFrames);
        if (timesteps.length < frames)
            throw new ShapeException("causal DiT: " + timesteps.length + " timesteps for " + frames + " frames");
        if (ropeMode instanceof RopeMode.Absolute)
            ropeTable.requirePositions("causal DiT (absolute RoPE)", currentStartFrame, frames, height / c.patchH(),
                    width / c.patchW());
        long currentStart = (long) currentStartFrame * fsl;
        int gh = height / c.patchH(), gw = width / c.patchW();
        CrossAttentionCache cross = cache.crossAttention();

        int d = c.dim(), tokens = frames * fsl;
        layers.embedPatches(latents, latOff, frames, height, width, st, 0);
        layers.embedTime(timesteps, frames, st);
        if (probe != null) {
            probe.tensor("patch_emb", st.x, 0, tokens * d);
            probe.tensor("e", st.e, 0, frames * d);
            probe.tensor("e0", st.e0, 0, frames * 6 * d);
        }
        DitLayers.SelfAttention selfAttn = (layer, b, s, nf, nTok) ->
                cachedSelfAttention(layer, b, s, nf, nTok, gh, gw, cache.layer(layer), cache, currentStart,
                        currentStartFrame, sinkRecacheAfterSwitch);
        for (int l = 0; l < c.numLayers(); l++) {
            boolean fill = !cross.isFilled(l);
            layers.block(l, st, frames, fsl, selfAttn, context, cross.keys(l), cross.values(l), fill);
            if (fill) cross.markFilled(l);
            if (probe != null) probe.tensor("block_out_" + l, st.x, 0, tokens * d);
        }
        cache.commitAll();
        if (flowOut == null) return; // a cache pass: only the keys/values were wanted
        layers.head(st, 0, frames, fsl, height, width, flowOut, flowOff);
        if (probe != null) probe.tensor("head_out", st.headOut, 0, tokens * c.headOutDim());
    }

    private void cachedSelfAttention(int layer, BlockWeights b, DitState st, int frames, int tokens, int gh, int gw,
                                     KvCache kv, ModelCache cache, long currentStart, int currentStartFrame,
                                     boolean sinkRecache) {
        int heads = c.numHeads(), fsl = gh * gw;
        var par = kern.parallel();
        layers.selfProjections(b, st, tokens);
        CacheUpdate u = kv.plan(currentStart, tokens, sinkRecache);
        cache.setPending(layer, u);
        KvCache.KeyRanges ranges = kv.attentionRanges(u);
        float[] keys;
        if (ropeMode instanceof RopeMode.Absolute) {
            // queries and keys at their absolute frame positions; keys enter the cache rotated
            kern.rope().forward(par, ropeTable, st.q, 0, st.q, 0, heads, frames, gh, gw, currentStartFrame);
            kern.rope().forward(par, ropeTable, st.k, 0, st.k, 0, heads, frames, gh, gw, currentStartFrame);
            kv.write(u, st.k, st.v);
            keys = kv.keys();
        } else {
            // keys enter the cache unrotated; slot i of the window is rotated by position i on every call, the
            // queries by their own slot positions (causal_model_infinity.py block_relativistic_rope)
            kv.write(u, st.k, st.v);
            int cacheFrames = u.localEnd() / fsl;
            int queryStart = u instanceof CacheUpdate.RollAndInsert
                    ? cache.windowFrames() - frames : u.localStart() / fsl;
            keys = cache.keyScratch();
            kern.rope().forward(par, ropeTable, kv.keys(), 0, keys, 0, heads, cacheFrames, gh, gw, 0);
            kern.rope().forward(par, ropeTable, st.q, 0, st.q, 0, heads, frames, gh, gw, queryStart);
            // the rotated keys only exist below localEnd: the sink part cannot reach past it
            int sinkEnd = Math.min(ranges.hi0(), u.localEnd());
            ranges = new KvCache.KeyRanges(Math.min(ranges.lo0(), sinkEnd), sinkEnd, ranges.lo1(), ranges.hi1());
        }
        attend(st, tokens, keys, kv.values(), ranges);
        layers.selfOutput(b, st, tokens);
    }

    /** Attention of {@code st.q} over the key slots in {@code r}, into {@code st.attn}. */
    private void attend(DitState st, int tokens, float[] keys, float[] values, KvCache.KeyRanges r) {
        int d = c.dim();
        float scale = layers.attentionScale();
        if (r.lo1() == r.hi1() || r.hi0() == r.lo1()) {
            int lo = r.lo0(), hi = r.lo1() == r.hi1() ? r.hi0() : r.hi1();
            kern.attention().forward(tokens, hi - lo, c.numHeads(), c.headDim(), scale, st.q, 0, keys, lo * d,
                    values, lo * d, st.attn, 0, null, null);
        } else {
            // sink and recent slots are not adjacent (global attention past max_attention_size): a two-interval mask
            int[] lo0 = new int[tokens], hi0 = new int[tokens], lo1 = new int[tokens], hi1 = new int[tokens];
            java.util.Arrays.fill(lo0, r.lo0());
            java.util.Arrays.fill(hi0, r.hi0());
            java.util.Arrays.fill(lo1, r.lo1());
            java.util.Arrays.fill(hi1, r.hi1());
            kern.attention().forward(tokens, r.hi1(), c.numHeads(), c.headDim(), scale, st.q, 0, keys, 0, values, 0,
                    st.attn, 0, null, new KeyMask(lo0, hi0, lo1, hi1));
        }
    }
}
