package longlive.eval;

import longlive.world.Shape;

/**
 * Names a blob's shape from its mask alone, independent of rotation and scale. A hole makes a ring. Otherwise
 * the n-fold harmonics of the mass around the centroid decide: a triangle has a strong 3-fold pattern, a square
 * a 4-fold one, a five-pointed star a 5-fold one, a circle none. Each harmonic is compared with its typical value
 * for the ideal shape (measured on renders down to 5-pixel radii through H.264), so small shapes still separate;
 * solidity breaks the one confusable case (a small star whose 4-fold harmonic is strong is still concave).
 */
public final class ShapeClassifier {
    /** Hole share above which a region is a ring (a ring's hole is 30% of its disc). */
    static final double RING_HOLE = 0.10;
    /** Typical harmonic strength of a triangle (3-fold), square (4-fold) and star (5-fold). */
    static final double TYPICAL3 = 0.55;
    static final double TYPICAL4 = 0.30;
    static final double TYPICAL5 = 0.44;
    /** A shape is round when every harmonic stays below these (pixelated circles reach 0.19, 0.07, 0.11). */
    static final double ROUND3 = 0.24;
    static final double ROUND4 = 0.11;
    static final double ROUND5 = 0.17;
    /** Below this solidity a 4-fold-dominant shape with a clear 5-fold pattern is a star, not a pixelated square. */
    static final double SQUARE_SOLIDITY = 0.88;

    private ShapeClassifier() {
    }

    /**
     * Circumradius in pixels estimated from the filled area and the shape's ideal fill of its circumscribed circle
     * (circle and ring 1, square 2/pi, triangle 0.41, star 0.42); steadier than the farthest pixel, which
     * compression halos and pixelation inflate.
     */
    public static double radius(Blob b, Shape shape) {
        double fill = switch (shape) {
            case CIRCLE, RING -> 1.0;
            case SQUARE -> 2 / Math.PI;
            case TRIANGLE -> 3 * Math.sqrt(3) / (4 * Math.PI);
            case STAR -> 5 * Shape.STAR_INNER * Math.sin(Math.PI / 5) / Math.PI;
        };
        return Math.sqrt((b.area() + b.holeArea()) / (Math.PI * fill));
    }

    public static Shape classify(Blob b) {
        if (b.holeShare() > RING_HOLE) return Shape.RING;
        if (b.harmonic3() < ROUND3 && b.harmonic4() < ROUND4 && b.harmonic5() < ROUND5) return Shape.CIRCLE;
        double t = b.harmonic3() / TYPICAL3, s = b.harmonic4() / TYPICAL4, st = b.harmonic5() / TYPICAL5;
        if (s >= t && s >= st && (b.solidity() >= SQUARE_SOLIDITY || st < 0.5)) return Shape.SQUARE;
        return t >= st ? Shape.TRIANGLE : Shape.STAR;
    }
}
