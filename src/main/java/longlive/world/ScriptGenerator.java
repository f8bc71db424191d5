package longlive.world;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Random multi-segment scripts whose ground truth is clean: every switch changes one or two attributes (colour,
 * motion, background, size, or adds an object) while the objects continue, or (rarely) is an explicit scene cut.
 * Each candidate segment is checked by simulating it: objects never overlap, directional drifts never reach a
 * border within their segment (so "drifts right" stays true), and no object has to be pushed inside at a switch.
 */
public final class ScriptGenerator {
    /** Gap kept between object outlines, in frame-short-side units. */
    static final double OBJECT_GAP = 0.03;
    private static final int TRIES = 80;
    /** Smallest orbit the generator accepts (an orbit squeezed by the borders looks like a wobble). */
    static final double MIN_ORBIT_RADIUS = 0.07;

    /**
     * @param lengthSeconds  video length
     * @param segments       number of prompts
     * @param aspect         width / height
     * @param fps            frame rate
     * @param cutProbability chance that a switch is a scene cut
     * @param panning        whether patterned backgrounds may pan
     * @param maxObjects     1..3
     */
    public record Options(double lengthSeconds, int segments, double aspect, int fps, double cutProbability, boolean panning,
                          int maxObjects) {
        public Options {
            if (!(lengthSeconds >= 0.5)) throw new IllegalArgumentException("length must be >= 0.5 s, got " + lengthSeconds);
            if (segments < 1 || lengthSeconds / segments < 0.5) {
                throw new IllegalArgumentException(segments + " segments do not fit in " + lengthSeconds + " s (need >= 0.5 s each)");
            }
            if (fps < 1) throw new IllegalArgumentException("fps must be >= 1");
            if (!(cutProbability >= 0 && cutProbability <= 1)) throw new IllegalArgumentException("cutProbability must be in 0..1");
            if (maxObjects < 1 || maxObjects > SceneSpec.MAX_OBJECTS) throw new IllegalArgumentException("maxObjects must be 1..3");
        }

        public static Options of(double lengthSeconds, int segments) {
            return new Options(lengthSeconds, segments, 1.0, Script.DEFAULT_FPS, 0.1, true, SceneSpec.MAX_OBJECTS);
        }
    }

    private ScriptGenerator() {
    }

    public static Script generate(long seed, Options opt) {
        SplittableRandom rng = new SplittableRandom(seed);
        List<Double> switches = switchTimes(rng, opt);
        int[] frames = new int[switches.size()];
        for (int i = 0; i < frames.length; i++) frames[i] = (int) Math.round(switches.get(i) * opt.fps());
        int total = (int) Math.round(opt.lengthSeconds() * opt.fps());
        double w = Math.max(opt.aspect(), 1), h = Math.max(1 / opt.aspect(), 1);
        List<Segment> segs = new ArrayList<>();
        for (int s = 0; s < opt.segments(); s++) {
            int end = s < frames.length ? frames[s] : total;
            Segment chosen = null;
            for (int t = 0; t < TRIES && chosen == null; t++) {
                Segment cand = s == 0 ? new Segment(randomScene(rng, w, h, opt), false) : change(rng, segs.get(s - 1).scene(), w, h, opt);
                if (valid(segs, cand, frames, end, seed, opt)) chosen = cand;
            }
            if (chosen == null) chosen = s == 0 ? fallbackScene(w, h) : freeze(rng, segs.get(s - 1).scene(), opt);
            segs.add(chosen);
        }
        List<String> prompts = new ArrayList<>();
        for (int s = 0; s < segs.size(); s++) prompts.add(Captioner.caption(segs.get(s).scene(), seed * 1_000_003L + s));
        return new Script(prompts, switches, opt.lengthSeconds(), opt.fps(), new ScriptWorld(seed, opt.aspect(), segs));
    }

    /** Equal shares jittered by up to a quarter, on a quarter-second grid (whole frames at 16 fps). */
    private static List<Double> switchTimes(SplittableRandom rng, Options opt) {
        List<Double> out = new ArrayList<>();
        double share = opt.lengthSeconds() / opt.segments(), prev = 0;
        for (int i = 1; i < opt.segments(); i++) {
            double t = Math.round((share * i + (rng.nextDouble() - 0.5) * 0.5 * share) * 4) / 4.0;
            t = Math.max(t, prev + 0.5);
            t = Math.min(t, opt.lengthSeconds() - 0.5 * (opt.segments() - i));
            out.add(t);
            prev = t;
        }
        return out;
    }

