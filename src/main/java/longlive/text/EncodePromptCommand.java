package longlive.text;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import longlive.io.SafeTensorsWriter;
import longlive.io.UmT5Checkpoint;
import longlive.kernel.Parallel;
import longlive.tensor.Tensor;
import longlive.text.tokenizer.TokenizedPrompt;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code longlive encode-prompt --t5 CKPT --tokenizer tokenizer.json -o OUT "prompt" ...}: runs Wan's text encoder
 * and writes the embeddings in the layout the replay cases use ({@code prompt_embeds [P, text_len, dim]}).
 *
 * <p>Benchmark mode ({@code --bench-tokens 40,512}): times the encoder on synthetic token sequences with that many
 * real tokens (padded to {@code --text-len}), after one warm-up, and prints the peak resident memory; with
 * {@code --random xxl} (or a {@code t5_config.json}) the weights are random, so no checkpoint or tokenizer is needed
 * (the XXL size in bf16 without an 11 GB file). See docs/text.md.
 */
@Command(name = "encode-prompt", mixinStandardHelpOptions = true,
        description = {"Encodes prompts with the umT5 text encoder (as Wan's WanTextEncoder) and writes",
                "'prompt_embeds' f32 [P, text_len, dim] (rows past each prompt's length zero), 'token_ids' and",
                "'mask' i64 [P, text_len]. With --bench-tokens it times the encoder instead. See docs/text.md."})
public final class EncodePromptCommand implements Callable<Integer> {
    @Option(names = "--t5", paramLabel = "CKPT",
            description = "encoder weights: models_t5_umt5-xxl-enc-bf16.pth or a .safetensors with the same keys")
    Path checkpoint;

    @Option(names = "--random", paramLabel = "CONFIG",
            description = "random weights instead of --t5: 'xxl' (umT5-XXL sizes) or a t5_config.json (benchmarks)")
    String random;

    @Option(names = "--weights", paramLabel = "bf16|f32", defaultValue = "auto",
            description = "how the matrices are held: auto (bf16 when the checkpoint is bf16; bf16 for --random), "
                    + "bf16, or f32 (default: ${DEFAULT-VALUE})")
    String weights;

    @Option(names = "--tokenizer", paramLabel = "JSON",
            description = "tokenizer.json of google/umt5-xxl (Hugging Face format); not needed with --bench-tokens")
    Path tokenizer;

    @Option(names = {"-o", "--out"}, paramLabel = "OUT", description = "output .safetensors file")
    Path out;

    @Option(names = "--text-len", defaultValue = "512", description = "tokens per prompt after padding / truncation (default: ${DEFAULT-VALUE}, Wan's)")
    int textLen;

    @Option(names = "--threads", description = "worker threads (default: all cores)")
    Integer threads;

    @Option(names = "--bench-tokens", split = ",", paramLabel = "N",
            description = "benchmark: time encoding synthetic prompts with these real-token counts (e.g. 40,512)")
    List<Integer> benchTokens;

    @Option(names = "--repeat", defaultValue = "1", description = "benchmark: timed runs per length after one warm-up (default: ${DEFAULT-VALUE})")
    int repeat;

