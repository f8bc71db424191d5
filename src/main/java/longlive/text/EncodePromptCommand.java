package longlive.text;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import longlive.io.SafeTensorsWriter;
import longlive.kernel.Parallel;
import longlive.tensor.Tensor;
import longlive.text.tokenizer.TokenizedPrompt;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code longlive encode-prompt --t5 CKPT --tokenizer tokenizer.json -o OUT "prompt" ...}: runs Wan's text encoder
 * and writes the embeddings in the layout the replay cases use ({@code prompt_embeds [P, text_len, dim]}).
 */
@Command(name = "encode-prompt", mixinStandardHelpOptions = true,
        description = {"Encodes prompts with the umT5 text encoder (as Wan's WanTextEncoder) and writes",
                "'prompt_embeds' f32 [P, text_len, dim] (rows past each prompt's length zero), 'token_ids' and",
                "'mask' i64 [P, text_len]. See docs/text.md."})
public final class EncodePromptCommand implements Callable<Integer> {
    @Option(names = "--t5", required = true, paramLabel = "CKPT",
            description = "encoder weights: models_t5_umt5-xxl-enc-bf16.pth or a .safetensors with the same keys")
    Path checkpoint;

    @Option(names = "--tokenizer", required = true, paramLabel = "JSON",
            description = "tokenizer.json of google/umt5-xxl (Hugging Face format)")
    Path tokenizer;

    @Option(names = {"-o", "--out"}, required = true, paramLabel = "OUT", description = "output .safetensors file")
    Path out;

    @Option(names = "--text-len", defaultValue = "512", description = "tokens per prompt after padding / truncation (default: ${DEFAULT-VALUE}, Wan's)")
    int textLen;

    @Option(names = "--threads", description = "worker threads (default: all cores)")
    Integer threads;

    @Parameters(arity = "1..*", paramLabel = "PROMPT", description = "one or more prompts")
    List<String> prompts;

    @Override
    public Integer call() throws Exception {
        try (Parallel par = threads == null ? Parallel.allCores() : new Parallel(threads)) {
            long t0 = System.nanoTime();
            TextEncoder te = TextEncoder.load(checkpoint, tokenizer, textLen, T5Kernels.fast(par), prompts.size());
            System.out.printf("encode-prompt: loaded %s (%d layers, dim %d) and %d-piece tokenizer in %.1f s%n",
                    checkpoint.getFileName(), te.config().numLayers(), te.config().dim(), te.tokenizer().vocabSize(),
                    (System.nanoTime() - t0) / 1e9);
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
        return 0;
    }
}
