package longlive.world;

import java.util.Locale;

/** Background patterns: one colour, a top-to-bottom gradient, vertical stripes, or a checkerboard. */
public enum BackgroundKind {
    SOLID, GRADIENT, STRIPES, CHECKER;

    /** Stripe and checker cell width, in frame-short-sides. */
    public static final double CELL = 0.25;
    /** Panning speed of patterned backgrounds, in frame-short-sides per second (a cell every 5 s). */
    public static final double PAN_SPEED = 0.05;

    public boolean isPatterned() {
        return this == STRIPES || this == CHECKER;
    }

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static BackgroundKind fromId(String id) {
        try {
            return valueOf(id.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown background kind '" + id + "'; known: solid, gradient, stripes, checker");
        }
    }
}
