package longlive.dit;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;
import longlive.cache.ModelCache;
import longlive.kernel.KeyMask;
import longlive.kernel.Parallel;

/**
 * Seconds per training step (forward + backward, one sample) of the DiT in each training mode, random weights.
 * With {@code --threads 1} every kernel runs on the calling thread, so its CPU time is reported too: on a shared,
 * loaded machine it is a steadier measure of the work than the wall time.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp target/classes longlive.dit.DitTrainBench \
 *      [--dim 128] [--ffn 512] [--heads 4] [--layers 4] [--in 16] [--latent 8x8] [--frames 6] [--text-len 32]
 *      [--text-dim 128] [--freq 256] [--block 3] [--threads 2] [--steps 20] [--warmup 10]
 * </pre>
 */
public final class DitTrainBench {
    private DitTrainBench() {}

    public static void main(String[] args) {
        int dim = 128, ffn = 512, heads = 4, layers = 4, in = 16, lh = 8, lw = 8, frames = 6, textLen = 32,
                textDim = 128, freq = 256, block = 3, threads = 2, steps = 20, warmup = 10;
        for (int i = 0; i < args.length; i += 2) {
            String v = args[i + 1];
            switch (args[i]) {
                case "--dim" -> dim = Integer.parseInt(v);
                case "--ffn" -> ffn = Integer.parseInt(v);
                case "--heads" -> heads = Integer.parseInt(v);
                case "--layers" -> layers = Integer.parseInt(v);
                case "--in" -> in = Integer.parseInt(v);
                case "--latent" -> {
                    String[] p = v.split("x");
                    lh = Integer.parseInt(p[0]);
                    lw = Integer.parseInt(p[1]);
                }
                case "--frames" -> frames = Integer.parseInt(v);
                case "--text-len" -> textLen = Integer.parseInt(v);
                case "--text-dim" -> textDim = Integer.parseInt(v);
                case "--freq" -> freq = Integer.parseInt(v);
                case "--block" -> block = Integer.parseInt(v);
                case "--threads" -> threads = Integer.parseInt(v);
                case "--steps" -> steps = Integer.parseInt(v);
                case "--warmup" -> warmup = Integer.parseInt(v);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        DitConfig c = new DitConfig("t2v", dim, ffn, freq, heads, layers, in, in, textLen, textDim, 1, 2, 2, 1e-6,
                true, true);
        bench(c, lh, lw, frames, block, threads, steps, warmup);
    }

    private static void bench(DitConfig c, int lh, int lw, int frames, int block, int threads, int steps, int warmup) {
        int dim = c.dim(), ffn = c.ffnDim(), heads = c.numHeads(), layers = c.numLayers(), in = c.inDim(),
                textLen = c.textLen(), textDim = c.textDim();
        int fsl = c.frameSeqLen(lh, lw), frame = in * lh * lw;
        System.out.printf(Locale.ROOT, "DiT training step: dim %d, ffn %d, %d heads, %d layers, %.2f M params; latent "
                        + "%dx%d x %d frames = %d tokens, text_len %d, %d thread(s)%n", dim, ffn, heads, layers,
                c.parameterCount() / 1e6, lh, lw, frames, frames * fsl, textLen, threads);
        try (Parallel par = new Parallel(threads)) {
            DitWeights w = DitWeights.random(c, 1, par);
            DitTraining tr = new DitTraining(w, DitKernels.fast(par));
            DitWeights g = DitTraining.zerosLike(w);
            SplittableRandom rnd = new SplittableRandom(2);
            float[] lat = gauss(rnd, frames * frame), clean = gauss(rnd, frames * frame),
                    prompt = gauss(rnd, textLen * textDim), r = gauss(rnd, frames * frame);
            float[] out = new float[frames * frame], dLat = new float[lat.length], dPrompt = new float[prompt.length];
            float[] t = new float[frames];
            Arrays.fill(t, 700f);
            DitTape tape = new DitTape(c, 2 * frames, fsl, 12 * fsl);
            System.out.printf(Locale.ROOT, "tape: %.1f MB%n", tape.bytes() / 1e6);
            KeyMask causal = KeyMask.blockCausal(frames, fsl, block, -1);
            Runnable[] modes = {
                    () -> tr.forward(tape, lat, 0, frames, lh, lw, t, prompt, textLen, null, out, 0),
                    () -> tr.forward(tape, lat, 0, frames, lh, lw, t, prompt, textLen, causal, out, 0),
                    () -> tr.forwardTeacherForced(tape, clean, 0, lat, 0, frames, lh, lw, new float[frames], t, block,
                            prompt, textLen, out, 0),
            };
            String[] names = {"bidirectional", "block-causal", "teacher forcing (2x tokens)"};
            // warm the JIT on every mode first, so the first mode measured does not pay for compilation
            for (int s = 0; s < warmup; s++)
                for (Runnable m : modes) {
                    m.run();
                    tr.backward(tape, r, 0, g, dLat, 0, null, 0, dPrompt);
                }
            ThreadMXBean mx = ManagementFactory.getThreadMXBean();
            for (int m = 0; m < modes.length; m++) {
                double[] fwd = new double[steps], tot = new double[steps], cpu = new double[steps];
                for (int s = 0; s < steps; s++) {
                    long c0 = mx.getCurrentThreadCpuTime();
                    long t0 = System.nanoTime();
                    modes[m].run();
                    long t1 = System.nanoTime();
                    tr.backward(tape, r, 0, g, dLat, 0, null, 0, dPrompt);
                    long t2 = System.nanoTime();
                    cpu[s] = (mx.getCurrentThreadCpuTime() - c0) / 1e9;
                    fwd[s] = (t1 - t0) / 1e9;
                    tot[s] = (t2 - t0) / 1e9;
                }
                System.out.printf(Locale.ROOT, "%-28s forward %.4f s, forward+backward %.4f s%s (median of %d)%n",
                        names[m], median(fwd), median(tot),
                        threads == 1 ? String.format(Locale.ROOT, " [cpu %.4f s]", median(cpu)) : "", steps);
            }
            // the cached block step: one block against a full window (sink 3 + 6 frames + the block)
            int window = 12;
            double[] tot = new double[steps], cpu = new double[steps];
            for (int s = -warmup; s < steps; s++) {
                ModelCache cache = new ModelCache(layers, dim, textLen, fsl, window, 3, true, window * fsl, false);
                CausalDit inf = new CausalDit(w, DitKernels.fast(par), RopeMode.ABSOLUTE);
                float[] ctx = new float[textLen * dim];
                inf.embedPrompt(prompt, textLen, ctx, new float[textLen * Math.max(textDim, dim)]);
                DitState st = new DitState(c, block, fsl);
                for (int b = 0; b < 3; b++)
                    inf.forward(st, cache, lat, 0, block, lh, lw, new float[block], ctx, b * block, false, null, 0);
                long c0 = mx.getCurrentThreadCpuTime();
                long t0 = System.nanoTime();
                tr.forwardCachedBlock(tape, cache, RopeMode.ABSOLUTE, lat, 0, block, lh, lw, t, prompt, textLen,
                        3 * block, out, 0);
                tr.backward(tape, r, 0, g, dLat, 0, null, 0, dPrompt);
                if (s >= 0) {
                    tot[s] = (System.nanoTime() - t0) / 1e9;
                    cpu[s] = (mx.getCurrentThreadCpuTime() - c0) / 1e9;
                }
            }
            System.out.printf(Locale.ROOT, "%-28s forward+backward %.4f s%s (median of %d)%n",
                    "cached block step (" + block + " fr)", median(tot),
                    threads == 1 ? String.format(Locale.ROOT, " [cpu %.4f s]", median(cpu)) : "", steps);
        }
    }

    private static float[] gauss(SplittableRandom r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) r.nextGaussian();
        return a;
    }

    private static double median(double[] a) {
        double[] s = a.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }
}
