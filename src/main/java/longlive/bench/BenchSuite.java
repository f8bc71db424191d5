package longlive.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import longlive.kernel.Attention;
import longlive.kernel.MatMul;
import longlive.kernel.Parallel;
import longlive.vae.CausalConv3d;
import longlive.vae.ConvScratch;
import longlive.vae.VaeKernels;
import longlive.vae.VaeWeights;

/**
 * The shapes the benchmark runs, shared by {@code longlive bench} and the PyTorch comparison in bench/.
 *
 * <p>"model": Wan2.1-T2V-1.3B at one 3-frame block of 480x832 video (3 x 1560 = 4680 tokens, dim 1536,
 * FFN 8960, 12 heads of 128) attending over a 12-frame (18720-token) KV cache. "tiny": the tiny test model
 * (dim 256, FFN 1024, 4 heads of 64, 64 tokens per frame, a 3-frame block over a 12-frame cache), forward and
 * backward. "shipped": the shipped default model (dim 128, FFN 512) at one teacher training sample (144 tokens)
 * and one generation block (48 tokens). "quick": small sizes for a smoke test. "vae": the shipped VAE decoder's
 * three widest-area 3x3x3 convs.
 */
public final class BenchSuite {
    private BenchSuite() {}

    /** A GEMM case {@code y[m x n] = x[m x k] . W^T} (W stored [n x k], like a Linear weight). */
    static BenchCase linear(String group, MatMul mm, int m, int k, int n, SplittableRandom rnd) {
        float[] x = random(rnd, m * k), w = random(rnd, n * k), y = new float[m * n];
        return new BenchCase(group, "gemm", m + "x" + k + "x" + n, new int[] {m, k, n, 0, 1}, 2.0 * m * n * k,
                () -> mm.gemm(m, n, k, x, 0, false, w, 0, true, null, y, 0, false));
    }

    /** Backward of {@link #linear}: dX[m x k] += dY[m x n] . W[n x k]. */
    static BenchCase linearDx(String group, MatMul mm, int m, int k, int n, SplittableRandom rnd) {
        float[] dy = random(rnd, m * n), w = random(rnd, n * k), dx = new float[m * k];
        return new BenchCase(group, "gemm-bwd-dX", m + "x" + k + "x" + n, new int[] {m, n, k, 0, 0}, 2.0 * m * n * k,
                () -> mm.gemm(m, k, n, dy, 0, false, w, 0, false, null, dx, 0, true));
    }

    /** Backward of {@link #linear}: dW[n x k] += dY^T[n x m] . X[m x k] (transA). */
    static BenchCase linearDw(String group, MatMul mm, int m, int k, int n, SplittableRandom rnd) {
        float[] dy = random(rnd, m * n), x = random(rnd, m * k), dw = new float[n * k];
        return new BenchCase(group, "gemm-bwd-dW", m + "x" + k + "x" + n, new int[] {n, m, k, 1, 0}, 2.0 * m * n * k,
                () -> mm.gemm(n, k, m, dy, 0, true, x, 0, false, null, dw, 0, true));
    }

    /** Unmasked attention of nq queries over nk keys; flops = 4 nq nk heads headDim (QK^T and PV). */
    static BenchCase attention(String group, Attention att, int nq, int nk, int heads, int hd, SplittableRandom rnd) {
        int row = heads * hd;
        float[] q = random(rnd, nq * row), k = random(rnd, nk * row), v = random(rnd, nk * row);
        float[] out = new float[nq * row], lse = new float[heads * nq];
        float scale = (float) (1 / Math.sqrt(hd));
        return new BenchCase(group, "attention", nq + "q " + nk + "k " + heads + "x" + hd, new int[] {nq, nk, heads, hd},
                4.0 * nq * nk * heads * hd,
                () -> att.forward(nq, nk, heads, hd, scale, q, 0, k, 0, v, 0, out, 0, lse, null));
    }

    /**
     * Attention backward (dQ, dK, dV); flops counted as the 5 matrix products of FlashAttention-2's backward
     * (QK^T, dO.V^T, dS.K, dS^T.Q, P^T.dO) = 10 nq nk heads headDim; our two-pass version recomputes QK^T and
     * dO.V^T once more, which is not counted.
     */
    static BenchCase attentionBackward(String group, Attention att, int nq, int nk, int heads, int hd, SplittableRandom rnd) {
        int row = heads * hd;
        float[] q = random(rnd, nq * row), k = random(rnd, nk * row), v = random(rnd, nk * row);
        float[] out = new float[nq * row], lse = new float[heads * nq], dOut = random(rnd, nq * row);
        float[] dQ = new float[nq * row], dK = new float[nk * row], dV = new float[nk * row];
        float scale = (float) (1 / Math.sqrt(hd));
        att.forward(nq, nk, heads, hd, scale, q, 0, k, 0, v, 0, out, 0, lse, null);
        return new BenchCase(group, "attention-bwd", nq + "q " + nk + "k " + heads + "x" + hd, new int[] {nq, nk, heads, hd},
                10.0 * nq * nk * heads * hd,
                () -> att.backward(nq, nk, heads, hd, scale, q, 0, k, 0, v, 0, out, 0, lse, dOut, 0, null,
                        dQ, 0, dK, 0, dV, 0));
    }

