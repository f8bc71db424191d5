package longlive.text;

import java.nio.file.Path;
import longlive.kernel.Parallel;
import longlive.text.tokenizer.TokenizedPrompt;
import longlive.text.tokenizer.UnigramTokenizer;

/**
 * Text-encoder time per prompt. Not a test; run by hand (see docs/text.md):
 * {@code java --add-modules jdk.incubator.vector -Xmx8g -cp target-x/classes:target-x/test-classes
 * longlive.text.TextEncoderBench [threads] [xxlLayers]}.
 *
 * <ul>
 *   <li>tiny: the fixture tokenizer + a random 2-layer dim-32 encoder at text_len 512: clean + tokenize + encode,
 *       uncached and cached;</li>
 *   <li>XXL: random weights with umT5-XXL's layer sizes (dim 4096, 64 heads, ffn 10240) but only {@code xxlLayers}
 *       layers and a 1000-piece vocabulary (the 1 G-element embedding is only gathered from, so its size does not
 *       change the time; fp32 XXL needs 22.8 GB), at 512 tokens (a full-length prompt, or the reference, which always
 *       computes all 512) and at 40 / 128 real tokens (the prefix shortcut). Time per layer x 24 = estimated full
 *       encoder.</li>
 * </ul>
 * Reports the minimum over the repetitions (the best estimate on a shared machine).
 */
public final class TextEncoderBench {
    private TextEncoderBench() {}

    public static void main(String[] args) throws Exception {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : Runtime.getRuntime().availableProcessors();
        int xxlLayers = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        try (Parallel par = new Parallel(threads)) {
            System.out.printf("threads %d%n", threads);
            tiny(par);
            xxl(par, xxlLayers);
        }
    }

    private static void tiny(Parallel par) throws Exception {
        Path tj = Path.of("src/test/resources/text/tokenizer/tokenizer.json");
        UnigramTokenizer tok = UnigramTokenizer.load(tj, 512);
        T5Config c = new T5Config(700, 32, 24, 48, 3, 2, 16, false);
        T5Encoder enc = new T5Encoder(T5Weights.random(c, 1, par), T5Kernels.fast(par));
        String prompt = "A red fox running through a snowy forest, cinematic lighting, slow motion, close-up.";
        double best = Double.MAX_VALUE, bestTok = Double.MAX_VALUE, bestHit = Double.MAX_VALUE;
        for (int r = 0; r < 30; r++) {
            TextEncoder te = new TextEncoder(tok, enc, new PromptEmbeddingCache(4));
            long t0 = System.nanoTime();
            TokenizedPrompt p = tok.encode(prompt);
            long t1 = System.nanoTime();
            te.encode(prompt);
            long t2 = System.nanoTime();
            te.encode(prompt);
            long t3 = System.nanoTime();
            bestTok = Math.min(bestTok, (t1 - t0) / 1e6);
            best = Math.min(best, (t2 - t1) / 1e6);
            bestHit = Math.min(bestHit, (t3 - t2) / 1e6);
            if (r == 0) System.out.printf("tiny: prompt of %d tokens (text_len 512)%n", p.length());
        }
        System.out.printf("tiny: clean+tokenize %.3f ms, clean+tokenize+encode (miss) %.3f ms, cache hit %.3f ms%n",
                bestTok, best, bestHit);
    }

    private static void xxl(Parallel par, int layers) {
        T5Config x = T5Config.UMT5_XXL;
        T5Config c = new T5Config(1000, x.dim(), x.dimAttn(), x.dimFfn(), x.numHeads(), layers, x.numBuckets(), false);
        long t0 = System.nanoTime();
        T5Encoder enc = new T5Encoder(T5Weights.random(c, 2, par), T5Kernels.fast(par));
        System.out.printf("XXL sizes, %d layers: random weights in %.1f s%n", layers, (System.nanoTime() - t0) / 1e9);
        for (int real : new int[] {40, 128, 512}) {
            long[] ids = new long[512], mask = new long[512];
            for (int i = 0; i < real; i++) {
                ids[i] = 5 + (i * 37) % 900;
                mask[i] = 1;
            }
            ids[real - 1] = 1;
            double best = Double.MAX_VALUE;
            int reps = real == 512 ? 2 : 3;
            for (int r = 0; r < reps; r++) {
                long s = System.nanoTime();
                enc.forward(ids, mask);
                best = Math.min(best, (System.nanoTime() - s) / 1e9);
            }
            double perLayer = best / layers;
            double flops = 2.0 * real * (4.0 * x.dim() * x.dimAttn() + 3.0 * x.dim() * x.dimFfn()) + 4.0 * real * real * x.dimAttn();
            System.out.printf("XXL sizes: %3d real tokens: %.2f s per layer (%.1f GFLOP/s) -> 24 layers ~ %.0f s%n",
                    real, perLayer, flops / perLayer / 1e9, perLayer * 24);
        }
    }
}
