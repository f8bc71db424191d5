package longlive.world;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Steps the world of a script one video frame at a time: applies each segment at its switch frame (continuing
 * objects by id, or respawning everything at a cut) and moves objects by their motion, reflecting off the
 * borders so they stay inside the frame forever. Purely deterministic (Java double arithmetic); cost per frame
 * is a few operations per object, so simulating an hour is instant.
 */
public final class WorldSim {
    /** Gap kept between an object's outline and the frame border, in frame-short-side units. */
    static final double BORDER_GAP = 0.01;

    private final ScriptWorld world;
    private final int[] switchFrames;
    private final double dt;
    private final int fps;
    private final List<ObjectState> objects = new ArrayList<>();
    private int frame;
    private int segment;
    /** How often a continuing object had to be pushed back inside at a switch (a visible jump); 0 for good scripts. */
    int clampJumps;

    /** Starts at frame 0 of the first segment. */
    public WorldSim(ScriptWorld world, int[] switchFrames, int fps) {
        if (switchFrames.length != world.segments().size() - 1) {
            throw new IllegalArgumentException(world.segments().size() + " segments need " + (world.segments().size() - 1)
                    + " switch frames, got " + switchFrames.length);
        }
        this.world = world;
        this.switchFrames = switchFrames.clone();
        this.fps = fps;
        this.dt = 1.0 / fps;
        apply(world.segments().get(0), true);
    }

    public WorldSim(Script script) {
        this(requireWorld(script), script.switchFrames(), script.fps());
    }

    private static ScriptWorld requireWorld(Script s) {
        if (s.world() == null) throw new IllegalArgumentException("script has no \"world\" part, so it cannot be rendered");
        return s.world();
    }

    public ScriptWorld world() {
        return world;
    }

    public int frame() {
        return frame;
    }

    public int segment() {
        return segment;
    }

    public SceneSpec scene() {
        return world.segments().get(segment).scene();
    }

    public List<ObjectState> objects() {
        return Collections.unmodifiableList(objects);
    }

    /** Horizontal pan of a panning background at this frame, in frame-short-side units. */
    public double backgroundOffset() {
        return BackgroundKind.PAN_SPEED * frame / fps;
    }

    /** Moves to the next frame. */
    public void advance() {
        frame++;
        for (ObjectState o : objects) step(o);
        if (segment < switchFrames.length && frame >= switchFrames[segment]) {
            segment++;
            apply(world.segments().get(segment), world.segments().get(segment).cut());
        }
    }

    /** Advances until {@code frame() == target}. */
    public void advanceTo(int target) {
        if (target < frame) throw new IllegalArgumentException("cannot go back from frame " + frame + " to " + target);
        while (frame < target) advance();
    }

    private void apply(Segment seg, boolean respawn) {
        List<ObjectState> next = new ArrayList<>();
        for (ObjectSpec spec : seg.scene().objects()) {
            ObjectState old = respawn ? null : find(spec.id());
            ObjectState o = old != null ? old : new ObjectState(spec);
            boolean motionChanged = old == null || old.spec.motion() != spec.motion() || old.spec.size() != spec.size();
            o.spec = spec;
            if (motionChanged) startMotion(o);
            next.add(o);
        }
        objects.clear();
        objects.addAll(next);
    }

    private ObjectState find(int id) {
        for (ObjectState o : objects) if (o.id() == id) return o;
        return null;
    }

    private double minX(ObjectState o) {
        return o.maxRadius() + BORDER_GAP;
    }

    private double maxX(ObjectState o) {
        return world.width() - o.maxRadius() - BORDER_GAP;
    }

    private double minY(ObjectState o) {
        return o.maxRadius() + BORDER_GAP;
    }

    private double maxY(ObjectState o) {
        return world.height() - o.maxRadius() - BORDER_GAP;
    }

    private void startMotion(ObjectState o) {
        Motion m = o.spec.motion();
        double x = clamp(o.x, minX(o), maxX(o)), y = clamp(o.y, minY(o), maxY(o));
        if (Math.abs(x - o.x) + Math.abs(y - o.y) > 1e-9 && frame > 0) clampJumps++;
        o.x = x;
        o.y = y;
        o.scale = 1;
        o.pulseTime = 0;
        o.vx = 0;
        o.vy = 0;
        if (m.isDirectional()) {
            double len = Math.hypot(m.dx(), m.dy());
            o.vx = Motion.DRIFT_SPEED * m.dx() / len;
            o.vy = Motion.DRIFT_SPEED * m.dy() / len;
        } else if (m == Motion.BOUNCING) {
            double h = Math.toRadians(o.spec.heading());
            o.vx = Motion.BOUNCE_SPEED * Math.cos(h);
            o.vy = Motion.BOUNCE_SPEED * Math.sin(h);
        } else if (m == Motion.ORBITING) {
            startOrbit(o);
        }
    }

    /**
     * Puts the orbit's centre toward the middle of the frame from the object's position, with the largest
     * radius (up to {@link Motion#ORBIT_RADIUS}) whose circle stays inside; the object starts on the circle,
     * so entering an orbit causes no jump.
     */
    private void startOrbit(ObjectState o) {
        double ux = world.width() / 2 - o.x, uy = world.height() / 2 - o.y, len = Math.hypot(ux, uy);
        if (len < 1e-9) {
            ux = 1;
            uy = 0;
        } else {
            ux /= len;
            uy /= len;
        }
        double r = Motion.ORBIT_RADIUS;
        for (; r > 0.02; r -= 0.005) {
            double cx = o.x + r * ux, cy = o.y + r * uy;
            if (cx - r >= minX(o) && cx + r <= maxX(o) && cy - r >= minY(o) && cy + r <= maxY(o)) break;
        }
        o.orbitRadius = Math.max(r, 0.02);
        o.orbitCx = o.x + o.orbitRadius * ux;
        o.orbitCy = o.y + o.orbitRadius * uy;
        o.orbitAngle = Math.atan2(o.y - o.orbitCy, o.x - o.orbitCx);
    }

    private void step(ObjectState o) {
        switch (o.spec.motion()) {
            case ORBITING -> {
                o.orbitAngle += 2 * Math.PI / Motion.ORBIT_PERIOD_S * dt;
                o.x = clamp(o.orbitCx + o.orbitRadius * Math.cos(o.orbitAngle), minX(o), maxX(o));
                o.y = clamp(o.orbitCy + o.orbitRadius * Math.sin(o.orbitAngle), minY(o), maxY(o));
            }
            case PULSING -> {
                o.pulseTime += dt;
                o.scale = 1 + Motion.PULSE_AMPLITUDE * Math.sin(2 * Math.PI * o.pulseTime / Motion.PULSE_PERIOD_S);
            }
            case SPINNING -> o.angle += Motion.SPIN_RATE * dt;
            default -> {
                o.x += o.vx * dt;
                o.y += o.vy * dt;
                if (o.x < minX(o)) {
                    o.x = 2 * minX(o) - o.x;
                    o.vx = Math.abs(o.vx);
                } else if (o.x > maxX(o)) {
                    o.x = 2 * maxX(o) - o.x;
                    o.vx = -Math.abs(o.vx);
                }
                if (o.y < minY(o)) {
                    o.y = 2 * minY(o) - o.y;
                    o.vy = Math.abs(o.vy);
                } else if (o.y > maxY(o)) {
                    o.y = 2 * maxY(o) - o.y;
                    o.vy = -Math.abs(o.vy);
                }
            }
        }
    }

    private static double clamp(double v, double lo, double hi) {
        return v < lo ? lo : Math.min(v, hi);
    }
}
