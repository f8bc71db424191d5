package longlive.eval;

import longlive.world.NamedColor;

/** sRGB to CIELAB (D65) and colour naming by the nearest named colour, the perceptual space the metrics use. */
public final class Lab {
    private Lab() {
    }

    /** {L, a, b} of an sRGB colour given as 0..255 doubles. */
    public static double[] of(double r, double g, double b) {
        double lr = lin(r / 255), lg = lin(g / 255), lb = lin(b / 255);
        double x = (0.4124 * lr + 0.3576 * lg + 0.1805 * lb) / 0.95047;
        double y = 0.2126 * lr + 0.7152 * lg + 0.0722 * lb;
        double z = (0.0193 * lr + 0.1192 * lg + 0.9505 * lb) / 1.08883;
        double fx = f(x), fy = f(y), fz = f(z);
        return new double[] {116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)};
    }

    public static double[] of(NamedColor c) {
        return of(c.r(), c.g(), c.b());
    }

    /** CIE76 colour difference. */
    public static double deltaE(double[] p, double[] q) {
        return Math.sqrt((p[0] - q[0]) * (p[0] - q[0]) + (p[1] - q[1]) * (p[1] - q[1]) + (p[2] - q[2]) * (p[2] - q[2]));
    }

    /** Chroma (colourfulness) of a Lab colour. */
    public static double chroma(double[] lab) {
        return Math.hypot(lab[1], lab[2]);
    }

    /** The named colour of the given role nearest to an sRGB colour. */
    public static NamedColor nearest(double r, double g, double b, NamedColor.Role role) {
        double[] lab = of(r, g, b);
        NamedColor best = null;
        double bestD = Double.MAX_VALUE;
        for (NamedColor c : NamedColor.values()) {
            if (c.role() != role) continue;
            double d = deltaE(lab, LABS[c.ordinal()]);
            if (d < bestD) {
                bestD = d;
                best = c;
            }
        }
        return best;
    }

    /** Distance from an sRGB colour to the nearest named colour of the role (palette fidelity). */
    public static double distanceToPalette(double r, double g, double b, NamedColor.Role role) {
        return deltaE(of(r, g, b), LABS[nearest(r, g, b, role).ordinal()]);
    }

    private static final double[][] LABS = new double[NamedColor.values().length][];

    static {
        for (NamedColor c : NamedColor.values()) LABS[c.ordinal()] = of(c);
    }

    private static double lin(double c) {
        return c <= 0.04045 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
    }

    private static double f(double t) {
        return t > 0.008856 ? Math.cbrt(t) : 7.787 * t + 16.0 / 116;
    }
}
