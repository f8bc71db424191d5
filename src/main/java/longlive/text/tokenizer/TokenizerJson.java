package longlive.text.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;

/** Small accessors for tokenizer.json nodes that name the missing or mistyped field in their error. */
final class TokenizerJson {
    private TokenizerJson() {}

    static String text(JsonNode n, String field, String where) {
        JsonNode v = n.get(field);
        if (v == null || !v.isTextual())
            throw new IllegalArgumentException("tokenizer.json: " + where + " needs a string '" + field + "', got " + v);
        return v.asText();
    }

    static JsonNode array(JsonNode n, String field, String where) {
        JsonNode v = n.get(field);
        if (v == null || !v.isArray())
            throw new IllegalArgumentException("tokenizer.json: " + where + " needs an array '" + field + "', got "
                    + (v == null ? "nothing" : v.getNodeType()));
        return v;
    }
}
