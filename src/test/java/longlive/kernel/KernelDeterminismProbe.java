package longlive.kernel;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Runs every fast (Vector API) kernel whose rounding could depend on the compilation mode (softmax, norms, GELU,
 * SiLU, attention forward and backward, ...) on fixed inputs and fingerprints the output bits. Used by
 * {@link KernelDeterminismTest} in its own JVM (first call, interpreted) and in a child JVM run with
 * {@code -Xint}; {@link #main} prints one {@code name=fingerprint} line per kernel.
 */
final class KernelDeterminismProbe {
    private KernelDeterminismProbe() {
    }

    /** Fingerprint of the bits of every output, per kernel and shape, in a fixed order. */
    static Map<String, Long> run() {
        Map<String, Long> out = new LinkedHashMap<>();
        PointwiseKernels k = PointwiseKernels.vector();
        // 37 and 300 are not multiples of the vector width: the scalar tails run too
        int[][] shapes = {{3, 37}, {2, 300}};
        try (Parallel two = new Parallel(2)) {
            for (int[] s : shapes) {
                var in = new PointwiseKernelsTest.Inputs(s[0], s[1], 7);
                for (var e : PointwiseKernelsTest.OPS.entrySet()) {
                    out.put(e.getKey() + " " + s[0] + "x" + s[1], fingerprint(e.getValue().run(k, Parallel.serial(), in)));
                    out.put(e.getKey() + " " + s[0] + "x" + s[1] + " 2 threads", fingerprint(e.getValue().run(k, two, in)));
                }
            }
            out.put("attention", attention(Parallel.serial()));
            out.put("attention 2 threads", attention(two));
        }
        return out;
    }

    private static long attention(Parallel par) {
        int nq = 20, nk = 20, nkLong = 100, heads = 2, hd = 24, row = heads * hd;
        SplittableRandom rnd = new SplittableRandom(11);
        float[] q = random(rnd, nq * row, 3), k = random(rnd, nkLong * row, 1), v = random(rnd, nkLong * row, 1);
        float[] o = new float[nq * row], lse = new float[heads * nq];
        float[] dQ = new float[nq * row], dK = new float[nk * row], dV = new float[nk * row];
        KeyMask mask = KeyMask.blockCausal(4, 5, 1, 2);
        Attention att = new VectorAttention(par);
        att.forward(nq, nk, heads, hd, 0.2f, q, 0, k, 0, v, 0, o, 0, lse, mask);
        att.backward(nq, nk, heads, hd, 0.2f, q, 0, k, 0, v, 0, o, 0, lse, random(rnd, nq * row, 1), 0, mask,
                dQ, 0, dK, 0, dV, 0);
        float[] full = new float[nq * row], fullLse = new float[heads * nq];
        att.forward(nq, nkLong, heads, hd, 0.2f, q, 0, k, 0, v, 0, full, 0, fullLse, null);
        return fingerprint(List.of(o, lse, dQ, dK, dV, full, fullLse));
    }

    private static float[] random(SplittableRandom rnd, int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) ((rnd.nextDouble() * 2 - 1) * scale);
        return a;
    }

    /** FNV-1a over the raw bits of every element of every array. */
    static long fingerprint(List<float[]> arrays) {
        long h = 0xcbf29ce484222325L;
        for (float[] a : arrays) {
            for (float f : a) {
                h ^= Float.floatToRawIntBits(f);
                h *= 0x100000001b3L;
            }
            h ^= a.length;
            h *= 0x100000001b3L;
        }
        return h;
    }

    public static void main(String[] args) {
        run().forEach((name, fp) -> System.out.println(name + "=" + fp));
    }
}
