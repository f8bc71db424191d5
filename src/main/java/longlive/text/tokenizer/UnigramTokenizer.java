package longlive.text.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * The umT5 tokenizer read from a Hugging Face {@code tokenizer.json} (SentencePiece Unigram), called the way Wan's
 * {@code HuggingfaceTokenizer} calls it: {@code clean='whitespace'}, special tokens added, truncated and padded to
 * {@code text_len} ({@code padding='max_length', truncation=True}).
 *
 * <p>Pipeline, as HF tokenizers runs it: special (added) tokens are cut out of the raw text first; each remaining
 * segment is normalized ({@link TextNormalizer}), pre-tokenized ({@link PreTokenizer}) and segmented by the
 * {@link Unigram} model; the ids are truncated to {@code text_len} minus the template's special tokens, the
 * post-processor template adds {@code </s>}, and {@code <pad>} fills the rest (mask 0).
 *
 * <p>Thread-safe after construction.
 */
public final class UnigramTokenizer {
    private final Unigram model;
    private final TextNormalizer normalizer;
    private final PreTokenizer preTokenizer;
    /** Added tokens, longest first (so matching picks the longest at a position), with their ids. */
    private final List<Map.Entry<String, Integer>> addedTokens;
    private final int[] prefixIds, suffixIds;
    private final int padId;
    private final int textLen;

    private UnigramTokenizer(Unigram model, TextNormalizer normalizer, PreTokenizer preTokenizer,
                             List<Map.Entry<String, Integer>> addedTokens, int[] prefixIds, int[] suffixIds, int padId,
                             int textLen) {
        if (textLen <= prefixIds.length + suffixIds.length)
            throw new IllegalArgumentException("tokenizer: text_len " + textLen + " leaves no room next to the "
                    + (prefixIds.length + suffixIds.length) + " special token(s) the template adds");
        this.model = model;
        this.normalizer = normalizer;
        this.preTokenizer = preTokenizer;
        this.addedTokens = addedTokens;
        this.prefixIds = prefixIds;
        this.suffixIds = suffixIds;
        this.padId = padId;
        this.textLen = textLen;
    }

