package longlive.world;

import java.util.List;

/**
 * The structured part of a script: one {@link Segment} per prompt, from which the renderer reproduces the
 * script's ground-truth video exactly.
 *
 * @param seed   the seed the script was generated from (informational; rendering is fully determined by the rest)
 * @param aspect frame width / height the world was laid out for (1 = square)
 */
public record ScriptWorld(long seed, double aspect, List<Segment> segments) {
    public ScriptWorld {
        if (!(aspect >= 0.25 && aspect <= 4)) throw new IllegalArgumentException("aspect must be in 0.25..4, got " + aspect);
        segments = List.copyOf(segments);
        if (segments.isEmpty()) throw new IllegalArgumentException("world needs at least one segment");
    }

    /** World width in frame-short-side units. */
    public double width() {
        return Math.max(aspect, 1);
    }

    /** World height in frame-short-side units. */
    public double height() {
        return Math.max(1 / aspect, 1);
    }
}
