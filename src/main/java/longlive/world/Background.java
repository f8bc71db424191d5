package longlive.world;

/**
 * A background: its pattern, its colours ({@code second} equals {@code first} for solid ones) and whether a
 * stripe or checker pattern pans slowly to the left.
 */
public record Background(BackgroundKind kind, NamedColor first, NamedColor second, boolean panning) {
    public Background {
        if (kind == null || first == null || second == null) throw new IllegalArgumentException("background needs a kind and colours");
        if (first.role() != NamedColor.Role.BACKGROUND || second.role() != NamedColor.Role.BACKGROUND) {
            throw new IllegalArgumentException("background colours must be background colours, got " + first.id() + ", " + second.id());
        }
        if (kind == BackgroundKind.SOLID && first != second) {
            throw new IllegalArgumentException("a solid background has one colour, got " + first.id() + " and " + second.id());
        }
        if (kind != BackgroundKind.SOLID && first == second) {
            throw new IllegalArgumentException("a " + kind.id() + " background needs two different colours, got " + first.id() + " twice");
        }
        if (panning && !kind.isPatterned()) throw new IllegalArgumentException("only stripes and checker backgrounds can pan");
    }

    public static Background solid(NamedColor c) {
        return new Background(BackgroundKind.SOLID, c, c, false);
    }

    /** Whether an object of colour {@code c} stands out on every colour of this background. */
    public boolean contrastsWith(NamedColor c) {
        return first.contrastsWith(c) && second.contrastsWith(c);
    }
}
