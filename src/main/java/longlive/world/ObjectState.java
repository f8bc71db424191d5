package longlive.world;

/**
 * Where one object is at the current frame, plus the motion state that carries across frames. Positions and
 * radii are in frame-short-side units; {@code angle} in radians.
 */
public final class ObjectState {
    ObjectSpec spec;
    double x;
    double y;
    double vx;
    double vy;
    double angle;
    double scale = 1;
    double orbitCx;
    double orbitCy;
    double orbitRadius;
    double orbitAngle;
    double pulseTime;

    ObjectState(ObjectSpec spec) {
        this.spec = spec;
        this.x = spec.x();
        this.y = spec.y();
    }

    public ObjectSpec spec() {
        return spec;
    }

    public int id() {
        return spec.id();
    }

    public double x() {
        return x;
    }

    public double y() {
        return y;
    }

    public double angle() {
        return angle;
    }

    /** Current circumradius (the size class radius times the pulsing scale). */
    public double radius() {
        return spec.size().radius() * scale;
    }

    /** Largest radius this object reaches under its current motion (used to keep it inside the frame). */
    double maxRadius() {
        return spec.size().radius() * (spec.motion() == Motion.PULSING ? 1 + Motion.PULSE_AMPLITUDE : 1);
    }
}
