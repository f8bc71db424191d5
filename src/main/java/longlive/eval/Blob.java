package longlive.eval;

/**
 * One connected foreground region of a frame and the measurements the metrics need. Lengths in pixels.
 *
 * @param area      pixels in the region
 * @param cx        centroid x (pixel centres at +0.5)
 * @param cy        centroid y
 * @param maxRadius farthest pixel edge from the centroid: the circumradius of the shape
 * @param holeArea  enclosed background pixels (a ring's hole)
 * @param solidity  (area + holes) / convex hull area: low for stars
 * @param r         mean colour of interior pixels (0..255)
 * @param g         mean green
 * @param b         mean blue
 * @param phase3    orientation of the 3-fold pattern (radians, period 2pi/3): how far a triangle is turned
 * @param phase4    orientation for squares (period pi/2)
 * @param phase5    orientation for stars (period 2pi/5)
 * @param harmonic3 strength of the 3-fold pattern of the mass around the centroid, |sum d^2 e^(3i theta)| / sum d^2:
 *                  near 0 for round shapes, large for triangles
 * @param harmonic4 4-fold strength (squares)
 * @param harmonic5 5-fold strength (stars)
 */
public record Blob(int area, double cx, double cy, double maxRadius, int holeArea, double solidity, double r, double g, double b,
                   double phase3, double phase4, double phase5, double harmonic3, double harmonic4, double harmonic5) {

    /** Filled area over the area of the circumscribed circle: 1 circle, 0.64 square, 0.41 triangle. */
    public double fill() {
        return (area + holeArea) / (Math.PI * maxRadius * maxRadius);
    }

    /** Share of the filled outline that is hole. */
    public double holeShare() {
        return (double) holeArea / (area + holeArea);
    }

    public double[] lab() {
        return Lab.of(r, g, b);
    }

    /** Orientation phase for an n-fold symmetric shape (n = 3, 4, 5). */
    public double phase(int n) {
        return switch (n) {
            case 3 -> phase3;
            case 4 -> phase4;
            case 5 -> phase5;
            default -> 0;
        };
    }
}
