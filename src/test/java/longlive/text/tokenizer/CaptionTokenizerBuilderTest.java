package longlive.text.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The caption tokenizer: built from one seed's captions, checked on another seed's (held out). */
class CaptionTokenizerBuilderTest {
    private static final int TRAIN_SCRIPTS = 300, HELD_OUT_SCRIPTS = 150;
    private static final long HELD_OUT_SEED = 9_000_001L;

    @TempDir
    static Path tmp;
    static Path json;
    static CaptionTokenizerBuilder.Vocabulary vocab;
    static UnigramTokenizer tok;
    static PieceDecoder dec;

    @BeforeAll
    static void build() throws Exception {
        json = tmp.resolve("tokenizer.json");
        vocab = CaptionTokenizerBuilder.buildWorldTokenizer(1, TRAIN_SCRIPTS, json);
        tok = UnigramTokenizer.load(json, 64);
        dec = PieceDecoder.load(json);
    }

    @Test
    void specialsAndBytesSitWhereUmT5HasThem() {
        assertEquals(List.of("<pad>", "</s>", "<unk>"), vocab.pieces().subList(0, 3));
        assertEquals("<0x00>", vocab.pieces().get(3));
        assertEquals("<0xFF>", vocab.pieces().get(258));
        assertEquals(vocab.size(), tok.vocabSize());
        // Learned pieces are sorted most probable first, and all probabilities are proper logs.
        for (int i = 260; i < vocab.size(); i++) {
            assertTrue(vocab.scores()[i] <= vocab.scores()[i - 1], "order at " + i);
            assertTrue(vocab.scores()[i] < 0);
        }
        assertTrue(vocab.size() < 2000, "vocabulary of " + vocab.size());
    }

    @Test
    void heldOutCaptionsTokenizeIntoWholeWordsAndRoundTrip() {
        List<String> held = WorldCaptions.sample(HELD_OUT_SEED, HELD_OUT_SCRIPTS);
        int max = 0, within32 = 0;
        for (String c : held) {
            TokenizedPrompt t = tok.encode(c);
            assertFalse(t.truncated(), c);
            max = Math.max(max, t.length());
            if (t.length() <= 32) within32++;
            assertEquals(CaptionTokenizerBuilder.EOS_ID, t.ids()[t.length() - 1]);
            for (int i = 0; i < t.length(); i++) {
                int id = (int) t.ids()[i];
                assertNotEquals(CaptionTokenizerBuilder.UNK_ID, id, c);
                String p = dec.piece(id);
                // No word of a caption is spelled out: every letter sits in a piece of two or more letters.
                if (p.codePointCount(0, p.length()) == 1)
                    assertFalse(Character.isLetterOrDigit(p.codePointAt(0)) || p.equals(CaptionTokenizerBuilder.META),
                            "caption spelled out as characters: " + dec.pieces(t.ids(), t.length()) + " for " + c);
            }
            assertEquals(PromptCleaner.clean(c), dec.decode(t.ids(), t.length()));
        }
        System.out.printf("caption tokenizer: vocab %d, held-out captions %d, max tokens %d (</s> included), "
                + "%.1f%% within 32%n", vocab.size(), held.size(), max, 100.0 * within32 / held.size());
        assertTrue(max <= 64, "max " + max);
    }

    @Test
    void unseenWordsFallBackToCharactersAndBytesNeverUnk() {
        TokenizedPrompt t = tok.encode("a zebra over a qux!");
        List<String> pieces = dec.pieces(t.ids(), t.length());
        assertEquals(List.of("▁a", "▁", "z", "e", "b", "r", "a", "▁over", "▁a", "▁", "q", "u", "x", "!", "</s>"), pieces);
        // Outside printable ASCII: UTF-8 bytes (byte fallback), still no <unk>, still round-trips.
        TokenizedPrompt u = tok.encode("a café circle ✨");
        for (int i = 0; i < u.length(); i++) assertNotEquals(CaptionTokenizerBuilder.UNK_ID, (int) u.ids()[i]);
        assertTrue(dec.pieces(u.ids(), u.length()).contains("<0xC3>"), dec.pieces(u.ids(), u.length()).toString());
        assertEquals("a café circle ✨", dec.decode(u.ids(), u.length()));
    }

    @Test
    void withoutByteFallbackUnknownCharactersAreUnk() {
        var v = CaptionTokenizerBuilder.build(List.of("a red circle", "a red circle"),
                new CaptionTokenizerBuilder.Options(1, false, "", 2));
        assertEquals(List.of("<pad>", "</s>", "<unk>"), v.pieces().subList(0, 3));
        assertFalse(v.pieces().contains("<0x00>"));
        var tk = UnigramTokenizer.fromJson(CaptionTokenizerBuilder.tokenizerJson(v), 8);
        long[] ids = tk.encode("a blue circle").ids();
        List<String> p = new ArrayList<>();
        for (int i = 0; i < 6; i++) p.add(v.pieces().get((int) ids[i]));
        // 'b' and 'u' were never seen: unknown tokens; 'l' and 'e' are known characters (from "circle").
        assertEquals(List.of("▁a", "▁", "<unk>", "l", "<unk>", "e"), p);
    }

    @Test
    void sameStructureAsTheUmT5StandIn() throws Exception {
        URL u = CaptionTokenizerBuilderTest.class.getResource("/text/tokenizer/tokenizer.json");
        JsonNode ref = new ObjectMapper().readTree(Files.readAllBytes(Path.of(u.toURI())));
        JsonNode ours = new ObjectMapper().readTree(Files.readAllBytes(json));
        for (String k : List.of("version", "truncation", "padding", "normalizer", "pre_tokenizer", "post_processor",
                "decoder"))
            assertEquals(ref.get(k), ours.get(k), k);
        assertEquals("Unigram", ours.path("model").path("type").asText());
        assertEquals(2, ours.path("model").path("unk_id").asInt());
        assertTrue(ours.path("model").path("byte_fallback").asBoolean());
        for (JsonNode a : ours.get("added_tokens")) {
            assertTrue(a.get("special").asBoolean());
            assertEquals(vocab.pieces().get(a.get("id").asInt()), a.get("content").asText());
        }
    }

    @Test
    void deterministicAndChunking() throws Exception {
        Path a = tmp.resolve("a.json"), b = tmp.resolve("b.json");
        CaptionTokenizerBuilder.buildWorldTokenizer(5, 60, a);
        CaptionTokenizerBuilder.buildWorldTokenizer(5, 60, b);
        assertEquals(-1, Files.mismatch(a, b));
        assertEquals(List.of("▁red", "/", "blue"), CaptionTokenizerBuilder.chunks("▁red/blue"));
        assertEquals(List.of("▁background", "."), CaptionTokenizerBuilder.chunks("▁background."));
        assertEquals(List.of("▁(", "red", ")"), CaptionTokenizerBuilder.chunks("▁(red)"));
        assertEquals("▁snow-white", CaptionTokenizerBuilder.compound("▁snow-white,"));
        assertEquals(null, CaptionTokenizerBuilder.compound("▁red-to-navy"));
        assertTrue(Set.copyOf(vocab.pieces()).containsAll(List.of("▁snow-white", "▁five-pointed", "▁medium-sized")));
    }
}
