package longlive.kernel;

import java.util.SplittableRandom;

/**
 * Throughput of the pointwise kernels at Wan 1.3B sizes (one 3-frame block: 4680 tokens x 1536, FFN 8960),
 * scalar vs Vector, on the given thread count. Not a test; run by hand:
 * {@code java --add-modules jdk.incubator.vector -cp target-x/classes:target-x/test-classes
 * longlive.kernel.PointwiseBench [threads]}. Prints the minimum and the median of 7 timed
 * repetitions after 3 warm-up runs (the minimum is the better estimate on a shared, noisy machine).
 */
public final class PointwiseBench {
    private PointwiseBench() {}

    public static void main(String[] args) {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : Runtime.getRuntime().availableProcessors();
        int tokens = 3 * 1560, dim = 1536, ffn = 8960, heads = 12;
        float[] x = rnd(tokens * dim), y = new float[tokens * dim], dy = rnd(tokens * dim), dx = new float[tokens * dim];
        float[] h = rnd(tokens * ffn), hy = new float[tokens * ffn];
        float[] w = rnd(dim), b = rnd(dim), mean = new float[tokens], rstd = new float[tokens];
        float[] dw = new float[dim], db = new float[dim], e0 = rnd(3 * 6 * dim);
        RopeTable table = RopeTable.wan(128);
        try (Parallel par = new Parallel(threads)) {
            System.out.printf("threads %d, %d tokens x %d (ffn %d)%n", threads, tokens, dim, ffn);
            for (PointwiseKernels k : new PointwiseKernels[] {PointwiseKernels.scalar(), PointwiseKernels.vector()}) {
                String impl = k.layerNorm().getClass().getSimpleName();
                time(impl, "layerNorm fwd (affine)", () -> k.layerNorm().forward(par, x, 0, y, 0, tokens, dim, w, b,
                        1e-6f, mean, rstd, 0));
                time(impl, "layerNorm bwd (dx,dw,db)", () -> k.layerNorm().backward(par, x, 0, dy, 0, dx, 0, tokens, dim,
                        w, mean, rstd, 0, dw, db));
                time(impl, "rmsNorm fwd", () -> k.rmsNorm().forward(par, x, 0, y, 0, tokens, dim, w, 1e-6f, rstd, 0));
                time(impl, "rmsNorm bwd (dx,dw)", () -> k.rmsNorm().backward(par, x, 0, dy, 0, dx, 0, tokens, dim, w,
                        rstd, 0, dw));
                time(impl, "rope3d fwd (3x30x52, 12 heads)", () -> k.rope().forward(par, table, x, 0, y, 0, heads, 3,
                        30, 52, 100));
                time(impl, "adaLn modulate", () -> k.adaLn().modulate(par, x, 0, y, 0, 3, 1560, dim, e0, 0, e0, dim,
                        6 * dim));
                time(impl, "gelu fwd [4680 x 8960]", () -> k.activations().gelu(par, h, 0, hy, 0, tokens * ffn));
                time(impl, "silu fwd [4680 x 1536]", () -> k.activations().silu(par, x, 0, y, 0, tokens * dim));
                time(impl, "softmax fwd [4680 x 1536]", () -> k.softmax().forward(par, x, 0, y, 0, tokens, dim));
            }
        }
    }

    private static void time(String impl, String what, Runnable r) {
        for (int i = 0; i < 3; i++) r.run();
        double[] ms = new double[7];
        for (int i = 0; i < ms.length; i++) {
            long t0 = System.nanoTime();
            r.run();
            ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        java.util.Arrays.sort(ms);
        System.out.printf("%-7s %-32s min %8.2f ms   median %8.2f ms%n", impl, what, ms[0], ms[ms.length / 2]);
    }

    private static float[] rnd(int n) {
        SplittableRandom r = new SplittableRandom(n);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (r.nextDouble() * 2 - 1);
        return a;
    }
}
