package longlive.text.tokenizer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * The numbers of docs/training-text.md for the tokenizer recipe. Not a test; run by hand:
 * {@code java -cp target-x/classes:target-x/test-classes:<deps> longlive.text.tokenizer.CaptionTokenizerStats
 * [seed] [scripts] [heldOutSeed] [heldOutScripts] [out.json]}.
 */
public final class CaptionTokenizerStats {
    private CaptionTokenizerStats() {}

    public static void main(String[] args) throws Exception {
        long seed = args.length > 0 ? Long.parseLong(args[0]) : 1;
        int scripts = args.length > 1 ? Integer.parseInt(args[1]) : 4000;
        long heldSeed = args.length > 2 ? Long.parseLong(args[2]) : 1_000_000;
        int heldScripts = args.length > 3 ? Integer.parseInt(args[3]) : 2000;
        Path out = Path.of(args.length > 4 ? args[4] : "/tmp/caption-tokenizer.json");
        long t0 = System.nanoTime();
        var v = CaptionTokenizerBuilder.buildWorldTokenizer(seed, scripts, out);
        double secs = (System.nanoTime() - t0) / 1e9;
        int chars = 0;
        for (int i = 259; i < v.size(); i++) if (v.pieces().get(i).codePointCount(0, v.pieces().get(i).length()) == 1) chars++;
        System.out.printf("built from seed %d, %d scripts in %.1f s: %d pieces = 3 specials + 256 bytes + %d word "
                + "pieces + %d single characters (▁ included); %d bytes -> %s%n", seed, scripts, secs, v.size(),
                v.size() - 259 - chars, chars, Files.size(out), out);
        UnigramTokenizer tok = UnigramTokenizer.load(out, 128);
        PieceDecoder dec = PieceDecoder.load(out);
        List<String> held = WorldCaptions.sample(heldSeed, heldScripts);
        int[] lens = new int[held.size()];
        int unk = 0, spelled = 0, roundTrip = 0;
        for (int n = 0; n < held.size(); n++) {
            TokenizedPrompt t = tok.encode(held.get(n));
            lens[n] = t.length();
            boolean sp = false;
            for (int i = 0; i < t.length(); i++) {
                int id = (int) t.ids()[i];
                if (id == CaptionTokenizerBuilder.UNK_ID) unk++;
                String p = dec.piece(id);
                if (p.codePointCount(0, p.length()) == 1
                        && (Character.isLetterOrDigit(p.codePointAt(0)) || p.equals(CaptionTokenizerBuilder.META))) sp = true;
            }
            if (sp) spelled++;
            if (!dec.decode(t.ids(), t.length()).equals(PromptCleaner.clean(held.get(n)))) roundTrip++;
        }
        int[] sorted = lens.clone();
        Arrays.sort(sorted);
        long within32 = Arrays.stream(lens).filter(l -> l <= 32).count();
        System.out.printf("held out: seed %d, %d captions: <unk> tokens %d, captions with a spelled-out word %d, "
                + "round-trip failures %d; tokens (</s> incl.) median %d, p95 %d, max %d; %.1f%% within 32%n",
                heldSeed, held.size(), unk, spelled, roundTrip, sorted[sorted.length / 2],
                sorted[(int) (sorted.length * 0.95)], sorted[sorted.length - 1], 100.0 * within32 / held.size());
    }
}
