package longlive.text.tokenizer;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The prompt cleaning Wan applies before tokenizing ({@code wan/modules/tokenizers.py}, {@code clean='whitespace'}):
 * {@code whitespace_clean(basic_clean(text))} where {@code basic_clean} is {@code ftfy.fix_text}, then
 * {@code html.unescape} twice, then strip, and {@code whitespace_clean} collapses every whitespace run to one space.
 *
 * <p>{@code ftfy.fix_text} (ftfy 6) is reproduced step by step for what changes ordinary prompts: its own HTML
 * unescaping when the text has no {@code '<'}, terminal escapes removed, C1 controls read as cp1252, Latin
 * ligatures split, full/half-width forms normalized, curly quotes straightened, line breaks unified, control
 * characters removed, NFC. Its mojibake repair ({@code fix_encoding}) is not reproduced: text that is already
 * mis-decoded UTF-8 is tokenized as it is.
 *
 * <p>{@code html.unescape} follows Python exactly (HTML5 named references incl. the legacy ones without ';' and
 * longest-prefix matching, numeric references with the cp1252 / U+FFFD / dropped-code-point rules); the tables are
 * Python's own, exported by {@code tools/tokenizer/make_tokenizer_fixture.py}.
 */
public final class PromptCleaner {
    private PromptCleaner() {}

    /** ftfy's {@code unescape_html} pattern (stricter than {@code html.unescape}'s: a ';' is required). */
    private static final Pattern FTFY_ENTITY = Pattern.compile("&#?[0-9A-Za-z]{1,24};");
    /** ftfy's {@code remove_terminal_escapes}: ANSI escape sequences such as colour codes. */
    private static final Pattern ANSI_ESCAPE = Pattern.compile("\\x1b\\[((?:\\d|;)*)([a-zA-Z])");
    private static final Pattern CHARREF = Pattern.compile("&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\\t\\n\\f <&#;]{1,32};?)");
    /** The {@code regex} module's {@code \s} (Wan imports {@code regex as re}): Unicode White_Space, the same 25 chars. */
    private static final Pattern WHITESPACE = Pattern.compile("\\s+", Pattern.UNICODE_CHARACTER_CLASS);
    private static final Map<String, String> NAMED = new HashMap<>();
    private static final Map<Integer, String> NUMERIC_FIXUPS = new HashMap<>();
    /** ftfy's entity table: {@code &name;} of every HTML5 entity, plus upper-cased names Python does not know. */
    private static final Map<String, String> FTFY_ENTITIES = new HashMap<>();
    private static final Map<Character, String> LIGATURES = Map.ofEntries(
            Map.entry('\u0132', "IJ"), Map.entry('\u0133', "ij"), Map.entry('\u0149', "\u02bcn"),
            Map.entry('\u01c4', "D\u017d"), Map.entry('\u01c5', "D\u017e"), Map.entry('\u01c6', "d\u017e"),
            Map.entry('\u01c7', "LJ"), Map.entry('\u01c8', "Lj"), Map.entry('\u01c9', "lj"),
            Map.entry('\u01ca', "NJ"), Map.entry('\u01cb', "Nj"), Map.entry('\u01cc', "nj"),
            Map.entry('\u01f1', "DZ"), Map.entry('\u01f2', "Dz"), Map.entry('\u01f3', "dz"),
            Map.entry('\ufb00', "ff"), Map.entry('\ufb01', "fi"), Map.entry('\ufb02', "fl"),
            Map.entry('\ufb03', "ffi"), Map.entry('\ufb04', "ffl"), Map.entry('\ufb05', "\u017ft"),
            Map.entry('\ufb06', "st"));

    static {
        try (InputStream in = PromptCleaner.class.getResourceAsStream("html5-entities.tsv")) {
            if (in == null) throw new IllegalStateException("resource html5-entities.tsv is missing from the classpath");
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII));
            for (String line; (line = r.readLine()) != null; ) {
                if (line.isEmpty() || line.startsWith("# ")) continue;
                int tab = line.indexOf('\t');
                StringBuilder v = new StringBuilder();
                for (String cp : line.substring(tab + 1).split(" ")) if (!cp.isEmpty()) v.appendCodePoint(Integer.parseInt(cp, 16));
                String name = line.substring(0, tab);
                if (name.startsWith("#")) NUMERIC_FIXUPS.put(Integer.parseInt(name.substring(1), 16), v.toString());
                else NAMED.put(name, v.toString());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        for (Map.Entry<String, String> e : NAMED.entrySet()) {
            String name = e.getKey();
            if (!name.endsWith(";")) continue;
            FTFY_ENTITIES.put("&" + name, e.getValue());
            String upper = "&" + name.toUpperCase(Locale.ROOT);
            if (name.equals(name.toLowerCase(Locale.ROOT)) && htmlUnescape(upper).equals(upper))
                FTFY_ENTITIES.putIfAbsent(upper, e.getValue().toUpperCase(Locale.ROOT));
        }
    }

