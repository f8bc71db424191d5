package longlive.text.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A tokenizer.json {@code normalizer}: the text transformation applied to each segment before pre-tokenization.
 * The types SentencePiece conversions produce are supported ({@code Sequence}, {@code Precompiled},
 * {@code Replace}, {@code Strip}, {@code NFC/NFD/NFKC/NFKD}, {@code Lowercase}, {@code Prepend}); any other type is
 * refused by name rather than silently skipped.
 */
@FunctionalInterface
public interface TextNormalizer {
    String normalize(String text);

    /** The identity (a tokenizer.json {@code "normalizer": null}). */
    static TextNormalizer identity() {
        return t -> t;
    }

    /** Builds the normalizer described by a tokenizer.json {@code normalizer} node (null or JSON null: identity). */
    static TextNormalizer fromJson(JsonNode n) {
        if (n == null || n.isNull()) return identity();
        String type = TokenizerJson.text(n, "type", "normalizer");
        switch (type) {
            case "Sequence" -> {
                List<TextNormalizer> parts = new ArrayList<>();
                for (JsonNode p : TokenizerJson.array(n, "normalizers", "Sequence normalizer")) parts.add(fromJson(p));
                return t -> {
                    for (TextNormalizer p : parts) t = p.normalize(t);
                    return t;
                };
            }
            case "Precompiled" -> {
                JsonNode map = n.get("precompiled_charsmap");
                byte[] blob = map == null || map.isNull() ? new byte[0] : Base64.getDecoder().decode(map.asText());
                return new PrecompiledCharsMap(blob)::normalize;
            }
            case "Replace" -> {
                JsonNode pat = n.get("pattern");
                String content = TokenizerJson.text(n, "content", "Replace normalizer");
                if (pat == null) throw new IllegalArgumentException("tokenizer.json: Replace normalizer without 'pattern'");
                Pattern p;
                if (pat.has("Regex")) p = Pattern.compile(pat.get("Regex").asText());
                else if (pat.has("String")) p = Pattern.compile(Pattern.quote(pat.get("String").asText()));
                else throw new IllegalArgumentException("tokenizer.json: Replace pattern must be String or Regex, got " + pat);
                String repl = Matcher.quoteReplacement(content);
                return t -> p.matcher(t).replaceAll(repl);
            }
            case "Strip" -> {
                boolean left = n.path("strip_left").asBoolean(true), right = n.path("strip_right").asBoolean(true);
                return t -> left && right ? t.strip() : left ? t.stripLeading() : right ? t.stripTrailing() : t;
            }
            case "NFC" -> {
                return t -> Normalizer.normalize(t, Normalizer.Form.NFC);
            }
            case "NFD" -> {
                return t -> Normalizer.normalize(t, Normalizer.Form.NFD);
            }
            case "NFKC" -> {
                return t -> Normalizer.normalize(t, Normalizer.Form.NFKC);
            }
            case "NFKD" -> {
                return t -> Normalizer.normalize(t, Normalizer.Form.NFKD);
            }
            case "Lowercase" -> {
                return t -> t.toLowerCase(Locale.ROOT);
            }
            case "Prepend" -> {
                String pre = TokenizerJson.text(n, "prepend", "Prepend normalizer");
                return t -> t.isEmpty() ? t : pre + t;
            }
            default -> throw new IllegalArgumentException("tokenizer.json: normalizer type '" + type
                    + "' is not supported (supported: Sequence, Precompiled, Replace, Strip, NFC, NFD, NFKC, NFKD, "
                    + "Lowercase, Prepend)");
        }
    }
}
