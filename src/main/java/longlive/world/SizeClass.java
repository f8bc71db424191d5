package longlive.world;

import java.util.List;
import java.util.Locale;

/**
 * Object sizes as circumradius in units of the frame's shorter side. The classes are far enough apart that a
 * pulsing object ({@link Motion#PULSING}, +-15%) never looks like its neighbour class.
 */
public enum SizeClass {
    SMALL(0.09, "small", "tiny", "little"),
    MEDIUM(0.14, "medium-sized", "mid-sized", "modest"),
    LARGE(0.22, "large", "big", "huge");

    private final double radius;
    private final List<String> words;

    SizeClass(double radius, String... words) {
        this.radius = radius;
        this.words = List.of(words);
    }

    public double radius() {
        return radius;
    }

    public List<String> words() {
        return words;
    }

    /** The class whose radius is nearest on a log scale (the boundaries are geometric means). */
    public static SizeClass nearest(double radius) {
        SizeClass best = SMALL;
        for (SizeClass s : values()) {
            if (Math.abs(Math.log(radius / s.radius)) < Math.abs(Math.log(radius / best.radius))) best = s;
        }
        return best;
    }

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static SizeClass fromId(String id) {
        try {
            return valueOf(id.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown size '" + id + "'; known: small, medium, large");
        }
    }
}
