package longlive.text;

import java.util.Arrays;
import longlive.kernel.Parallel;

/**
 * Training-step cost of the small caption text encoder (docs/training-text.md). Not a test; run by hand:
 * {@code java --add-modules jdk.incubator.vector -cp target-x/classes:target-x/test-classes:<deps>
 * longlive.text.T5BackwardBench [threads] [reps]}.
 *
 * <p>For the likely shipped sizes (vocabulary 600, 4 heads, text_len 32, 32 buckets, per-layer position tables) and
 * two prompt lengths (20 real tokens, a typical caption, and all 32): the inference forward ({@link T5Encoder}),
 * the training forward (records the tape) and the backward, per sequence, Vector kernels. Minimum over the
 * repetitions (the best estimate on a shared machine).
 */
public final class T5BackwardBench {
    private T5BackwardBench() {}

    public static void main(String[] args) {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : Runtime.getRuntime().availableProcessors();
        int reps = args.length > 1 ? Integer.parseInt(args[1]) : 200;
        T5Config[] configs = {
            new T5Config(600, 64, 64, 256, 4, 2, 32, false),
            new T5Config(600, 128, 128, 512, 4, 2, 32, false),
            new T5Config(600, 128, 128, 512, 4, 4, 32, false),
        };
        try (Parallel par = new Parallel(threads)) {
            System.out.printf("threads %d, reps %d, text_len 32; times per sequence in ms (min)%n", threads, reps);
            System.out.println("dim ffn layers params | tokens | inference fwd | train fwd | backward | fwd+bwd");
            for (T5Config c : configs)
                for (int tokens : new int[] {20, 32}) run(c, tokens, par, reps);
        }
    }

    private static void run(T5Config c, int tokens, Parallel par, int reps) {
        T5Weights w = T5Weights.random(c, 1, par);
        T5Kernels k = T5Kernels.fast(par);
        T5Encoder enc = new T5Encoder(w, k);
        T5Backward bw = new T5Backward(w, k);
        T5Tape tape = new T5Tape(c, 32);
        T5Weights g = T5Weights.zeros(c);
        long[] ids = new long[32], mask = new long[32];
        for (int i = 0; i < tokens; i++) {
            ids[i] = 3 + (i * 37) % (c.vocabSize() - 3);
            mask[i] = 1;
        }
        float[] r = new float[32 * c.dim()];
        Arrays.fill(r, 0.01f);
        double inf = Double.MAX_VALUE, fwd = Double.MAX_VALUE, back = Double.MAX_VALUE;
        for (int i = 0; i < reps; i++) {
            long t0 = System.nanoTime();
            enc.forward(ids, mask);
            long t1 = System.nanoTime();
            bw.forward(tape, ids, mask);
            long t2 = System.nanoTime();
            bw.backward(tape, r, g);
            long t3 = System.nanoTime();
            inf = Math.min(inf, (t1 - t0) / 1e6);
            fwd = Math.min(fwd, (t2 - t1) / 1e6);
            back = Math.min(back, (t3 - t2) / 1e6);
        }
        System.out.printf("%3d %4d %d %8d | %2d | %.3f | %.3f | %.3f | %.3f%n", c.dim(), c.dimFfn(), c.numLayers(),
                c.parameterCount(), tokens, inf, fwd, back, fwd + back);
    }
}
