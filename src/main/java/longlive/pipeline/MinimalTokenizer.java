package longlive.pipeline;

/**
 * A byte-level SentencePiece-style {@code tokenizer.json} for random-weight models: {@code <pad>}, {@code </s>},
 * {@code <unk>}, the 256 byte pieces {@code <0xNN>} and the printable ASCII characters (with and without the
 * {@code ▁} word prefix). Any text tokenizes (byte fallback), so the real umT5 tokenizer is not needed to test
 * the pipeline. Ids are the umT5 special ids (pad 0, eos 1, unk 2).
 */
final class MinimalTokenizer {
    static final int VOCAB_SIZE = 3 + 256 + 2 * 95 + 1;

    private MinimalTokenizer() {
    }

    static String json() {
        StringBuilder v = new StringBuilder();
        v.append("[[\"<pad>\",0.0],[\"</s>\",0.0],[\"<unk>\",0.0]");
        for (int b = 0; b < 256; b++) v.append(String.format(",[\"<0x%02X>\",0.0]", b));
        v.append(",[\"\u2581\",-2.0]");
        for (char c = 32; c < 127; c++) {
            String s = c == '"' ? "\\\"" : c == '\\' ? "\\\\" : String.valueOf(c);
            v.append(",[\"").append(s).append("\",-3.0]");
            v.append(",[\"\u2581").append(s).append("\",-2.5]");
        }
        v.append("]");
        return "{\"version\":\"1.0\",\"added_tokens\":[{\"id\":0,\"content\":\"<pad>\",\"special\":true},"
                + "{\"id\":1,\"content\":\"</s>\",\"special\":true},{\"id\":2,\"content\":\"<unk>\",\"special\":true}],"
                + "\"normalizer\":null,"
                + "\"pre_tokenizer\":{\"type\":\"Metaspace\",\"replacement\":\"\u2581\",\"prepend_scheme\":\"always\","
                + "\"split\":true},"
                + "\"post_processor\":{\"type\":\"TemplateProcessing\",\"single\":[{\"Sequence\":{\"id\":\"A\",\"type_id\":0}},"
                + "{\"SpecialToken\":{\"id\":\"</s>\",\"type_id\":0}}],\"pair\":[],\"special_tokens\":{\"</s>\":"
                + "{\"id\":\"</s>\",\"ids\":[1],\"tokens\":[\"</s>\"]}}},"
                + "\"model\":{\"type\":\"Unigram\",\"unk_id\":2,\"vocab\":" + v + ",\"byte_fallback\":true}}";
    }
}
