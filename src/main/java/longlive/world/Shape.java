package longlive.world;

import java.util.List;
import java.util.Locale;

/** Object shapes. Every shape fits in a circle of the object's radius (its circumradius). */
public enum Shape {
    CIRCLE(0, "circle", "ball", "disc", "dot"),
    SQUARE(4, "square", "box", "block", "tile"),
    TRIANGLE(3, "triangle", "wedge", "pyramid shape"),
    RING(0, "ring", "donut", "hoop", "loop"),
    STAR(5, "star", "five-pointed star", "starburst");

    /** Ring inner radius as a fraction of the outer radius. */
    public static final double RING_INNER = 0.55;
    /** Star inner (notch) radius as a fraction of the tip radius. */
    public static final double STAR_INNER = 0.45;

    private final int symmetry;
    private final List<String> words;

    Shape(int symmetry, String... words) {
        this.symmetry = symmetry;
        this.words = List.of(words);
    }

    /** Rotational symmetry order (4 for a square); 0 for round shapes, which cannot visibly spin. */
    public int symmetry() {
        return symmetry;
    }

    public boolean isRound() {
        return symmetry == 0;
    }

    public List<String> words() {
        return words;
    }

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Shape fromId(String id) {
        try {
            return valueOf(id.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown shape '" + id + "'; known: circle, square, triangle, ring, star");
        }
    }
}
