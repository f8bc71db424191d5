package longlive.text.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * A tokenizer.json {@code pre_tokenizer}: splits a normalized segment into the words the model segments one by one.
 * Supported: {@code Metaspace} (both the legacy {@code add_prefix_space} and the newer {@code prepend_scheme} form),
 * {@code WhitespaceSplit} and {@code Sequence} of them.
 */
@FunctionalInterface
public interface PreTokenizer {

    /**
     * @param text         one normalized segment (text between special tokens)
     * @param firstSegment true for the segment that starts the input ({@code prepend_scheme: "first"} prepends only there)
     */
    List<String> split(String text, boolean firstSegment);

    /** Builds the pre-tokenizer of a tokenizer.json {@code pre_tokenizer} node (null: the whole segment is one word). */
    static PreTokenizer fromJson(JsonNode n) {
        if (n == null || n.isNull()) return (t, first) -> t.isEmpty() ? List.of() : List.of(t);
        String type = TokenizerJson.text(n, "type", "pre_tokenizer");
        switch (type) {
            case "Sequence" -> {
                List<PreTokenizer> parts = new ArrayList<>();
                for (JsonNode p : TokenizerJson.array(n, "pretokenizers", "Sequence pre_tokenizer")) parts.add(fromJson(p));
                return (t, first) -> {
                    List<String> words = List.of(t);
                    for (PreTokenizer p : parts) {
                        List<String> next = new ArrayList<>();
                        for (String w : words) next.addAll(p.split(w, first));
                        words = next;
                    }
                    return words;
                };
            }
            case "WhitespaceSplit" -> {
                return (t, first) -> {
                    List<String> out = new ArrayList<>();
                    for (String w : t.split("(?U)\\s+", -1)) if (!w.isEmpty()) out.add(w);
                    return out;
                };
            }
            case "Metaspace" -> {
                String rep = TokenizerJson.text(n, "replacement", "Metaspace pre_tokenizer");
                if (rep.codePointCount(0, rep.length()) != 1)
                    throw new IllegalArgumentException("tokenizer.json: Metaspace replacement must be one character, got '"
                            + rep + "'");
                String scheme;
                if (n.hasNonNull("prepend_scheme")) scheme = n.get("prepend_scheme").asText();
                else scheme = n.path("add_prefix_space").asBoolean(true) ? "always" : "never";
                if (!List.of("always", "first", "never").contains(scheme))
                    throw new IllegalArgumentException("tokenizer.json: Metaspace prepend_scheme '" + scheme
                            + "' is not one of always, first, never");
                boolean splitWords = n.path("split").asBoolean(true);
                return (t, first) -> metaspace(t, rep, scheme.equals("always") || (scheme.equals("first") && first),
                        splitWords);
            }
            default -> throw new IllegalArgumentException("tokenizer.json: pre_tokenizer type '" + type
                    + "' is not supported (supported: Metaspace, WhitespaceSplit, Sequence)");
        }
    }

    /**
     * HF {@code Metaspace}: spaces become the replacement, which is prepended to a non-empty segment that does not
     * start with it; then, if splitting, every replacement starts a new word (split "merged with next").
     */
    private static List<String> metaspace(String t, String rep, boolean prepend, boolean splitWords) {
        String s = t.replace(" ", rep);
        if (prepend && !s.isEmpty() && !s.startsWith(rep)) s = rep + s;
        if (s.isEmpty()) return List.of();
        if (!splitWords) return List.of(s);
        List<String> out = new ArrayList<>();
        int start = 0;
        for (int i = s.indexOf(rep, 1); i >= 0; i = s.indexOf(rep, i + rep.length())) {
            if (i > start) out.add(s.substring(start, i));
            start = i;
        }
        out.add(s.substring(start));
        return out;
    }
}