    /** Reads {@code tokenizer.json}; sequences are padded / truncated to {@code textLen} tokens (Wan: 512). */
    public static UnigramTokenizer load(Path tokenizerJson, int textLen) throws IOException {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(Files.readAllBytes(tokenizerJson));
        } catch (IOException e) {
            throw new IOException(tokenizerJson + ": not readable JSON: " + e.getMessage(), e);
        }
        try {
            return fromJson(root, textLen);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(tokenizerJson + ": " + e.getMessage(), e);
        }
    }

    /** Builds the tokenizer from a parsed tokenizer.json (see {@link #load}). */
    public static UnigramTokenizer fromJson(JsonNode root, int textLen) {
        if (root == null || !root.isObject()) throw new IllegalArgumentException("tokenizer.json is not a JSON object");
        JsonNode m = root.get("model");
        if (m == null || !"Unigram".equals(m.path("type").asText()))
            throw new IllegalArgumentException("tokenizer.json: model type '" + (m == null ? null : m.path("type").asText())
                    + "' is not supported (only SentencePiece 'Unigram', as google/umt5-xxl uses)");
        JsonNode vocab = TokenizerJson.array(m, "vocab", "Unigram model");
        List<String> pieces = new ArrayList<>(vocab.size());
        double[] scores = new double[vocab.size()];
        for (int i = 0; i < vocab.size(); i++) {
            JsonNode e = vocab.get(i);
            if (!e.isArray() || e.size() != 2 || !e.get(0).isTextual() || !e.get(1).isNumber())
                throw new IllegalArgumentException("tokenizer.json: vocab entry " + i + " must be [piece, score], got " + e);
            pieces.add(e.get(0).asText());
            scores[i] = e.get(1).asDouble();
        }
        JsonNode unk = m.get("unk_id");
        if (unk == null || !unk.canConvertToInt())
            throw new IllegalArgumentException("tokenizer.json: Unigram model needs an integer 'unk_id', got " + unk);
        Unigram model = new Unigram(pieces, scores, unk.asInt(), m.path("byte_fallback").asBoolean(false));

        List<Map.Entry<String, Integer>> added = new ArrayList<>();
        JsonNode addedNode = root.get("added_tokens");
        if (addedNode != null && addedNode.isArray())
            for (JsonNode a : addedNode) added.add(Map.entry(TokenizerJson.text(a, "content", "added token"),
                    a.path("id").asInt()));
        added.sort(Comparator.comparingInt((Map.Entry<String, Integer> e) -> -e.getKey().length()));

        List<Integer> prefix = new ArrayList<>(), suffix = new ArrayList<>();
        parseTemplate(root.get("post_processor"), prefix, suffix);
        int padId = model.id("<pad>");
        if (padId < 0) throw new IllegalArgumentException("tokenizer.json: the vocabulary has no '<pad>' piece to pad with");
        return new UnigramTokenizer(model, TextNormalizer.fromJson(root.get("normalizer")),
                PreTokenizer.fromJson(root.get("pre_tokenizer")), List.copyOf(added),
                prefix.stream().mapToInt(Integer::intValue).toArray(), suffix.stream().mapToInt(Integer::intValue).toArray(),
                padId, textLen);
    }

    /** The special-token ids a {@code TemplateProcessing} single-sequence template puts before and after {@code $A}. */
    private static void parseTemplate(JsonNode pp, List<Integer> prefix, List<Integer> suffix) {
        if (pp == null || pp.isNull()) return;
        String type = TokenizerJson.text(pp, "type", "post_processor");
        if (!type.equals("TemplateProcessing"))
            throw new IllegalArgumentException("tokenizer.json: post_processor type '" + type
                    + "' is not supported (only TemplateProcessing)");
        boolean seenSequence = false;
        for (JsonNode item : TokenizerJson.array(pp, "single", "TemplateProcessing")) {
            if (item.has("Sequence")) {
                seenSequence = true;
                continue;
            }
            String id = TokenizerJson.text(item.path("SpecialToken"), "id", "TemplateProcessing item");
            JsonNode ids = pp.path("special_tokens").path(id).path("ids");
            if (!ids.isArray() || ids.isEmpty())
                throw new IllegalArgumentException("tokenizer.json: template special token '" + id + "' has no ids");
            for (JsonNode i : ids) (seenSequence ? suffix : prefix).add(i.asInt());
        }
    }

    public int textLen() {
        return textLen;
    }

    public int vocabSize() {
        return model.size();
    }

    /**
     * The ids of already-cleaned text, without special tokens, truncation or padding.
     */
    public List<Integer> tokenize(String text) {
        List<Integer> ids = new ArrayList<>();
        // HF's Metaspace "first" scheme prepends to the first segment it pre-tokenizes: the first non-empty text
        // between special tokens, even when the input starts with a special token.
        boolean[] first = {true};
        int segStart = 0;
        int i = 0;
        while (i < text.length()) {
            Map.Entry<String, Integer> hit = null;
            for (Map.Entry<String, Integer> a : addedTokens)
                if (text.startsWith(a.getKey(), i)) {
                    hit = a;
                    break;
                }
            if (hit == null) {
                i++;
                continue;
            }
            encodeSegment(text.substring(segStart, i), first, ids);
            ids.add(hit.getValue());
            i += hit.getKey().length();
            segStart = i;
        }
        encodeSegment(text.substring(segStart), first, ids);
        return ids;
    }

    private void encodeSegment(String segment, boolean[] first, List<Integer> ids) {
        if (segment.isEmpty()) return;
        for (String word : preTokenizer.split(normalizer.normalize(segment), first[0])) model.encode(word, ids);
        first[0] = false;
    }

    /** A prompt as the reference tokenizer returns it: cleaned, tokenized, {@code </s>} added, truncated, padded. */
    public TokenizedPrompt encode(String prompt) {
        return encodeCleaned(PromptCleaner.clean(prompt));
    }

    /** {@link #encode} without the cleaning step. */
    public TokenizedPrompt encodeCleaned(String text) {
        List<Integer> body = tokenize(text);
        int room = textLen - prefixIds.length - suffixIds.length;
        boolean truncated = body.size() > room;
        long[] ids = new long[textLen], mask = new long[textLen];
        int n = 0;
        for (int id : prefixIds) ids[n++] = id;
        for (int k = 0; k < Math.min(room, body.size()); k++) ids[n++] = body.get(k);
        for (int id : suffixIds) ids[n++] = id;
        for (int k = 0; k < n; k++) mask[k] = 1;
        for (int k = n; k < textLen; k++) ids[k] = padId;
        return new TokenizedPrompt(ids, mask, n, truncated);
    }
}
