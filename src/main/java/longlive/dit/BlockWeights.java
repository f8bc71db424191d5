package longlive.dit;

/**
 * One Wan transformer block ({@code CausalWanAttentionBlock}): adaLN modulation, self-attention with q/k RMSNorm,
 * cross-attention (norm3 + q/k RMSNorm), and the GELU FFN.
 *
 * @param modulation    {@code [6, dim]}: shift/scale/gate for self-attention, then shift/scale/gate for the FFN
 * @param selfNormQ     RMSNorm weight {@code [dim]} on q over the full dim (all ones when qk_norm is off)
 * @param norm3Weight   affine LayerNorm before cross-attention {@code [dim]} (null when cross_attn_norm is off)
 * @param ffn0          {@code dim -> ffn_dim}, then GELU(tanh)
 * @param ffn2          {@code ffn_dim -> dim}
 */
public record BlockWeights(float[] modulation,
                           Linear selfQ, Linear selfK, Linear selfV, Linear selfO, float[] selfNormQ, float[] selfNormK,
                           float[] norm3Weight, float[] norm3Bias,
                           Linear crossQ, Linear crossK, Linear crossV, Linear crossO,
                           float[] crossNormQ, float[] crossNormK,
                           Linear ffn0, Linear ffn2) {

    /** Zero-filled weights of the right sizes for {@code c} (norm weights included, filled by the loader). */
    public static BlockWeights zeros(DitConfig c) {
        int d = c.dim();
        return new BlockWeights(new float[6 * d],
                Linear.zeros(d, d), Linear.zeros(d, d), Linear.zeros(d, d), Linear.zeros(d, d),
                c.qkNorm() ? new float[d] : null, c.qkNorm() ? new float[d] : null,
                c.crossAttnNorm() ? new float[d] : null, c.crossAttnNorm() ? new float[d] : null,
                Linear.zeros(d, d), Linear.zeros(d, d), Linear.zeros(d, d), Linear.zeros(d, d),
                c.qkNorm() ? new float[d] : null, c.qkNorm() ? new float[d] : null,
                Linear.zeros(d, c.ffnDim()), Linear.zeros(c.ffnDim(), d));
    }
}
