package longlive.world;

import java.util.List;
import java.util.Locale;

/**
 * How an object moves. Directions are on screen: up is toward the top row. Directional motions drift slowly
 * ({@link #DRIFT_SPEED}); {@link #BOUNCING} moves fast and reflects off the borders; every motion reflects off
 * the borders, so objects stay inside the frame forever.
 */
public enum Motion {
    STILL(0, 0, "stays still", "rests in place", "sits motionless", "still"),
    LEFT(-1, 0, "drifts to the left", "moves left", "slides leftward", "moving left"),
    RIGHT(1, 0, "drifts to the right", "moves right", "glides rightward", "moving right"),
    UP(0, -1, "rises upward", "moves up", "floats up", "moving up"),
    DOWN(0, 1, "sinks downward", "moves down", "drifts down", "moving down"),
    UP_LEFT(-1, -1, "drifts up and to the left", "moves diagonally up-left", "glides toward the top left", "moving up-left"),
    UP_RIGHT(1, -1, "drifts up and to the right", "moves diagonally up-right", "glides toward the top right", "moving up-right"),
    DOWN_LEFT(-1, 1, "drifts down and to the left", "moves diagonally down-left", "glides toward the bottom left", "moving down-left"),
    DOWN_RIGHT(1, 1, "drifts down and to the right", "moves diagonally down-right", "glides toward the bottom right", "moving down-right"),
    BOUNCING(0, 0, "bounces around the frame", "ricochets off the edges", "zips around bouncing off the walls", "bouncing"),
    ORBITING(0, 0, "circles in an orbit", "travels in a circle", "orbits around a point", "orbiting"),
    PULSING(0, 0, "grows and shrinks", "pulses in size", "swells and shrinks rhythmically", "pulsing"),
    SPINNING(0, 0, "spins in place", "rotates on the spot", "twirls around", "spinning");

    /** Drift speed of directional motions, in frame-short-sides per second. */
    public static final double DRIFT_SPEED = 0.05;
    /** Speed of a bouncing object. */
    public static final double BOUNCE_SPEED = 0.22;
    /** Orbit: largest radius and period. */
    public static final double ORBIT_RADIUS = 0.14;
    public static final double ORBIT_PERIOD_S = 4.0;
    /** Pulsing: relative amplitude and period. */
    public static final double PULSE_AMPLITUDE = 0.15;
    public static final double PULSE_PERIOD_S = 2.5;
    /** Spinning speed in radians per second (a quarter turn per second). */
    public static final double SPIN_RATE = Math.PI / 2;

    private final int dx;
    private final int dy;
    private final List<String> phrases;

    Motion(int dx, int dy, String... phrases) {
        this.dx = dx;
        this.dy = dy;
        this.phrases = List.of(phrases);
    }

    /** Unit direction x component (-1, 0, 1); 0 for non-directional motions. */
    public int dx() {
        return dx;
    }

    public int dy() {
        return dy;
    }

    public boolean isDirectional() {
        return dx != 0 || dy != 0;
    }

    /** Verb phrases for captions ("drifts to the right"); the last entry is the short form ("moving right"). */
    public List<String> phrases() {
        return phrases;
    }

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Motion fromId(String id) {
        try {
            return valueOf(id.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown motion '" + id + "'; known: " + List.of(values()).stream().map(Motion::id).toList());
        }
    }

    /** The directional motion for a direction given by its signs. */
    public static Motion direction(int dx, int dy) {
        for (Motion m : values()) if (m.isDirectional() && m.dx == Integer.signum(dx) && m.dy == Integer.signum(dy)) return m;
        return STILL;
    }
}
