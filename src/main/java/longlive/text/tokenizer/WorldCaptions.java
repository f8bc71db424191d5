package longlive.text.tokenizer;

import java.util.ArrayList;
import java.util.List;
import longlive.world.Motion;
import longlive.world.NamedColor;
import longlive.world.Script;
import longlive.world.ScriptGenerator;
import longlive.world.Shape;
import longlive.world.SizeClass;

/**
 * Caption corpora of the Shapes world, to build the small text tokenizer from ({@link CaptionTokenizerBuilder}).
 * The captions are the ones training sees: every prompt of seeded random multi-segment scripts
 * ({@link ScriptGenerator}, which captions through {@code Captioner}: all five templates, every synonym of every
 * colour, shape, size, motion and background).
 */
public final class WorldCaptions {
    private WorldCaptions() {}

    /**
     * Every prompt of {@code scripts} random scripts (4 segments of 1 s each, so changes of colour, motion, size,
     * background and added objects all occur), script {@code i} generated from seed {@code seed + i}.
     * Deterministic. About 1 ms per script.
     */
    public static List<String> sample(long seed, int scripts) {
        if (scripts < 0) throw new IllegalArgumentException("scripts must be >= 0, got " + scripts);
        List<String> out = new ArrayList<>(scripts * 4);
        // Square (1.0) scripts with panning and up to 3 objects: the longest captions the world writes.
        ScriptGenerator.Options opt = new ScriptGenerator.Options(4.0, 4, 1.0, Script.DEFAULT_FPS, 0.1, true, 3);
        for (int i = 0; i < scripts; i++) out.addAll(ScriptGenerator.generate(seed + i, opt).prompts());
        return out;
    }

    /**
     * Every word list the captioner draws from (colours, shapes, sizes, motion phrases), one phrase per entry: added
     * to a sample so the vocabulary holds every synonym as a whole word even if a small sample missed one.
     */
    public static List<String> wordLists() {
        List<String> out = new ArrayList<>();
        for (NamedColor c : NamedColor.values()) out.addAll(c.words());
        for (Shape s : Shape.values()) out.addAll(s.words());
        for (SizeClass z : SizeClass.values()) out.addAll(z.words());
        for (Motion m : Motion.values()) out.addAll(m.phrases());
        return out;
    }
}
