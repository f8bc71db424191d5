package longlive.text.tokenizer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.text.BreakIterator;

/**
 * SentencePiece's precompiled normalization map ({@code normalizer_spec.precompiled_charsmap}, the
 * {@code Precompiled} normalizer of a tokenizer.json): a Darts-clone double-array trie over UTF-8 byte strings whose
 * values point into a blob of NUL-terminated replacement strings.
 *
 * <p>Blob layout: {@code uint32 LE trieBytes}, the trie ({@code trieBytes / 4} uint32 LE units), the replacements.
 *
 * <p>{@link #normalize} mirrors Hugging Face tokenizers' {@code Precompiled} normalizer (what the reference runs),
 * not SentencePiece's own loop: the text is walked grapheme by grapheme; a grapheme shorter than 6 UTF-8 bytes is
 * first looked up whole, otherwise (or if that finds nothing) each of its characters is looked up alone. A lookup
 * takes the SHORTEST trie key that is a prefix of the looked-up bytes, as HF does.
 */
public final class PrecompiledCharsMap {
    private final int[] units;
    private final byte[] normalized;

    /** Parses a charsmap blob; an empty blob gives the identity map. */
    public PrecompiledCharsMap(byte[] blob) {
        if (blob.length == 0) {
            units = new int[0];
            normalized = new byte[0];
            return;
        }
        if (blob.length < 4) throw new IllegalArgumentException("precompiled_charsmap: " + blob.length + " bytes, too short");
        ByteBuffer bb = ByteBuffer.wrap(blob).order(ByteOrder.LITTLE_ENDIAN);
        long trieBytes = Integer.toUnsignedLong(bb.getInt());
        if (trieBytes % 4 != 0 || trieBytes > blob.length - 4)
            throw new IllegalArgumentException("precompiled_charsmap: trie size " + trieBytes + " does not fit the "
                    + blob.length + "-byte blob");
        units = new int[(int) (trieBytes / 4)];
        for (int i = 0; i < units.length; i++) units[i] = bb.getInt();
        normalized = new byte[blob.length - 4 - (int) trieBytes];
        bb.get(normalized);
    }

    // Darts-clone unit fields.
    private static boolean hasLeaf(int unit) {
        return ((unit >>> 8) & 1) == 1;
    }

    private static int value(int unit) {
        return unit & 0x7FFFFFFF;
    }

    private static int label(int unit) {
        return unit & (0x80000000 | 0xFF);
    }

    private static int offset(int unit) {
        return (unit >>> 10) << ((unit & (1 << 9)) >>> 6);
    }

    /**
     * The replacement of the shortest trie key that prefixes {@code key[from, to)}, or null when none does.
     */
    String transform(byte[] key, int from, int to) {
        if (units.length == 0) return null;
        int pos = 0;
        int unit = units[pos];
        pos ^= offset(unit);
        for (int i = from; i < to; i++) {
            int c = key[i] & 0xFF;
            if (c == 0) break;
            pos ^= c;
            if (pos < 0 || pos >= units.length) return null;
            unit = units[pos];
            if (label(unit) != c) return null;
            pos ^= offset(unit);
            if (pos < 0 || pos >= units.length) return null;
            if (hasLeaf(unit)) return replacement(value(units[pos]));
        }
        return null;
    }

    private String replacement(int index) {
        if (index < 0 || index > normalized.length)
            throw new IllegalArgumentException("precompiled_charsmap: replacement offset " + index + " outside the blob");
        int end = index;
        while (end < normalized.length && normalized[end] != 0) end++;
        return new String(normalized, index, end - index, StandardCharsets.UTF_8);
    }

    /** Normalizes {@code text} grapheme by grapheme (see the class comment). */
    public String normalize(String text) {
        if (units.length == 0 || text.isEmpty()) return text;
        StringBuilder out = new StringBuilder(text.length());
        BreakIterator graphemes = BreakIterator.getCharacterInstance(java.util.Locale.ROOT);
        graphemes.setText(text);
        for (int start = graphemes.first(), end = graphemes.next(); end != BreakIterator.DONE;
             start = end, end = graphemes.next()) {
            String g = text.substring(start, end);
            byte[] gb = g.getBytes(StandardCharsets.UTF_8);
            if (gb.length < 6) {
                String whole = transform(gb, 0, gb.length);
                if (whole != null) {
                    out.append(whole);
                    continue;
                }
            }
            for (int i = 0; i < g.length(); ) {
                int cp = g.codePointAt(i);
                String ch = g.substring(i, i + Character.charCount(cp));
                byte[] cb = ch.getBytes(StandardCharsets.UTF_8);
                String r = transform(cb, 0, cb.length);
                out.append(r != null ? r : ch);
                i += Character.charCount(cp);
            }
        }
        return out.toString();
    }
}
