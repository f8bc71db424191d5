package longlive.text;

import java.io.IOException;
import java.nio.file.Path;
import longlive.io.UmT5Checkpoint;
import longlive.tensor.Tensor;
import longlive.text.tokenizer.PromptCleaner;
import longlive.text.tokenizer.TokenizedPrompt;
import longlive.text.tokenizer.UnigramTokenizer;

/**
 * Prompt in, prompt embedding out: Wan's {@code WanTextEncoder} ({@code utils/wan_wrapper.py}): clean, tokenize to
 * {@code text_len} tokens with {@code </s>} and padding, run the umT5 encoder, zero the rows past the prompt's
 * length. Results are cached per cleaned prompt ({@link PromptEmbeddingCache}).
 */
public final class TextEncoder {
    /** Wan's {@code text_len}: prompts are padded / truncated to this many tokens. */
    public static final int WAN_TEXT_LEN = 512;

    private final UnigramTokenizer tokenizer;
    private final T5Encoder encoder;
    private final PromptEmbeddingCache cache;

    public TextEncoder(UnigramTokenizer tokenizer, T5Encoder encoder, PromptEmbeddingCache cache) {
        if (tokenizer.vocabSize() > encoder.config().vocabSize())
            throw new IllegalArgumentException("TextEncoder: the tokenizer has " + tokenizer.vocabSize()
                    + " pieces but the encoder's vocab_size is " + encoder.config().vocabSize());
        this.tokenizer = tokenizer;
        this.encoder = encoder;
        this.cache = cache;
    }

    /**
     * Loads the encoder weights ({@code models_t5_umt5-xxl-enc-bf16.pth} or a safetensors file; the architecture is
     * read off the tensor shapes) and {@code tokenizer.json}.
     */
    public static TextEncoder load(Path checkpoint, Path tokenizerJson, int textLen, T5Kernels kernels, int cacheSize)
            throws IOException {
        UnigramTokenizer tok = UnigramTokenizer.load(tokenizerJson, textLen);
        T5Weights w;
        try (var sd = UmT5Checkpoint.open(checkpoint)) {
            w = UmT5Checkpoint.load(sd, UmT5Checkpoint.inferConfig(sd));
        }
        return new TextEncoder(tok, new T5Encoder(w, kernels), new PromptEmbeddingCache(cacheSize));
    }

    public T5Config config() {
        return encoder.config();
    }

    public int textLen() {
        return tokenizer.textLen();
    }

    public UnigramTokenizer tokenizer() {
        return tokenizer;
    }

    public PromptEmbeddingCache cache() {
        return cache;
    }

    /**
     * The embedding of {@code prompt}: {@code [text_len, dim]}, rows from the prompt's token count on are zero
     * (what the DiT's cross-attention receives). Cached: a prompt seen before costs a copy.
     */
    public Tensor encode(String prompt) {
        return cache.get(PromptCleaner.clean(prompt), this::encodeCleaned);
    }

    private Tensor encodeCleaned(String cleaned) {
        TokenizedPrompt p = tokenizer.encodeCleaned(cleaned);
        return Tensor.of(encoder.forward(p.ids(), p.mask()), tokenizer.textLen(), encoder.config().dim());
    }
}
