package longlive.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import longlive.text.tokenizer.PromptCleaner;
import longlive.text.tokenizer.TokenizedPrompt;
import longlive.text.tokenizer.UnigramTokenizer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Java tokenizer against ids recorded from the reference tokenizers on the fixture of
 * {@code tools/tokenizer/} (a small SentencePiece Unigram model exported to tokenizer.json like google/umt5-xxl's):
 * {@code cases.json} holds SentencePiece's ids, {@code hf_cases.json} Hugging Face tokenizers' ids (what Wan runs).
 */
class UnigramTokenizerTest {
    static Path dir;
    static UnigramTokenizer tok;
    static JsonNode spm, hf;

    @BeforeAll
    static void load() throws Exception {
        URL u = UnigramTokenizerTest.class.getResource("/text/tokenizer/tokenizer.json");
        if (u == null) throw new AssertionError("test resource text/tokenizer/tokenizer.json is missing");
        dir = Path.of(u.toURI()).getParent();
        ObjectMapper om = new ObjectMapper();
        spm = om.readTree(Files.readAllBytes(dir.resolve("cases.json")));
        hf = om.readTree(Files.readAllBytes(dir.resolve("hf_cases.json")));
        tok = UnigramTokenizer.load(dir.resolve("tokenizer.json"), spm.get("text_len").asInt());
    }

    private static long[] longs(JsonNode a) {
        long[] out = new long[a.size()];
        for (int i = 0; i < out.length; i++) out[i] = a.get(i).asLong();
        return out;
    }

    @Test
    void cleaningMatchesTheReferenceCleaning() {
        for (JsonNode c : spm.get("cases"))
            assertEquals(c.get("cleaned").asText(), PromptCleaner.clean(c.get("prompt").asText()),
                    "prompt " + c.get("prompt"));
    }

    @Test
    void idsMatchSentencePiece() {
        int checked = 0, truncated = 0;
        List<String> failures = new ArrayList<>();
        for (JsonNode c : spm.get("cases")) {
            String text = c.get("cleaned").asText();
            if (text.contains("</s>") || text.contains("<pad>") || text.contains("<unk>")) continue; // see the HF test
            TokenizedPrompt p = tok.encodeCleaned(text);
            if (!java.util.Arrays.equals(longs(c.get("ids")), p.ids()))
                failures.add(text + "\n  want " + c.get("ids") + "\n  got  " + java.util.Arrays.toString(p.ids()));
            assertArrayEquals(longs(c.get("mask")), p.mask(), text);
            checked++;
            if (p.truncated()) truncated++;
        }
        assertTrue(failures.isEmpty(), failures.size() + " of " + checked + " prompts differ:\n" + String.join("\n", failures));
        assertTrue(checked >= 30 && truncated >= 10, checked + " prompts, " + truncated + " truncated");
    }

    @Test
    void idsMatchHuggingFaceIncludingSpecialTokensInText() {
        int checked = 0;
        for (JsonNode c : hf.get("cases")) {
            TokenizedPrompt p = tok.encodeCleaned(c.get("cleaned").asText());
            assertArrayEquals(longs(c.get("ids")), p.ids(), c.get("cleaned").asText());
            assertArrayEquals(longs(c.get("mask")), p.mask(), c.get("cleaned").asText());
            checked++;
        }
        assertEquals(spm.get("cases").size(), checked);
    }

    @Test
    void newerTokenizerJsonLayoutGivesTheSameIds() throws Exception {
        // transformers >= 4.4x writes Metaspace with prepend_scheme/split and a Strip + Replace(" {2,}", "▁")
        // normalizer tail; on cleaned prompts (single spaces, stripped) the ids must not change.
        com.fasterxml.jackson.databind.node.ObjectNode root = (com.fasterxml.jackson.databind.node.ObjectNode)
                new ObjectMapper().readTree(Files.readAllBytes(dir.resolve("tokenizer.json")));
        var norms = (com.fasterxml.jackson.databind.node.ArrayNode) root.get("normalizer").get("normalizers");
        norms.remove(1);
        norms.addObject().put("type", "Strip").put("strip_left", false).put("strip_right", true);
        var rep = norms.addObject().put("type", "Replace").put("content", "\u2581");
        rep.putObject("pattern").put("Regex", " {2,}");
        root.putObject("pre_tokenizer").put("type", "Metaspace").put("replacement", "\u2581")
                .put("prepend_scheme", "always").put("split", true);
        UnigramTokenizer newer = UnigramTokenizer.fromJson(root, tok.textLen());
        for (JsonNode c : hf.get("cases"))
            // Not next to special tokens: there Strip removes the segment's trailing space, a real difference.
            if (!c.get("cleaned").asText().contains("</s>")) assertArrayEquals(longs(c.get("ids")), newer.encodeCleaned(c.get("cleaned").asText()).ids(),
                    c.get("cleaned").asText());
    }

    @Test
    void withoutByteFallbackUnknownRunsBecomeOneUnk() throws Exception {
        // transformers' T5 converter writes byte_fallback false: a run of unknown characters is one <unk>.
        // Expected ids printed by HF tokenizers (DJL 0.33.0) on this tokenizer.json with byte_fallback false.
        com.fasterxml.jackson.databind.node.ObjectNode root = (com.fasterxml.jackson.databind.node.ObjectNode)
                new ObjectMapper().readTree(Files.readAllBytes(dir.resolve("tokenizer.json")));
        ((com.fasterxml.jackson.databind.node.ObjectNode) root.get("model")).put("byte_fallback", false);
        UnigramTokenizer noFallback = UnigramTokenizer.fromJson(root, 20);
        assertArrayEquals(new long[] {260, 3, 289, 261, 286, 379, 397, 435, 288, 260, 3, 260, 3, 260, 261, 420, 1, 0, 0, 0},
                noFallback.encodeCleaned("Rare scripts \u16a0\u16c7\u16bb \ua997\ua9ae end").ids());
        assertArrayEquals(new long[] {260, 574, 360, 264, 545, 307, 260, 3, 260, 322, 1},
                java.util.Arrays.copyOf(noFallback.encodeCleaned("Emoji \uD83E\uDD8A\uD83D\uDD25 x").ids(), 11));
        assertArrayEquals(new long[] {470, 561, 3, 468, 467, 3, 1},
                java.util.Arrays.copyOf(noFallback.encodeCleaned("\u4e00\u53ea\u7ea2\u8272\u7684\u72d0\u72f8").ids(), 7));
    }

    @Test
    void paddingTruncationAndEos() {
        TokenizedPrompt empty = tok.encode("   ");
        assertEquals(1, empty.length()); // only </s>
        assertEquals(1, empty.ids()[0]);
        for (int i = 1; i < tok.textLen(); i++) assertEquals(0, empty.ids()[i]);
        TokenizedPrompt longer = tok.encode("x ".repeat(100));
        assertTrue(longer.truncated());
        assertEquals(tok.textLen(), longer.length());
        assertEquals(1, longer.ids()[tok.textLen() - 1]); // </s> survives truncation
    }

    @Test
    void htmlUnescapeFollowsPython() {
        // Expected values printed by Python 3.11's html.unescape.
        assertEquals("\uFFFD \u20AC \uFFFD \uFFFD \u0081 & &x \u00ACin \u00ACit; A Ax",
                PromptCleaner.htmlUnescape("&#0; &#x80; &#xD800; &#x110000; &#129; &amp &ampx &notin &notit; &#65 &#x41x"));
        assertEquals("caf\u00e9 \u2209 &bogus; \uD83D\uDE00", PromptCleaner.htmlUnescape("caf&eacute; &notin; &bogus; &#x1F600;"));
    }

    @Test
    void badTokenizerFilesAreRefusedClearly(@TempDir Path tmp) throws Exception {
        Path bpe = tmp.resolve("bpe.json");
        Files.writeString(bpe, "{\"model\": {\"type\": \"BPE\", \"vocab\": {}}}");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> UnigramTokenizer.load(bpe, 8));
        assertTrue(e.getMessage().contains("BPE") && e.getMessage().contains("Unigram"), e.getMessage());
        Path norm = tmp.resolve("norm.json");
        Files.writeString(norm, "{\"normalizer\": {\"type\": \"BertNormalizer\"}, \"model\": {\"type\": \"Unigram\","
                + " \"unk_id\": 0, \"vocab\": [[\"<pad>\", 0.0], [\"a\", -1.0]]}}");
        e = assertThrows(IllegalArgumentException.class, () -> UnigramTokenizer.load(norm, 8));
        assertTrue(e.getMessage().contains("BertNormalizer"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> UnigramTokenizer.load(dir.resolve("tokenizer.json"), 1));
        assertTrue(e.getMessage().contains("text_len 1"), e.getMessage());
    }
}
