package longlive.eval;

import longlive.world.Motion;

/**
 * Labels an object's motion at one frame from its track alone (positions in frame-short-side units, radii,
 * orientation phases), looking {@link #HALF_WINDOW} frames to each side. The thresholds sit between the world's
 * speeds: drift 0.05/s, bouncing and orbiting 0.22/s, orbit turning 90 degrees/s, pulsing +-15%, spinning 90 degrees/s.
 */
public final class MotionClassifier {
    /** Frames on each side of the labelled frame (0.75 s at 16 fps: long enough to see an orbit curve). */
    public static final int HALF_WINDOW = 12;
    /** Frames on each side used for the pulsing test (a full pulse period). */
    static final int PULSE_HALF_WINDOW = 20;
    static final double MOVING_SPEED = 0.022;
    static final double FAST_SPEED = 0.14;
    static final double ORBIT_SPEED = 0.03;
    static final double ORBIT_TURN_DEG = 12;
    static final double ORBIT_TOTAL_TURN_DEG = 60;
    static final double PULSE_RANGE = 0.14;
    static final double SPIN_RATE = 0.5;

    private MotionClassifier() {
    }

    /**
     * The motion at frame t, or null when the window leaves [from, to) or the object is missing in it.
     *
     * @param x        track x per frame (NaN where not found)
     * @param y        track y
     * @param radius   radius per frame (units)
     * @param phase    orientation phase per frame for the shape's symmetry (radians), or null for round shapes
     * @param symmetry the symmetry order the phase refers to (its period is 2 pi / symmetry)
     */
    public static Motion classify(double[] x, double[] y, double[] radius, double[] phase, int symmetry, int t, int from, int to, double fps) {
        int k = HALF_WINDOW;
        if (t - k < from || t + k >= to) return null;
        for (int i = t - k; i <= t + k; i++) if (Double.isNaN(x[i])) return null;
        double seconds = 2.0 * k / fps;
        double path = 0;
        for (int i = t - k; i + 2 <= t + k; i += 2) path += Math.hypot(x[i + 2] - x[i], y[i + 2] - y[i]);
        double pathSpeed = path / seconds;
        double dx = x[t + k] - x[t - k], dy = y[t + k] - y[t - k];
        double netSpeed = Math.hypot(dx, dy) / seconds;
        if (pathSpeed > ORBIT_SPEED && turnsSteadily(x, y, t, k)) return Motion.ORBITING;
        if (pathSpeed > FAST_SPEED) return Motion.BOUNCING;
        if (netSpeed > MOVING_SPEED) {
            int sector = (int) Math.round(Math.atan2(dy, dx) / (Math.PI / 4));
            return switch ((sector + 8) % 8) {
                case 0 -> Motion.RIGHT;
                case 1 -> Motion.DOWN_RIGHT;
                case 2 -> Motion.DOWN;
                case 3 -> Motion.DOWN_LEFT;
                case 4 -> Motion.LEFT;
                case 5 -> Motion.UP_LEFT;
                case 6 -> Motion.UP;
                default -> Motion.UP_RIGHT;
            };
        }
        int a = Math.max(from, t - PULSE_HALF_WINDOW), b = Math.min(to - 1, t + PULSE_HALF_WINDOW);
        double lo = Double.MAX_VALUE, hi = 0, sum = 0;
        int n = 0;
        for (int i = a; i <= b; i++) {
            if (Double.isNaN(radius[i])) continue;
            lo = Math.min(lo, radius[i]);
            hi = Math.max(hi, radius[i]);
            sum += radius[i];
            n++;
        }
        if (n > 2 * k && (hi - lo) / (sum / n) > PULSE_RANGE) return Motion.PULSING;
        if (phase != null && symmetry > 0) {
            double period = 2 * Math.PI / symmetry, turned = 0;
            for (int i = t - k; i < t + k; i++) {
                double d = phase[i + 1] - phase[i];
                d -= period * Math.round(d / period); // unwrap: the shape looks the same every period
                turned += d;
            }
            if (Math.abs(turned) / seconds > SPIN_RATE) return Motion.SPINNING;
        }
        return Motion.STILL;
    }

    /**
     * Whether the heading turns the same way by a clear angle between each quarter of the window (an orbit turns
     * about 34 degrees per quarter); a bounce turns once, at the wall, and runs straight otherwise.
     */
    private static boolean turnsSteadily(double[] x, double[] y, int t, int k) {
        int q = k / 2;
        double prev = Double.NaN, total = 0;
        int sign = 0;
        for (int s = t - k; s + q <= t + k; s += q) {
            double h = Math.atan2(y[s + q] - y[s], x[s + q] - x[s]);
            if (!Double.isNaN(prev)) {
                double turn = Math.toDegrees(Math.IEEEremainder(h - prev, 2 * Math.PI));
                if (Math.abs(turn) < ORBIT_TURN_DEG) return false;
                int sg = turn > 0 ? 1 : -1;
                if (sign != 0 && sg != sign) return false;
                sign = sg;
                total += Math.abs(turn);
            }
            prev = h;
        }
        return total >= ORBIT_TOTAL_TURN_DEG;
    }
}
