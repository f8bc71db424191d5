package longlive.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import longlive.video.Frame;
import longlive.world.Background;
import longlive.world.BackgroundKind;
import longlive.world.GroundTruth;
import longlive.world.Motion;
import longlive.world.NamedColor;
import longlive.world.ObjectSpec;
import longlive.world.SceneSpec;
import longlive.world.Script;
import longlive.world.ScriptWorld;
import longlive.world.Segment;
import longlive.world.Shape;
import longlive.world.SizeClass;
import org.junit.jupiter.api.Test;

/** The metrics' detection side: each kind of damage is caught by the metric meant to catch it. */
class DamageTest {
    private static final int SIZE = 64;

    /** Two segments of 4 s: a medium red square drifting right over stripes, then turning blue and drifting up. */
    private static Script script(double switchSeconds, NamedColor secondColor, boolean cut) {
        ObjectSpec a = new ObjectSpec(0, Shape.SQUARE, NamedColor.RED, SizeClass.MEDIUM, Motion.RIGHT, 0.3, 0.55, 45);
        ObjectSpec b = new ObjectSpec(1, Shape.CIRCLE, NamedColor.YELLOW, SizeClass.SMALL, Motion.STILL, 0.75, 0.2, 45);
        Background bg = new Background(BackgroundKind.STRIPES, NamedColor.NAVY, NamedColor.BLACK, false);
        SceneSpec s0 = new SceneSpec(bg, List.of(a, b));
        ObjectSpec a1 = cut ? new ObjectSpec(0, Shape.SQUARE, secondColor, SizeClass.MEDIUM, Motion.UP, 0.75, 0.75, 45)
                : a.withColor(secondColor).withMotion(Motion.UP);
        SceneSpec s1 = new SceneSpec(bg, List.of(a1, b));
        return new Script(List.of("red square drifts right", "blue square rises"), List.of(switchSeconds), 8, 16,
                new ScriptWorld(0, 1, List.of(new Segment(s0, false), new Segment(s1, cut))));
    }

    private static final Script TRUTH = script(4, NamedColor.BLUE, false);

    private static final List<Frame> TRUTH_FRAMES = GroundTruth.frames(TRUTH, SIZE, SIZE);
    private static final EvalReport CLEAN = Evaluator.evaluate(TRUTH_FRAMES, 16, TRUTH);

    /** The undamaged frames (shared: damage functions copy before changing pixels). */
    private static List<Frame> truth() {
        return TRUTH_FRAMES;
    }

    private static EvalReport eval(List<Frame> frames) {
        return Evaluator.evaluate(frames, 16, TRUTH);
    }

    private static List<Frame> map(List<Frame> in, java.util.function.BiFunction<Integer, Frame, Frame> f) {
        List<Frame> out = new ArrayList<>();
        for (int i = 0; i < in.size(); i++) out.add(f.apply(i, in.get(i)));
        return out;
    }

    @Test
    void theUndamagedVideoIsClean() {
        EvalReport r = CLEAN;
        assertTrue(r.summary().adherence() > 0.99, r.summary().toString());
        assertEquals(0, r.switches().get(0).latencyFrames());
        assertTrue(r.switches().get(0).continuous());
    }

    @Test
    void noiseRaisesTheFlatRegionNoise() {
        double clean = CLEAN.summary().noise();
        SplittableRandom rng = new SplittableRandom(1);
        EvalReport r = eval(map(truth(), (i, f) -> {
            Frame g = f.copy();
            byte[] p = g.rgb();
            for (int k = 0; k < p.length; k++) p[k] = (byte) Math.max(0, Math.min(255, (p[k] & 0xFF) + (int) Math.round(rng.nextGaussian() * 10)));
            return g;
        }));
        assertTrue(r.summary().noise() > 3 * clean && r.summary().noise() > 8, "noise " + clean + " -> " + r.summary().noise());
    }

    @Test
    void blurLowersEdgeSharpness() {
        double clean = CLEAN.summary().sharpness();
        EvalReport r = eval(map(truth(), (i, f) -> boxBlur(boxBlur(f))));
        assertTrue(r.summary().sharpness() < clean - 0.12, "sharpness " + clean + " -> " + r.summary().sharpness());
    }

    @Test
    void colourDriftShowsInThePaletteErrorTrendAndColourAdherence() {
        EvalReport clean = CLEAN;
        // the picture slowly turns warmer: red gain up, blue gain down, reaching +-45% at the end
        List<Frame> frames = truth();
        int n = frames.size();
        EvalReport r = eval(map(frames, (i, f) -> {
            double k = 0.45 * i / (n - 1);
            Frame g = f.copy();
            byte[] p = g.rgb();
            for (int j = 0; j < p.length; j += 3) {
                p[j] = (byte) Math.min(255, Math.round((p[j] & 0xFF) * (1 + k)));
                p[j + 2] = (byte) Math.round((p[j + 2] & 0xFF) * (1 - k));
            }
            return g;
        }));
        EvalReport.Drift pal = r.drift().get("paletteError");
        assertTrue(pal.delta() > 8 && pal.slopePerMinute() > 0, "palette error drift " + pal);
        assertTrue(Math.abs(clean.drift().get("paletteError").delta()) < 3, "clean drift " + clean.drift().get("paletteError"));
        assertTrue(r.drift().get("adherence").delta() < -0.1, "adherence drift " + r.drift().get("adherence"));
    }