    /**
     * A causal 3x3x3 VAE convolution in the streaming decoder's steady state: {@code frames} new frames after its
     * 2-frame history, zero-padded by 1 in H and W ({@code dims = {cin, cout, frames, h, w}}). Op "vae-conv" runs on
     * {@link longlive.kernel.DirectConv} (what the decoder uses), "vae-conv-im2col" on im2col tiles and the GEMM.
     */
    static BenchCase vaeConv(String group, VaeKernels kernels, boolean direct, int cin, int cout, int frames, int h,
                             int w, SplittableRandom rnd) {
        VaeWeights.Conv weights = VaeWeights.Conv.zeros(cout, cin, 3, 3, 3);
        float[] wt = random(rnd, weights.weight().length), b = random(rnd, cout);
        System.arraycopy(wt, 0, weights.weight(), 0, wt.length);
        System.arraycopy(b, 0, weights.bias(), 0, cout);
        CausalConv3d conv = CausalConv3d.causal(weights);
        VaeKernels k = direct ? kernels : kernels.withIm2colConvs();
        float[] hist = random(rnd, 2 * h * w * cin), x = random(rnd, frames * h * w * cin), y = new float[frames * h * w * cout];
        ConvScratch scratch = new ConvScratch();
        return new BenchCase(group, direct ? "vae-conv" : "vae-conv-im2col",
                cin + "->" + cout + " " + frames + "x" + h + "x" + w, new int[] {cin, cout, frames, h, w},
                conv.flops(frames, h, w), () -> conv.forward(k, scratch, hist, 2, x, frames, h, w, y));
    }

    /**
     * The shipped VAE's (dim 8) decoder convs at 128 x 128 video: its last stage (8 channels at full size, 4 frames
     * a latent frame), the one before (16 at half size) and the one before that (32 at a quarter, 2 frames).
     */
    public static List<BenchCase> vaeCases(Parallel parallel) {
        SplittableRandom rnd = new SplittableRandom(43);
        VaeKernels k = VaeKernels.fast(parallel);
        List<BenchCase> out = new ArrayList<>();
        int[][] shapes = {{8, 8, 4, 128, 128}, {16, 16, 4, 64, 64}, {32, 32, 2, 32, 32}};
        for (int[] s : shapes)
            for (boolean direct : new boolean[] {true, false})
                out.add(vaeConv("vae", k, direct, s[0], s[1], s[2], s[3], s[4], rnd));
        return out;
    }

    /** All cases: the model sizes (or their quick stand-ins) and the tiny model's forward and backward. */
    public static List<BenchCase> cases(boolean quick, MatMul mm, Attention att) {
        SplittableRandom rnd = new SplittableRandom(42);
        List<BenchCase> out = new ArrayList<>();
        String big = quick ? "quick" : "model";
        int tokens = quick ? 468 : 4680, dim = 1536, ffn = 8960;
        out.add(linear(big, mm, tokens, dim, dim, rnd));
        out.add(linear(big, mm, tokens, dim, ffn, rnd));
        out.add(linear(big, mm, tokens, ffn, dim, rnd));
        out.add(attention(big, att, tokens, 4 * tokens, 12, 128, rnd));
        // the tiny model: dim 256, ffn 1024, 4 heads of 64; a 3-frame block of 64 tokens/frame over 12 frames
        int t = 192, d = 256, f = 1024;
        out.add(linear("tiny", mm, t, d, d, rnd));
        out.add(linear("tiny", mm, t, d, f, rnd));
        out.add(linear("tiny", mm, t, f, d, rnd));
        out.add(attention("tiny", att, t, 4 * t, 4, 64, rnd));
        out.add(linearDx("tiny", mm, t, d, f, rnd));
        out.add(linearDw("tiny", mm, t, d, f, rnd));
        out.add(attentionBackward("tiny", att, t, 4 * t, 4, 64, rnd));
        // the shipped model (dim 128, FFN 512): one teacher training sample (9 frames x 16 tokens), forward and
        // backward, and one 3-frame generation block (48 tokens); run with --threads 1 for training's per-sample case
        int s = 144, g = 48, sd = 128, sf = 512;
        out.add(linear("shipped", mm, s, sd, sd, rnd));
        out.add(linear("shipped", mm, s, sd, sf, rnd));
        out.add(linear("shipped", mm, s, sf, sd, rnd));
        out.add(linearDx("shipped", mm, s, sd, sf, rnd));
        out.add(linearDx("shipped", mm, s, sf, sd, rnd));
        out.add(linearDw("shipped", mm, s, sd, sf, rnd));
        out.add(linearDw("shipped", mm, s, sf, sd, rnd));
        out.add(linear("shipped", mm, g, sd, sd, rnd));
        out.add(linear("shipped", mm, g, sd, sf, rnd));
        out.add(linear("shipped", mm, g, sf, sd, rnd));
        return out;
    }

    static float[] random(SplittableRandom rnd, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (rnd.nextDouble() * 2 - 1);
        return x;
    }
}
