package longlive.bench;

/**
 * One benchmarked operation: what it is, its shape, its floating-point operation count, and the Java code that
 * runs it once (operands are allocated when the case is built, never inside {@link #run}).
 *
 * @param group  "model" (the real Wan2.1-1.3B sizes), "tiny" (the tiny test model) or "quick"
 * @param op     "gemm", "gemm-bwd-dX", "gemm-bwd-dW", "attention", "attention-bwd", "vae-conv", "vae-conv-im2col"
 * @param shape  human-readable shape, e.g. "4680x1536x8960" (m x k x n) or "4680q 18720k 12x128"
 * @param dims   the raw dimensions: gemm {m, k, n, transA, transB}, attention {nq, nk, heads, headDim},
 *               vae-conv {cin, cout, frames, h, w}
 * @param flops  floating-point operations of one run (a multiply-add counts 2)
 */
public record BenchCase(String group, String op, String shape, int[] dims, double flops, Runnable run) {
    public BenchCase {
        if (flops <= 0) throw new IllegalArgumentException("flops must be > 0 for " + op + " " + shape);
    }

    public boolean isAttention() {
        return op.startsWith("attention");
    }

    public boolean isVaeConv() {
        return op.startsWith("vae-conv");
    }
}