    @Test
    void frozenFramesAreCountedAndBreakMotionAdherence() {
        EvalReport r = eval(freeze(truth(), 8, 56));
        assertTrue(r.summary().frozenFrames() >= 40, "frozen " + r.summary().frozenFrames());
        // one of the two objects should drift right; frozen for most of the segment it does not
        double motion = r.segments().get(0).adherence().get("motion");
        assertTrue(motion < 0.7, "motion adherence while frozen " + motion);
        assertEquals(0, CLEAN.summary().frozenFrames());
    }

    private static List<Frame> freeze(List<Frame> in, int from, int to) {
        List<Frame> out = new ArrayList<>(in);
        for (int i = from; i < to; i++) out.set(i, in.get(from));
        return out;
    }

    @Test
    void aRemainderOfAFewFramesIsNotTheLastDriftBin() {
        // 91 frames: bins of 10, so the last frame alone would be an eleventh bin; here that frame is black
        List<Frame> frames = new ArrayList<>(truth().subList(0, 91));
        Frame last = frames.get(90);
        frames.set(90, new Frame(last.width(), last.height(), new byte[last.rgb().length]));
        EvalReport.Drift adh = eval(frames).drift().get("adherence");
        assertEquals(9, adh.bins().size(), "the one-frame remainder joins the bin before it: " + adh);
        assertTrue(adh.last() > 0.5, "the last bin is ten good frames and one black one: " + adh);
    }

    @Test
    void aTeleportingObjectIsCaught() {
        List<Frame> frames = truth();
        // from frame 30 on, the first segment's picture is shifted 12 px to the right: the square jumps
        EvalReport r = eval(map(frames, (i, f) -> i >= 30 && i < 64 ? shiftRight(f, 12) : f));
        assertTrue(r.summary().teleports() >= 1, "teleports " + r.summary().teleports());
        assertEquals(0, CLEAN.summary().teleports());
    }

    @Test
    void aLateSwitchShowsAsLatency() {
        List<Frame> late = GroundTruth.frames(script(5.5, NamedColor.BLUE, false), SIZE, SIZE);
        EvalReport r = eval(late);
        Integer latency = r.switches().get(0).latencyFrames();
        assertTrue(latency != null && latency >= 22 && latency <= 26, "latency " + latency + " (switch 24 frames late)");
    }

    @Test
    void aWrongColourFailsColourAdherenceOfThatSegment() {
        EvalReport r = eval(GroundTruth.frames(script(4, NamedColor.GREEN, false), SIZE, SIZE));
        assertTrue(r.segments().get(1).adherence().get("color") <= 0.55, "colour adherence " + r.segments().get(1).adherence());
        assertTrue(r.segments().get(0).adherence().get("color") > 0.99);
        assertEquals(-1, r.switches().get(0).latencyFrames(), "the new attributes never hold");
    }

    @Test
    void anUnintendedCutBreaksVisualContinuity() {
        EvalReport r = eval(GroundTruth.frames(script(4, NamedColor.BLUE, true), SIZE, SIZE));
        EvalReport.SwitchReport s = r.switches().get(0);
        assertFalse(s.continuous(), s.toString());
        assertTrue(s.jump() > 0.1, s.toString());
    }

    private static Frame boxBlur(Frame f) {
        Frame g = f.copy();
        int w = f.width(), h = f.height();
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                for (int c = 0; c < 3; c++) {
                    int s = 0, n = 0;
                    for (int dy = -1; dy <= 1; dy++) {
                        for (int dx = -1; dx <= 1; dx++) {
                            int xx = x + dx, yy = y + dy;
                            if (xx < 0 || yy < 0 || xx >= w || yy >= h) continue;
                            s += f.get(xx, yy, c);
                            n++;
                        }
                    }
                    g.rgb()[3 * (y * w + x) + c] = (byte) Math.round((double) s / n);
                }
            }
        }
        return g;
    }

    private static Frame shiftRight(Frame f, int dx) {
        Frame g = f.copy();
        int w = f.width();
        for (int y = 0; y < f.height(); y++) {
            for (int x = 0; x < w; x++) {
                int sx = Math.max(0, x - dx);
                g.set(x, y, f.get(sx, y, 0), f.get(sx, y, 1), f.get(sx, y, 2));
            }
        }
        return g;
    }
}
