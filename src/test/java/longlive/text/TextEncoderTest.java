package longlive.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import longlive.io.UmT5Checkpoint;
import longlive.kernel.Parallel;
import longlive.tensor.Tensor;
import longlive.text.tokenizer.TokenizedPrompt;
import longlive.text.tokenizer.UnigramTokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Prompt -> embedding through tokenizer, encoder and cache. */
class TextEncoderTest {
    /** Big enough for the fixture tokenizer's 700 pieces. */
    static final T5Config CONFIG = new T5Config(700, 32, 24, 48, 3, 2, 16, false);

    static Path tokenizerJson() throws Exception {
        return Path.of(TextEncoderTest.class.getResource("/text/tokenizer/tokenizer.json").toURI());
    }

    @Test
    void encodesLikeTokenizerPlusEncoderAndZeroesPadding() throws Exception {
        UnigramTokenizer tok = UnigramTokenizer.load(tokenizerJson(), 24);
        T5Encoder enc = new T5Encoder(T5Weights.random(CONFIG, 3, Parallel.serial()), T5Kernels.scalar(Parallel.serial()));
        TextEncoder te = new TextEncoder(tok, enc, new PromptEmbeddingCache(4));
        Tensor e = te.encode("A red fox running through a snowy forest.");
        assertArrayEquals(new int[] {24, 32}, e.shape());
        TokenizedPrompt p = tok.encode("A red fox running through a snowy forest.");
        assertArrayEquals(enc.forward(p.ids(), p.mask()), e.data());
        assertTrue(p.length() < 24);
        for (int i = p.length() * 32; i < 24 * 32; i++) assertEquals(0f, e.data()[i]);
        for (int t = 0; t < p.length(); t++) assertNotEquals(0f, e.data()[t * 32]);
    }

    @Test
    void cacheHitsCostNoEncoderPassAndHandOutCopies() throws Exception {
        UnigramTokenizer tok = UnigramTokenizer.load(tokenizerJson(), 16);
        T5Encoder enc = new T5Encoder(T5Weights.random(CONFIG, 4, Parallel.serial()), T5Kernels.scalar(Parallel.serial()));
        TextEncoder te = new TextEncoder(tok, enc, new PromptEmbeddingCache(2));
        Tensor a = te.encode("a cat");
        Tensor again = te.encode("  a \n cat "); // cleans to the same text
        assertEquals(1, te.cache().misses());
        assertEquals(1, te.cache().hits());
        assertArrayEquals(a.data(), again.data());
        again.data()[0] += 1; // a caller writing into its copy does not change the cache
        assertArrayEquals(a.data(), te.encode("a cat").data());
        te.encode("two cats");
        te.encode("a dog"); // capacity 2: evicts the least recently used ("a cat" was used last before "two cats")
        assertFalse(te.cache().contains("a cat"));
        assertTrue(te.cache().contains("two cats") && te.cache().contains("a dog"));
        assertEquals(2, te.cache().size());
    }

    @Test
    void cacheComputesOncePerKey() {
        PromptEmbeddingCache cache = new PromptEmbeddingCache(3);
        AtomicInteger calls = new AtomicInteger();
        for (int i = 0; i < 5; i++) cache.get("p", k -> {
            calls.incrementAndGet();
            return Tensor.of(new float[] {1, 2}, 2);
        });
        assertEquals(1, calls.get());
        assertThrows(IllegalArgumentException.class, () -> new PromptEmbeddingCache(0));
    }

    @Test
    void loadsCheckpointAndTokenizerFromFiles(@TempDir Path tmp) throws Exception {
        T5Weights w = T5Weights.random(CONFIG, 5, Parallel.serial());
        Path f = tmp.resolve("umt5.safetensors");
        UmT5Checkpoint.save(w, f);
        try (Parallel par = new Parallel(2)) {
            TextEncoder te = TextEncoder.load(f, tokenizerJson(), 20, T5Kernels.fast(par), 8);
            assertEquals(CONFIG, te.config());
            TextEncoder ref = new TextEncoder(UnigramTokenizer.load(tokenizerJson(), 20),
                    new T5Encoder(w, T5Kernels.scalar(Parallel.serial())), new PromptEmbeddingCache(1));
            float[] fast = te.encode("Der alte Mann geht am Strand.").data();
            float[] scalar = ref.encode("Der alte Mann geht am Strand.").data();
            double maxDiff = 0, maxRef = 0;
            for (int i = 0; i < fast.length; i++) {
                maxDiff = Math.max(maxDiff, Math.abs(fast[i] - scalar[i]));
                maxRef = Math.max(maxRef, Math.abs(scalar[i]));
            }
            assertTrue(maxDiff / maxRef < 1e-5, "fast vs scalar kernels: " + maxDiff / maxRef);
        }
        // A tokenizer bigger than the model's vocabulary is refused up front.
        T5Config small = new T5Config(100, 32, 24, 48, 3, 1, 16, false);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new TextEncoder(
                UnigramTokenizer.load(tokenizerJson(), 20),
                new T5Encoder(T5Weights.random(small, 1, Parallel.serial()), T5Kernels.scalar(Parallel.serial())),
                new PromptEmbeddingCache(1)));
        assertTrue(e.getMessage().contains("700 pieces") && e.getMessage().contains("100"), e.getMessage());
    }
}
