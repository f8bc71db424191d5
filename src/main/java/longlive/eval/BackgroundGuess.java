package longlive.eval;

import java.util.List;
import longlive.world.Background;
import longlive.world.BackgroundKind;
import longlive.world.NamedColor;

/** What the pixels say the background is: a kind and its named colours (one, or two for patterns). */
public record BackgroundGuess(BackgroundKind kind, List<NamedColor> colors) {
    public BackgroundGuess {
        colors = List.copyOf(colors);
    }

    /** Whether this matches a stated background (kind and the set of colours; panning is not judged). */
    public boolean matches(Background b) {
        if (kind != b.kind()) return false;
        List<NamedColor> want = b.kind() == BackgroundKind.SOLID ? List.of(b.first()) : List.of(b.first(), b.second());
        return colors.size() == want.size() && colors.containsAll(want);
    }
}