    /** Wan's {@code clean='whitespace'}: the whole cleaning described in the class comment. */
    public static String clean(String text) {
        String s = fixText(text);
        s = htmlUnescape(htmlUnescape(s)).strip();
        return WHITESPACE.matcher(s).replaceAll(" ").strip();
    }

    /** The reproduced part of {@code ftfy.fix_text}, in ftfy's order (see the class comment). */
    static String fixText(String text) {
        if (text.indexOf('<') < 0) text = ftfyUnescapeHtml(text);
        text = ANSI_ESCAPE.matcher(text).replaceAll("");
        StringBuilder sb = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c >= 0x80 && c < 0xA0) {
                // fix_c1_controls: a C1 control is a Windows-1252 byte decoded as Latin-1 (bytes cp1252 leaves
                // undefined stay as they are).
                String w = NUMERIC_FIXUPS.get((int) c);
                if (w != null) c = w.charAt(0);
            }
            String lig = LIGATURES.get(c);
            if (lig != null) {
                for (int k = 0; k < lig.length(); k++) sb.append(uncurl(lig.charAt(k)));
                continue;
            }
            if ((c >= 0xFF01 && c <= 0xFFEE) || c == '\u3000') { // fix_character_width
                sb.append(c == '\u3000' ? " " : Normalizer.normalize(String.valueOf(c), Normalizer.Form.NFKC));
                continue;
            }
            sb.append(uncurl(c));
        }
        // fix_line_breaks (U+0085 has become an ellipsis in fix_c1_controls, as in ftfy)
        String s = sb.toString().replace("\r\n", "\n").replace('\r', '\n').replace('\u2028', '\n')
                .replace('\u2029', '\n');
        StringBuilder kept = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean control = (c < 0x20 && c != '\t' && c != '\n' && c != '\f' && c != '\r') || c == 0x7F
                    || c == '\uFEFF' || (c >= 0x206A && c <= 0x206F) || (c >= 0xFFF9 && c <= 0xFFFC);
            if (!control) kept.append(c); // remove_control_chars
        }
        return Normalizer.normalize(kept, Normalizer.Form.NFC);
    }

    /** ftfy's {@code uncurl_quotes}: U+02BC and U+2018..U+201B to {@code '}, U+201C..U+201F to {@code "}. */
    private static char uncurl(char c) {
        if (c == '\u02bc' || (c >= '\u2018' && c <= '\u201b')) return '\'';
        if (c >= '\u201c' && c <= '\u201f') return '"';
        return c;
    }

    /** ftfy's {@code unescape_html}: only {@code &...;} references; numeric ones only if fully consumed. */
    static String ftfyUnescapeHtml(String s) {
        if (s.indexOf('&') < 0) return s;
        Matcher m = FTFY_ENTITY.matcher(s);
        StringBuilder out = new StringBuilder(s.length());
        while (m.find()) {
            String t = m.group();
            String r = FTFY_ENTITIES.get(t);
            if (r == null && t.startsWith("&#")) {
                String u = htmlUnescape(t);
                r = u.indexOf(';') >= 0 ? t : u;
            }
            m.appendReplacement(out, Matcher.quoteReplacement(r == null ? t : r));
        }
        m.appendTail(out);
        return out.toString();
    }

    /** Python's {@code html.unescape}. */
    public static String htmlUnescape(String s) {
        if (s.indexOf('&') < 0) return s;
        Matcher m = CHARREF.matcher(s);
        StringBuilder out = new StringBuilder(s.length());
        while (m.find()) m.appendReplacement(out, Matcher.quoteReplacement(replaceCharRef(m.group(1))));
        m.appendTail(out);
        return out.toString();
    }

    private static String replaceCharRef(String s) {
        if (s.charAt(0) == '#') {
            boolean hex = s.charAt(1) == 'x' || s.charAt(1) == 'X';
            String digits = s.substring(hex ? 2 : 1);
            if (digits.endsWith(";")) digits = digits.substring(0, digits.length() - 1);
            java.math.BigInteger big = new java.math.BigInteger(digits, hex ? 16 : 10);
            if (big.compareTo(java.math.BigInteger.valueOf(0x10FFFF)) > 0) return "\uFFFD";
            int num = big.intValue();
            String fix = NUMERIC_FIXUPS.get(num);
            if (fix != null) return fix;
            if (num >= 0xD800 && num <= 0xDFFF) return "\uFFFD";
            if (invalidCodePoint(num)) return "";
            return new String(Character.toChars(num));
        }
        String v = NAMED.get(s);
        if (v != null) return v;
        for (int x = s.length() - 1; x > 1; x--) {
            v = NAMED.get(s.substring(0, x));
            if (v != null) return v + s.substring(x);
        }
        return "&" + s;
    }

    /** Python's {@code html._invalid_codepoints}: dropped by {@code html.unescape}. */
    private static boolean invalidCodePoint(int cp) {
        return (cp >= 0x1 && cp <= 0x8) || cp == 0xB || (cp >= 0xE && cp <= 0x1F) || (cp >= 0x7F && cp <= 0x9F)
                || (cp >= 0xFDD0 && cp <= 0xFDEF) || (cp & 0xFFFE) == 0xFFFE;
    }
}
