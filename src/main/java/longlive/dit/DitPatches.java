package longlive.dit;

/**
 * Patchify / unpatchify of the training path and their adjoints (permutations, so each adjoint is the inverse
 * gather). Latents are {@code [frames, channels, height, width]}; tokens in (frame, row, column) order; a patch in
 * (c, p, q, r) order for the patch embedding, and the head's output per token in (p, q, r, c) order (c fastest).
 */
final class DitPatches {
    private DitPatches() {}

    /** Patch embedding input: each patch in (c, p, q, r) order, tokens in (frame, row, column) order. */
    static void gather(DitConfig c, float[] lat, int off, int frames, int height, int width, float[] patches, int pOff) {
        int ch = c.inDim(), ph = c.patchH(), pw = c.patchW(), gh = height / ph, gw = width / pw, pv = c.patchVolume();
        for (int f = 0; f < frames; f++)
            for (int i = 0; i < gh; i++)
                for (int j = 0; j < gw; j++) {
                    int row = pOff + ((f * gh + i) * gw + j) * pv;
                    for (int cc = 0; cc < ch; cc++)
                        for (int qq = 0; qq < ph; qq++)
                            System.arraycopy(lat, off + ((f * ch + cc) * height + i * ph + qq) * width + j * pw,
                                    patches, row + (cc * ph + qq) * pw, pw);
                }
    }

    /** Adjoint of {@link #gather}: adds the patch gradients into the latent gradient. */
    static void scatterAdd(DitConfig c, float[] dPatches, int pOff, int frames, int height, int width, float[] dLat,
                           int off) {
        int ch = c.inDim(), ph = c.patchH(), pw = c.patchW(), gh = height / ph, gw = width / pw, pv = c.patchVolume();
        for (int f = 0; f < frames; f++)
            for (int i = 0; i < gh; i++)
                for (int j = 0; j < gw; j++) {
                    int row = pOff + ((f * gh + i) * gw + j) * pv;
                    for (int cc = 0; cc < ch; cc++)
                        for (int qq = 0; qq < ph; qq++) {
                            int dst = off + ((f * ch + cc) * height + i * ph + qq) * width + j * pw;
                            int src = row + (cc * ph + qq) * pw;
                            for (int r = 0; r < pw; r++) dLat[dst + r] += dPatches[src + r];
                        }
                }
    }

    /** Head outputs {@code [tokens, (p, q, r, c)]} (c fastest) to {@code [frames, out_dim, height, width]}. */
    static void unpatchify(DitConfig c, float[] headOut, int frames, int height, int width, float[] out, int outOff) {
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

    /** Adjoint of {@link #unpatchify} (a permutation): flow gradient to head-output gradient. */
    static void patchify(DitConfig c, float[] dFlow, int dOff, int frames, int height, int width, float[] dHead) {
        int co = c.outDim(), ph = c.patchH(), pw = c.patchW(), gh = height / ph, gw = width / pw, od = c.headOutDim();
        for (int f = 0; f < frames; f++)
            for (int i = 0; i < gh; i++)
                for (int j = 0; j < gw; j++) {
                    int row = ((f * gh + i) * gw + j) * od;
                    for (int qq = 0; qq < ph; qq++)
                        for (int rr = 0; rr < pw; rr++)
                            for (int cc = 0; cc < co; cc++)
                                dHead[row + (qq * pw + rr) * co + cc] =
                                        dFlow[dOff + ((f * co + cc) * height + i * ph + qq) * width + j * pw + rr];
                }
    }
}
