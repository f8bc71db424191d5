package longlive.text.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Ids back to text for a SentencePiece-Unigram {@code tokenizer.json} with a {@code Metaspace} decoder (what HF's
 * {@code decode(ids, skip_special_tokens=True)} does for umT5): special tokens dropped, runs of {@code <0xNN>} byte
 * pieces joined and read as UTF-8, {@code ▁} read as a space, the one space the pre-tokenizer prepended removed.
 * Used to check that a tokenizer round-trips and to print what a prompt was cut into.
 */
public final class PieceDecoder {
    private final List<String> pieces;
    private final Set<Integer> special;

    public PieceDecoder(List<String> pieces, Set<Integer> specialIds) {
        this.pieces = List.copyOf(pieces);
        this.special = Set.copyOf(specialIds);
    }

    /** Reads the vocabulary and the special tokens ({@code added_tokens} with {@code special: true}). */
    public static PieceDecoder load(Path tokenizerJson) throws IOException {
        JsonNode root = new ObjectMapper().readTree(Files.readAllBytes(tokenizerJson));
        List<String> pieces = new ArrayList<>();
        for (JsonNode e : TokenizerJson.array(root.path("model"), "vocab", "Unigram model")) pieces.add(e.get(0).asText());
        Set<Integer> special = new HashSet<>();
        for (JsonNode a : root.path("added_tokens")) if (a.path("special").asBoolean(false)) special.add(a.path("id").asInt());
        return new PieceDecoder(pieces, special);
    }

    public String piece(int id) {
        return pieces.get(id);
    }

    /** The pieces of {@code ids} (special ones included), for printing. */
    public List<String> pieces(long[] ids, int length) {
        List<String> out = new ArrayList<>(length);
        for (int i = 0; i < length; i++) out.add(pieces.get((int) ids[i]));
        return out;
    }

    /** Decodes the first {@code length} ids. */
    public String decode(long[] ids, int length) {
        StringBuilder sb = new StringBuilder();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (int i = 0; i < length; i++) {
            int id = (int) ids[i];
            if (special.contains(id)) continue;
            String p = pieces.get(id);
            if (p.length() == 6 && p.startsWith("<0x") && p.endsWith(">")) {
                bytes.write(Integer.parseInt(p.substring(3, 5), 16));
                continue;
            }
            flush(bytes, sb);
            sb.append(p);
        }
        flush(bytes, sb);
        String text = sb.toString().replace(CaptionTokenizerBuilder.META, " ");
        return text.startsWith(" ") ? text.substring(1) : text;
    }

    private static void flush(ByteArrayOutputStream bytes, StringBuilder sb) {
        if (bytes.size() == 0) return;
        sb.append(new String(bytes.toByteArray(), StandardCharsets.UTF_8));
        bytes.reset();
    }
}
