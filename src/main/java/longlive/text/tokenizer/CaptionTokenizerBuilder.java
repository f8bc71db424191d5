package longlive.text.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Builds a small SentencePiece-Unigram vocabulary from a caption corpus and writes it as a Hugging Face
 * {@code tokenizer.json} with the structure of google/umt5-xxl's (what {@link UnigramTokenizer} and HF tokenizers
 * load): normalizer {@code Sequence[Precompiled(nmt_nfkc), Replace(" {2,}" -> " ")]}, {@code Metaspace}
 * pre-tokenizer and decoder ({@code ▁}, prefix space), {@code TemplateProcessing} {@code $A </s>}, Unigram model with
 * byte fallback and umT5's special ids {@code <pad>=0, </s>=1, <unk>=2}, then the 256 byte pieces {@code <0x00>..}
 * (ids 3..258: SentencePiece's trainer puts byte pieces right after the meta pieces), then the learned pieces, most
 * probable first.
 *
 * <p>Pieces: every corpus word cut at punctuation into letter/digit runs and single other characters (the first run
 * of a word carries the {@code ▁} word-start mark: {@code "▁red/blue"} gives {@code ▁red, /, blue}) and
 * one-hyphen compounds kept whole ({@code ▁snow-white}), each seen at least {@link Options#minPieceCount} times; plus {@code ▁} and every single character of the corpus and of
 * {@link Options#coverageCharacters}, so an unseen word falls back to characters instead of {@code <unk>}.
 * Scores are log-probabilities from piece counts re-estimated by a few rounds of Viterbi EM (segment the corpus
 * with the current scores, count the pieces used); pieces no segmentation uses get the smallest probability, so a
 * whole-word piece always beats spelling the word out.
 *
 * <p>API (no command line; the training stage calls it):
 * <pre>
 * List&lt;String&gt; corpus = WorldCaptions.sample(seed, 4000);
 * CaptionTokenizerBuilder.Vocabulary v = CaptionTokenizerBuilder.build(corpus, CaptionTokenizerBuilder.Options.defaults());
 * CaptionTokenizerBuilder.write(v, dir.resolve("tokenizer.json"));
 * UnigramTokenizer tok = UnigramTokenizer.load(dir.resolve("tokenizer.json"), 32);
 * </pre>
 * Deterministic: the same corpus gives a byte-identical file.
 */
public final class CaptionTokenizerBuilder {
    /** SentencePiece's word-start mark (U+2581). */
    public static final String META = "\u2581";
    /** umT5's special pieces, at ids 0, 1, 2. */
    public static final List<String> SPECIALS = List.of("<pad>", "</s>", "<unk>");
    public static final int PAD_ID = 0, EOS_ID = 1, UNK_ID = 2;
    /** Printable ASCII except the space (which becomes {@code ▁}). */
    public static final String ASCII_PRINTABLE;

    static {
        StringBuilder sb = new StringBuilder();
        for (char ch = '!'; ch <= '~'; ch++) sb.append(ch);
        ASCII_PRINTABLE = sb.toString();
    }

    private static final String CHARSMAP_RESOURCE = "/longlive/text/tokenizer/nmt_nfkc.charsmap";

    private CaptionTokenizerBuilder() {}

    /**
     * @param minPieceCount      a multi-character piece must occur at least this often in the corpus (single
     *                           characters are always kept)
     * @param byteFallback       add the 256 {@code <0xNN>} pieces and let unknown characters become bytes (umT5 does)
     * @param coverageCharacters characters given single-character pieces even if the corpus lacks them
     * @param emRounds           Viterbi-EM re-estimation rounds of the scores (0: scores from raw counts)
     */
    public record Options(int minPieceCount, boolean byteFallback, String coverageCharacters, int emRounds) {
        public Options {
            if (minPieceCount < 1) throw new IllegalArgumentException("minPieceCount must be >= 1, got " + minPieceCount);
            if (emRounds < 0) throw new IllegalArgumentException("emRounds must be >= 0, got " + emRounds);
            if (coverageCharacters == null) coverageCharacters = "";
        }

        /** Pieces seen twice, byte fallback, printable ASCII covered, 3 EM rounds. */
        public static Options defaults() {
            return new Options(2, true, ASCII_PRINTABLE, 3);
        }
    }

    /**
     * The built vocabulary: {@code pieces.get(id)} with log-probability {@code scores[id]} (0 for specials and
     * bytes, as SentencePiece writes them).
     */
    public record Vocabulary(List<String> pieces, double[] scores, boolean byteFallback) {
        public Vocabulary {
            pieces = List.copyOf(pieces);
            scores = scores.clone();
            if (pieces.size() != scores.length)
                throw new IllegalArgumentException(pieces.size() + " pieces but " + scores.length + " scores");
        }

        public int size() {
            return pieces.size();
        }
    }

    /**
     * Builds the vocabulary from raw captions (cleaned with {@link PromptCleaner} and normalized as the written
     * tokenizer will, so the pieces are what encoding sees).
     */
    public static Vocabulary build(Collection<String> captions, Options opt) {
        TextNormalizer normalizer = TextNormalizer.fromJson(normalizerJson());
        PreTokenizer pre = PreTokenizer.fromJson(metaspaceJson());
        // Word (pre-token) counts; sorted maps keep everything deterministic.
        Map<String, Long> words = new TreeMap<>();
        for (String c : captions) {
            String text = normalizer.normalize(PromptCleaner.clean(c));
            for (String w : pre.split(text, true)) words.merge(w, 1L, Long::sum);
        }
        if (words.isEmpty()) throw new IllegalArgumentException("tokenizer builder: the corpus has no words");

        Map<String, Long> chunkCounts = new TreeMap<>();
        Map<String, Long> charCounts = new TreeMap<>();
        for (Map.Entry<String, Long> e : words.entrySet()) {
            for (String ch : chunks(e.getKey())) chunkCounts.merge(ch, e.getValue(), Long::sum);
            String compound = compound(e.getKey());
            if (compound != null) chunkCounts.merge(compound, e.getValue(), Long::sum);
            e.getKey().codePoints().filter(cp -> !META.equals(Character.toString(cp)))
                    .forEach(cp -> charCounts.merge(Character.toString(cp), e.getValue(), Long::sum));
        }
        opt.coverageCharacters().codePoints().forEach(cp -> charCounts.merge(Character.toString(cp), 0L, Long::sum));

        // Candidates with their initial counts; single characters and ▁ are required (coverage), the rest optional.
        Map<String, Long> initial = new TreeMap<>();
        TreeSet<String> required = new TreeSet<>();
        for (Map.Entry<String, Long> e : chunkCounts.entrySet()) {
            String p = e.getKey();
            if (p.codePointCount(0, p.length()) > 1 && e.getValue() >= opt.minPieceCount()) initial.put(p, e.getValue());
        }
        // A character starts with the count of its standalone uses (punctuation), not of its occurrences inside
        // words: otherwise the first EM round would spell short words out and keep doing so.
        for (String ch : charCounts.keySet()) {
            initial.put(ch, chunkCounts.getOrDefault(ch, 0L));
            required.add(ch);
        }
        initial.merge(META, chunkCounts.getOrDefault(META, 0L), Long::sum);
        required.add(META);
        for (String s : SPECIALS) {
            initial.remove(s);
            required.remove(s);
        }

        List<String> cand = new ArrayList<>(initial.keySet());
        double[] counts = new double[cand.size()];
        for (int i = 0; i < counts.length; i++) counts[i] = initial.get(cand.get(i));
        double[] scores = logProbs(counts);
        for (int round = 0; round < opt.emRounds(); round++) {
            counts = viterbiCounts(cand, scores, words);
            scores = logProbs(counts);
        }

        // Drop optional pieces no segmentation uses (they would only be untrained embedding rows).
        List<Integer> keep = new ArrayList<>();
        for (int i = 0; i < cand.size(); i++)
            if (counts[i] > 0 || required.contains(cand.get(i)) || opt.emRounds() == 0) keep.add(i);
        final double[] fs = scores;
        keep.sort((a, b) -> fs[a] != fs[b] ? Double.compare(fs[b], fs[a]) : cand.get(a).compareTo(cand.get(b)));

        List<String> pieces = new ArrayList<>(SPECIALS);
        List<Double> sc = new ArrayList<>();
        for (int i = 0; i < SPECIALS.size(); i++) sc.add(0.0);
        if (opt.byteFallback())
            for (int b = 0; b < 256; b++) {
                pieces.add(String.format("<0x%02X>", b));
                sc.add(0.0);
            }
        for (int i : keep) {
            pieces.add(cand.get(i));
            sc.add(scores[i]);
        }
        return new Vocabulary(pieces, sc.stream().mapToDouble(Double::doubleValue).toArray(), opt.byteFallback());
    }

    /**
     * A pre-token cut into letter/digit runs and single other characters; the leading {@code ▁} stays on the first
     * chunk (so {@code ▁word} pieces are whole words at a word start, plain {@code word} pieces follow punctuation).
     */
    static List<String> chunks(String word) {
        List<String> out = new ArrayList<>();
        StringBuilder run = new StringBuilder();
        int i = 0;
        if (word.startsWith(META)) {
            run.append(META);
            i = META.length();
        }
        boolean runHasText = false;
        while (i < word.length()) {
            int cp = word.codePointAt(i);
            i += Character.charCount(cp);
            if (Character.isLetterOrDigit(cp)) {
                run.appendCodePoint(cp);
                runHasText = true;
            } else {
                // A lone ▁ before punctuation joins it ("▁(") rather than standing alone.
                if (runHasText || (!run.isEmpty() && !run.toString().equals(META))) out.add(run.toString());
                String prefix = run.toString().equals(META) ? META : "";
                out.add(prefix + Character.toString(cp));
                run.setLength(0);
                runHasText = false;
            }
        }
        if (!run.isEmpty()) out.add(run.toString());
        return out;
    }

    /**
     * A word of two letter/digit parts joined by one hyphen ({@code ▁five-pointed}, {@code ▁up-left}), punctuation
     * after it dropped, or null: such compounds become whole pieces (one token, not three). Longer hyphen chains
     * ({@code ▁red-to-navy}) are word combinations, not words, and are left to their parts.
     */
    static String compound(String word) {
        String w = word;
        while (!w.isEmpty() && !Character.isLetterOrDigit(w.codePointBefore(w.length()))) w = w.substring(0, w.offsetByCodePoints(w.length(), -1));
        String body = w.startsWith(META) ? w.substring(META.length()) : w;
        int hyphen = body.indexOf('-');
        if (hyphen <= 0 || hyphen == body.length() - 1 || body.indexOf('-', hyphen + 1) >= 0) return null;
        for (int i = 0; i < body.length(); ) {
            int cp = body.codePointAt(i);
            if (cp != '-' && !Character.isLetterOrDigit(cp)) return null;
            i += Character.charCount(cp);
        }
        return w;
    }

    /** Log-probabilities with add-half smoothing: an unused piece scores below every used one. */
    private static double[] logProbs(double[] counts) {
        double total = 0;
        for (double c : counts) total += c + 0.5;
        double[] s = new double[counts.length];
        for (int i = 0; i < s.length; i++) s[i] = Math.log((counts[i] + 0.5) / total);
        return s;
    }

    /** How often each candidate is used when every corpus word is segmented by Viterbi with {@code scores}. */
    private static double[] viterbiCounts(List<String> cand, double[] scores, Map<String, Long> words) {
        List<String> pieces = new ArrayList<>(cand);
        pieces.add("<unk>");
        double[] sc = new double[scores.length + 1];
        System.arraycopy(scores, 0, sc, 0, scores.length);
        Unigram model = new Unigram(pieces, sc, pieces.size() - 1, false);
        Map<String, Integer> index = new HashMap<>();
        for (int i = 0; i < cand.size(); i++) index.put(cand.get(i), i);
        double[] counts = new double[cand.size()];
        for (Map.Entry<String, Long> e : words.entrySet())
            for (String tok : model.segment(e.getKey())) {
                Integer id = index.get(tok);
                if (id != null) counts[id] += e.getValue();
            }
        return counts;
    }

    /** The tokenizer.json document for {@code v}. */
    public static ObjectNode tokenizerJson(Vocabulary v) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        ObjectNode root = f.objectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        for (int id = 0; id < SPECIALS.size(); id++) {
            ObjectNode t = added.addObject();
            t.put("id", id);
            t.put("content", SPECIALS.get(id));
            t.put("single_word", false);
            t.put("lstrip", false);
            t.put("rstrip", false);
            t.put("normalized", false);
            t.put("special", true);
        }
        root.set("normalizer", normalizerJson());
        root.set("pre_tokenizer", metaspaceJson());
        root.set("post_processor", templateJson());
        root.set("decoder", metaspaceJson());
        ObjectNode model = root.putObject("model");
        model.put("type", "Unigram");
        model.put("unk_id", UNK_ID);
        ArrayNode vocab = model.putArray("vocab");
        for (int i = 0; i < v.size(); i++) {
            ArrayNode e = vocab.addArray();
            e.add(v.pieces().get(i));
            e.add(v.scores()[i]);
        }
        model.put("byte_fallback", v.byteFallback());
        return root;
    }

    /** Writes {@code tokenizer.json} (through a temporary file and a rename, so a reader never sees half a file). */
    public static void write(Vocabulary v, Path out) throws IOException {
        Path abs = out.toAbsolutePath();
        if (abs.getParent() != null) Files.createDirectories(abs.getParent());
        Path tmp = abs.resolveSibling(abs.getFileName() + ".tmp");
        new ObjectMapper().disable(SerializationFeature.INDENT_OUTPUT).writeValue(tmp.toFile(), tokenizerJson(v));
        Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /**
     * The whole world recipe: captions of {@code scripts} random scripts from {@code seed} plus every captioner word
     * list, built with {@link Options#defaults()}, written to {@code out}.
     */
    public static Vocabulary buildWorldTokenizer(long seed, int scripts, Path out) throws IOException {
        List<String> corpus = new ArrayList<>(WorldCaptions.sample(seed, scripts));
        corpus.addAll(WorldCaptions.wordLists());
        Vocabulary v = build(corpus, Options.defaults());
        write(v, out);
        return v;
    }

    /** umT5's normalizer: SentencePiece's nmt_nfkc precompiled map, then runs of spaces to one. */
    static JsonNode normalizerJson() {
        JsonNodeFactory f = JsonNodeFactory.instance;
        ObjectNode seq = f.objectNode();
        seq.put("type", "Sequence");
        ArrayNode parts = seq.putArray("normalizers");
        ObjectNode pre = parts.addObject();
        pre.put("type", "Precompiled");
        pre.put("precompiled_charsmap", Base64.getEncoder().encodeToString(nmtNfkcCharsmap()));
        ObjectNode rep = parts.addObject();
        rep.put("type", "Replace");
        rep.putObject("pattern").put("Regex", " {2,}");
        rep.put("content", " ");
        return seq;
    }

    private static JsonNode metaspaceJson() {
        ObjectNode m = JsonNodeFactory.instance.objectNode();
        m.put("type", "Metaspace");
        m.put("replacement", META);
        m.put("add_prefix_space", true);
        return m;
    }

    private static JsonNode templateJson() {
        JsonNodeFactory f = JsonNodeFactory.instance;
        ObjectNode pp = f.objectNode();
        pp.put("type", "TemplateProcessing");
        ArrayNode single = pp.putArray("single");
        single.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        single.addObject().putObject("SpecialToken").put("id", "</s>").put("type_id", 0);
        ArrayNode pair = pp.putArray("pair");
        pair.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        pair.addObject().putObject("SpecialToken").put("id", "</s>").put("type_id", 0);
        pair.addObject().putObject("Sequence").put("id", "B").put("type_id", 0);
        pair.addObject().putObject("SpecialToken").put("id", "</s>").put("type_id", 0);
        ObjectNode eos = pp.putObject("special_tokens").putObject("</s>");
        eos.put("id", "</s>");
        eos.putArray("ids").add(EOS_ID);
        eos.putArray("tokens").add("</s>");
        return pp;
    }

    /** SentencePiece's nmt_nfkc normalization map (the one umT5's model carries), from the jar. */
    static byte[] nmtNfkcCharsmap() {
        try (InputStream in = CaptionTokenizerBuilder.class.getResourceAsStream(CHARSMAP_RESOURCE)) {
            if (in == null) throw new IllegalStateException("resource " + CHARSMAP_RESOURCE + " is missing from the jar");
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
