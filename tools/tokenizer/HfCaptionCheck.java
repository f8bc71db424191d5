import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.nio.file.Path;
import java.util.*;
import longlive.text.tokenizer.*;

/**
 * Cross-checks a caption tokenizer built by {@code CaptionTokenizerBuilder} with Hugging Face's own (Rust) tokenizers
 * through DJL's binding (a tool, not a project dependency; set up the DJL classpath as in tools/tokenizer/README.md):
 * 2000 held-out world captions plus a few odd prompts, cleaned by our PromptCleaner, must get the same ids and mask
 * from HF as from our UnigramTokenizer (text_len 64).
 *
 * <pre>
 * RUST_FLAVOR=cpu java --enable-native-access=ALL-UNNAMED \
 *     -cp $(cat /tmp/djl/cp.txt):target-x/classes:$(deps) tools/tokenizer/HfCaptionCheck.java tokenizer.json
 * </pre>
 */
public class HfCaptionCheck {
    public static void main(String[] args) throws Exception {
        Path json = Path.of(args[0]);
        int textLen = 64;
        Map<String, String> opts = Map.of("padding", "max_length", "truncation", "true",
                "maxLength", String.valueOf(textLen), "addSpecialTokens", "true");
        UnigramTokenizer ours = UnigramTokenizer.load(json, textLen);
        List<String> texts = new ArrayList<>(WorldCaptions.sample(1_000_000, 500));
        texts.addAll(List.of("a zebra over a qux!", "a café circle ✨", "A RED Circle,  drifting\tright", "ﬁne ｆｕｌｌ width", "日本語のテキスト"));
        int bad = 0;
        try (HuggingFaceTokenizer hf = HuggingFaceTokenizer.newInstance(json, opts)) {
            for (String t : texts) {
                String clean = PromptCleaner.clean(t);
                Encoding e = hf.encode(clean);
                long[] a = e.getIds(), m = e.getAttentionMask();
                TokenizedPrompt p = ours.encodeCleaned(clean);
                if (!Arrays.equals(a, p.ids()) || !Arrays.equals(m, p.mask())) {
                    bad++;
                    if (bad < 5) System.out.println("DIFF " + clean + "\n hf  " + Arrays.toString(e.getTokens()) + "\n ours " + Arrays.toString(p.ids()));
                }
            }
        }
        System.out.println("HF vs ours: " + (texts.size() - bad) + " equal, " + bad + " different, of " + texts.size());
    }
}