    static SceneSpec randomScene(SplittableRandom rng, double w, double h, Options opt) {
        Background bg = randomBackground(rng, opt.panning());
        int n = 1 + (rng.nextDouble() < 0.5 ? 0 : rng.nextDouble() < 0.6 ? 1 : 2);
        n = Math.min(n, opt.maxObjects());
        List<ObjectSpec> objs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ObjectSpec o = newObject(rng, i, objs, bg, w, h);
            if (o != null) objs.add(o);
        }
        if (objs.isEmpty()) return fallbackScene(w, h).scene();
        return new SceneSpec(bg, objs);
    }

    private static Segment fallbackScene(double w, double h) {
        return new Segment(new SceneSpec(Background.solid(NamedColor.NAVY), List.of(new ObjectSpec(0, Shape.CIRCLE, NamedColor.RED,
                SizeClass.MEDIUM, Motion.STILL, w / 2, h / 2, 45))), false);
    }

    static Background randomBackground(SplittableRandom rng, boolean panning) {
        List<NamedColor> cols = NamedColor.ofRole(NamedColor.Role.BACKGROUND);
        List<NamedColor> dark = cols.stream().filter(c -> !c.isLight()).toList();
        BackgroundKind kind = BackgroundKind.values()[rng.nextInt(BackgroundKind.values().length)];
        if (kind == BackgroundKind.SOLID) return Background.solid(cols.get(rng.nextInt(cols.size())));
        // patterns use two dark colours: they stay distinct from every object colour
        NamedColor a = dark.get(rng.nextInt(dark.size())), b;
        do {
            b = dark.get(rng.nextInt(dark.size()));
        } while (b == a);
        return new Background(kind, a, b, panning && kind.isPatterned() && rng.nextDouble() < 0.3);
    }

    /** A new object with a free position and a colour no other object has; null if none fits. */
    private static ObjectSpec newObject(SplittableRandom rng, int id, List<ObjectSpec> others, Background bg, double w, double h) {
        NamedColor color = freeColor(rng, others, bg, null);
        if (color == null) return null;
        Shape shape = Shape.values()[rng.nextInt(Shape.values().length)];
        SizeClass size = SizeClass.values()[rng.nextInt(others.size() >= 1 ? 2 : 3)];
        for (int t = 0; t < 50; t++) {
            double m = size.radius() * (1 + Motion.PULSE_AMPLITUDE) + WorldSim.BORDER_GAP + 0.01;
            double x = ScriptIo.round(m + rng.nextDouble() * (w - 2 * m)), y = ScriptIo.round(m + rng.nextDouble() * (h - 2 * m));
            boolean free = true;
            for (ObjectSpec o : others) {
                double need = (o.size().radius() + size.radius()) * (1 + Motion.PULSE_AMPLITUDE) + OBJECT_GAP + 0.05;
                if (Math.hypot(o.x() - x, o.y() - y) < need) free = false;
            }
            if (free) return new ObjectSpec(id, shape, color, size, randomMotion(rng, shape), x, y, heading(rng));
        }
        return null;
    }

    private static double heading(SplittableRandom rng) {
        return 20 + 25 * rng.nextInt(3) + 90 * rng.nextInt(4); // never axis-parallel, so bouncing covers the frame
    }

    private static NamedColor freeColor(SplittableRandom rng, List<ObjectSpec> others, Background bg, NamedColor avoid) {
        List<NamedColor> ok = new ArrayList<>();
        for (NamedColor c : NamedColor.ofRole(NamedColor.Role.OBJECT)) {
            if (c == avoid || !bg.contrastsWith(c)) continue;
            if (others.stream().noneMatch(o -> o.color() == c)) ok.add(c);
        }
        return ok.isEmpty() ? null : ok.get(rng.nextInt(ok.size()));
    }

    static Motion randomMotion(SplittableRandom rng, Shape shape) {
        while (true) {
            Motion m = Motion.values()[rng.nextInt(Motion.values().length)];
            if (m == Motion.SPINNING && shape.isRound()) continue;
            return m;
        }
    }

    /** A switch: one or two attribute changes, or a cut to a new scene. */
    private static Segment change(SplittableRandom rng, SceneSpec prev, double w, double h, Options opt) {
        if (rng.nextDouble() < opt.cutProbability()) return new Segment(randomScene(rng, w, h, opt), true);
        SceneSpec s = prev;
        int changes = rng.nextDouble() < 0.7 ? 1 : 2;
        for (int c = 0; c < changes; c++) s = changeOnce(rng, s, w, h, opt);
        return new Segment(s, false);
    }

    private static SceneSpec changeOnce(SplittableRandom rng, SceneSpec s, double w, double h, Options opt) {
        List<ObjectSpec> objs = new ArrayList<>(s.objects());
        int i = rng.nextInt(objs.size());
        ObjectSpec o = objs.get(i);
        switch (rng.nextInt(5)) {
            case 0 -> {
                List<ObjectSpec> others = new ArrayList<>(objs);
                others.remove(i);
                NamedColor c = freeColor(rng, others, s.background(), o.color());
                if (c != null) objs.set(i, o.withColor(c));
            }
            case 1 -> {
                Motion m;
                do {
                    m = randomMotion(rng, o.shape());
                } while (m == o.motion());
                objs.set(i, o.withMotion(m));
            }
            case 2 -> {
                Background b;
                do {
                    b = randomBackground(rng, opt.panning());
                } while (b.equals(s.background()) || !allContrast(objs, b));
                return new SceneSpec(b, objs);
            }
            case 3 -> {
                SizeClass z;
                do {
                    z = SizeClass.values()[rng.nextInt(3)];
                } while (z == o.size());
                objs.set(i, o.withSize(z));
            }
            default -> {
                if (objs.size() < opt.maxObjects()) {
                    int id = objs.stream().mapToInt(ObjectSpec::id).max().orElse(-1) + 1;
                    ObjectSpec added = newObject(rng, id, objs, s.background(), w, h);
                    if (added != null) objs.add(added);
                }
            }
        }
        return new SceneSpec(s.background(), objs);
    }

    private static boolean allContrast(List<ObjectSpec> objs, Background b) {
        for (ObjectSpec o : objs) if (!b.contrastsWith(o.color())) return false;
        return true;
    }

    /** Fallback switch that is always clean: every object stops, the background changes. */
    private static Segment freeze(SplittableRandom rng, SceneSpec prev, Options opt) {
        List<ObjectSpec> objs = prev.objects().stream().map(o -> o.withMotion(Motion.STILL)).toList();
        Background b;
        do {
            b = randomBackground(rng, false);
        } while (b.equals(prev.background()) || !allContrast(objs, b));
        return new Segment(new SceneSpec(b, objs), false);
    }

    /** Simulates the candidate segment after the accepted ones and checks it stays clean. */
    private static boolean valid(List<Segment> accepted, Segment cand, int[] frames, int end, long seed, Options opt) {
        List<Segment> segs = new ArrayList<>(accepted);
        segs.add(cand);
        int k = segs.size() - 1;
        int[] sw = java.util.Arrays.copyOf(frames, k);
        WorldSim sim = new WorldSim(new ScriptWorld(seed, opt.aspect(), segs), sw, opt.fps());
        int start = k == 0 ? 0 : frames[k - 1];
        sim.advanceTo(start);
        if (sim.clampJumps > 0) return false;
        for (ObjectState o : sim.objects()) {
            if (o.spec.motion() == Motion.ORBITING && o.orbitRadius < MIN_ORBIT_RADIUS) return false; // too cramped to read as an orbit
        }
        double[] vx = new double[sim.objects().size()], vy = new double[vx.length];
        for (int f = start; f < end; f++) {
            List<ObjectState> os = sim.objects();
            for (int a = 0; a < os.size(); a++) {
                ObjectState o = os.get(a);
                if (f == start) {
                    vx[a] = o.vx;
                    vy[a] = o.vy;
                } else if (o.spec.motion().isDirectional() && (Math.signum(o.vx) != Math.signum(vx[a]) || Math.signum(o.vy) != Math.signum(vy[a]))) {
                    return false; // a drift reached the border
                }
                for (int b = a + 1; b < os.size(); b++) {
                    ObjectState p = os.get(b);
                    if (Math.hypot(o.x - p.x, o.y - p.y) < o.maxRadius() + p.maxRadius() + OBJECT_GAP) return false;
                }
            }
            if (f + 1 < end) sim.advance();
        }
        return true;
    }
}
