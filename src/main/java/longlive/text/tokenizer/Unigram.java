package longlive.text.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A SentencePiece Unigram model as Hugging Face tokenizers runs it ({@code models::unigram}, the tokenizer.json
 * {@code "model": {"type": "Unigram"}}): the segmentation of a word is the Viterbi path maximising the sum of piece
 * log-probabilities. Where no piece starts with a character, that character becomes an unknown node scored
 * {@code min(score) - 10}; consecutive unknown characters are fused into one token, which with byte fallback is
 * emitted as its UTF-8 bytes {@code <0xNN>}, otherwise as {@code unk_id}.
 *
 * <p>Like HF (and unlike SentencePiece's own encoder), every vocabulary entry takes part in matching, control and
 * byte pieces included; ties keep the first path found, shorter pieces being tried first.
 */
public final class Unigram {
    /** HF's {@code K_UNK_PENALTY}. */
    private static final double UNK_PENALTY = 10.0;

    private final String[] pieces;
    private final double[] scores;
    private final Map<String, Integer> ids;
    private final int unkId;
    private final boolean byteFallback;
    private final int maxPieceChars;
    private final double unkScore;
    private final int[] byteIds;

    /**
     * @param pieces       the vocabulary, index = id
     * @param scores       log-probability per piece
     * @param unkId        id of the unknown piece
     * @param byteFallback true: unknown text becomes {@code <0xNN>} byte pieces (all 256 must exist)
     */
    public Unigram(List<String> pieces, double[] scores, int unkId, boolean byteFallback) {
        if (pieces.isEmpty()) throw new IllegalArgumentException("Unigram: empty vocabulary");
        if (scores.length != pieces.size())
            throw new IllegalArgumentException("Unigram: " + pieces.size() + " pieces but " + scores.length + " scores");
        if (unkId < 0 || unkId >= pieces.size())
            throw new IllegalArgumentException("Unigram: unk_id " + unkId + " outside the vocabulary of " + pieces.size());
        this.pieces = pieces.toArray(String[]::new);
        this.scores = scores.clone();
        this.unkId = unkId;
        this.byteFallback = byteFallback;
        this.ids = new HashMap<>(pieces.size() * 2);
        int maxChars = 1;
        double min = Double.POSITIVE_INFINITY;
        for (int i = 0; i < this.pieces.length; i++) {
            String p = this.pieces[i];
            if (p.isEmpty()) throw new IllegalArgumentException("Unigram: piece " + i + " is empty");
            // HF keeps the last id of a duplicated piece (its map is filled in order).
            ids.put(p, i);
            maxChars = Math.max(maxChars, p.codePointCount(0, p.length()));
            min = Math.min(min, scores[i]);
        }
        this.maxPieceChars = maxChars;
        this.unkScore = min - UNK_PENALTY;
        this.byteIds = new int[256];
        for (int b = 0; b < 256; b++) {
            Integer id = ids.get(String.format("<0x%02X>", b));
            byteIds[b] = id == null ? -1 : id;
        }
    }

    public int size() {
        return pieces.length;
    }

    public int unkId() {
        return unkId;
    }

    /** The id of {@code piece}, or -1. */
    public int id(String piece) {
        Integer id = ids.get(piece);
        return id == null ? -1 : id;
    }

    public String piece(int id) {
        return pieces[id];
    }

    /** Appends the ids of one pre-tokenized word to {@code out}. */
    public void encode(String word, List<Integer> out) {
        for (String token : segment(word)) {
            Integer id = ids.get(token);
            if (id != null) {
                out.add(id);
                continue;
            }
            if (byteFallback) {
                byte[] utf8 = token.getBytes(StandardCharsets.UTF_8);
                boolean all = true;
                for (byte b : utf8) all &= byteIds[b & 0xFF] >= 0;
                if (all) {
                    for (byte b : utf8) out.add(byteIds[b & 0xFF]);
                    continue;
                }
            }
            out.add(unkId);
        }
    }

    /** The best segmentation of {@code word} into token strings (unknown runs fused). */
    List<String> segment(String word) {
        int[] cps = word.codePoints().toArray();
        int n = cps.length;
        if (n == 0) return List.of();
        // Char offsets of each code point (to cut substrings), and the best path ending at each position.
        int[] at = new int[n + 1];
        for (int i = 0; i < n; i++) at[i + 1] = at[i] + Character.charCount(cps[i]);
        double[] best = new double[n + 1];
        int[] from = new int[n + 1];
        int[] tokenId = new int[n + 1];
        java.util.Arrays.fill(from, -1);
        best[0] = 0;
        for (int s = 0; s < n; s++) {
            if (s > 0 && from[s] < 0) continue; // unreachable (cannot happen: every position gets a node)
            boolean single = false;
            int maxLen = Math.min(maxPieceChars, n - s);
            for (int len = 1; len <= maxLen; len++) {
                Integer id = ids.get(word.substring(at[s], at[s + len]));
                if (id == null) continue;
                double cand = best[s] + scores[id];
                int e = s + len;
                if (from[e] < 0 || cand > best[e]) {
                    best[e] = cand;
                    from[e] = s;
                    tokenId[e] = id;
                }
                if (len == 1) single = true;
            }
            if (!single) {
                double cand = best[s] + unkScore;
                int e = s + 1;
                if (from[e] < 0 || cand > best[e]) {
                    best[e] = cand;
                    from[e] = s;
                    tokenId[e] = unkId;
                }
            }
        }
        List<String> rev = new ArrayList<>();
        StringBuilder unkRun = null;
        for (int e = n; e > 0; e = from[e]) {
            String tok = word.substring(at[from[e]], at[e]);
            if (tokenId[e] == unkId) {
                if (unkRun == null) unkRun = new StringBuilder();
                unkRun.insert(0, tok);
            } else {
                if (unkRun != null) {
                    rev.add(unkRun.toString());
                    unkRun = null;
                }
                rev.add(tok);
            }
        }
        if (unkRun != null) rev.add(unkRun.toString());
        java.util.Collections.reverse(rev);
        return rev;
    }
}