    @Parameters(arity = "0..*", paramLabel = "PROMPT", description = "one or more prompts")
    List<String> prompts = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        boolean bench = benchTokens != null && !benchTokens.isEmpty();
        if ((checkpoint == null) == (random == null))
            throw new IllegalArgumentException("encode-prompt: give exactly one of --t5 CKPT and --random CONFIG");
        if (!bench && (tokenizer == null || out == null || prompts.isEmpty()))
            throw new IllegalArgumentException("encode-prompt: --tokenizer, -o and at least one prompt are required "
                    + "(or --bench-tokens to time the encoder)");
        if (!List.of("auto", "bf16", "f32").contains(weights))
            throw new IllegalArgumentException("encode-prompt: --weights must be auto, bf16 or f32, got " + weights);
        try (Parallel par = threads == null ? Parallel.allCores() : new Parallel(threads)) {
            long t0 = System.nanoTime();
            T5Weights w = loadWeights(par);
            System.out.printf("encode-prompt: %s (%d layers, dim %d, vocab %d), matrices held in %s: %.2f GB, "
                            + "ready in %.1f s%n", checkpoint != null ? checkpoint.getFileName() : "random " + random,
                    w.config().numLayers(), w.config().dim(), w.config().vocabSize(), w.anyBf16() ? "bf16" : "f32",
                    w.bytes() / 1e9, (System.nanoTime() - t0) / 1e9);
            T5Encoder enc = new T5Encoder(w, T5Kernels.fast(par));
            if (bench) bench(enc);
            else encode(enc);
        }
        return 0;
    }

    private T5Weights loadWeights(Parallel par) throws IOException {
        if (random != null) {
            T5Config c = random.equals("xxl") ? T5Config.UMT5_XXL : T5Config.fromJson(Path.of(random));
            return T5Weights.random(c, 1, par, !weights.equals("f32"));
        }
        T5Weights w;
        try (var sd = UmT5Checkpoint.open(checkpoint)) {
            w = UmT5Checkpoint.load(sd, UmT5Checkpoint.inferConfig(sd),
                    weights.equals("f32") ? UmT5Checkpoint.Storage.FLOAT32 : UmT5Checkpoint.Storage.AS_STORED);
        }
        // bf16 from a float32 file rounds (lossy); from a bf16 file it is what was loaded.
        return weights.equals("bf16") ? w.toBf16() : w;
    }

    private void encode(T5Encoder enc) throws IOException {
        var tok = longlive.text.tokenizer.UnigramTokenizer.load(tokenizer, textLen);
        TextEncoder te = new TextEncoder(tok, enc, new PromptEmbeddingCache(prompts.size()));
        int p = prompts.size(), d = te.config().dim();
        float[] embeds = new float[p * textLen * d];
        long[] ids = new long[p * textLen], mask = new long[p * textLen];
        for (int i = 0; i < p; i++) {
            TokenizedPrompt tp = te.tokenizer().encode(prompts.get(i));
            System.arraycopy(tp.ids(), 0, ids, i * textLen, textLen);
            System.arraycopy(tp.mask(), 0, mask, i * textLen, textLen);
            long s = System.nanoTime();
            Tensor e = te.encode(prompts.get(i));
            System.arraycopy(e.data(), 0, embeds, i * textLen * d, textLen * d);
            System.out.printf("  prompt %d: %d tokens%s, %.2f s%n", i, tp.length(),
                    tp.truncated() ? " (TRUNCATED to " + textLen + ")" : "", (System.nanoTime() - s) / 1e9);
        }
        new SafeTensorsWriter().metadata("format", "pt")
                .add("prompt_embeds", Tensor.of(embeds, p, textLen, d))
                .addLongs("token_ids", ids, p, textLen)
                .addLongs("mask", mask, p, textLen)
                .write(out);
        System.out.println("encode-prompt: wrote " + out);
    }

    /** Times each length: one warm-up, then {@code repeat} timed runs; prints the times and the peak RSS. */
    private void bench(T5Encoder enc) {
        int vocab = enc.config().vocabSize();
        for (int real : benchTokens) {
            if (real < 1 || real > textLen)
                throw new IllegalArgumentException("encode-prompt: --bench-tokens " + real + " is outside [1, "
                        + textLen + "] (--text-len)");
            long[] ids = new long[textLen], mask = new long[textLen];
            for (int i = 0; i < real; i++) {
                ids[i] = 5 + (i * 7919L) % Math.max(1, vocab - 5); // spread over the table, like real ids
                mask[i] = 1;
            }
            ids[real - 1] = 1; // </s>
            long s = System.nanoTime();
            float[] o = enc.forward(ids, mask);
            double warm = (System.nanoTime() - s) / 1e9;
            List<String> times = new ArrayList<>();
            double sum = 0, cpu = 0, checksum = 0;
            for (int r = 0; r < repeat; r++) {
                long c0 = processCpuNanos();
                s = System.nanoTime();
                o = enc.forward(ids, mask);
                double t = (System.nanoTime() - s) / 1e9;
                cpu += (processCpuNanos() - c0) / 1e9;
                sum += t;
                times.add(String.format("%.2f", t));
            }
            for (int i = 0; i < real * enc.config().dim(); i += 97) checksum += o[i];
            // CPU seconds of the whole process (all threads): on a shared machine a steadier measure of the work
            // than wall time, which includes waiting for cores other processes hold.
            System.out.printf("bench: %3d real tokens (of %d): warm-up %.2f s, steady %s s (mean %.2f s, process CPU "
                    + "%.2f s per run); checksum %.6g%n", real, textLen, warm, String.join(" ", times),
                    sum / Math.max(1, repeat), cpu / Math.max(1, repeat), checksum);
        }
        System.out.println("bench: peak RSS (VmHWM) " + peakRss());
    }

    /** CPU time of the whole process (all threads), or 0 where the JVM does not report it. */
    private static long processCpuNanos() {
        return java.lang.management.ManagementFactory.getOperatingSystemMXBean()
                instanceof com.sun.management.OperatingSystemMXBean os ? Math.max(0, os.getProcessCpuTime()) : 0;
    }

    /** The process's peak resident set ({@code VmHWM} of /proc/self/status), or "n/a" off Linux. */
    static String peakRss() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status")))
                if (line.startsWith("VmHWM:")) {
                    long kb = Long.parseLong(line.replaceAll("[^0-9]", ""));
                    return String.format("%.2f GB", kb * 1024 / 1e9);
                }
        } catch (IOException | NumberFormatException e) {
            return "n/a (" + e.getMessage() + ")";
        }
        return "n/a";
    }
}
