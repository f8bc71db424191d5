package longlive.world;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import longlive.video.Frame;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WorldTest {
    @TempDir
    Path dir;

    @Test
    void generationAndRenderingAreDeterministic() {
        Script a = ScriptGenerator.generate(42, ScriptGenerator.Options.of(8, 3));
        Script b = ScriptGenerator.generate(42, ScriptGenerator.Options.of(8, 3));
        assertEquals(ScriptIo.toLine(a), ScriptIo.toLine(b));
        assertEquals(GroundTruth.frames(a, 64, 64), GroundTruth.frames(b, 64, 64));
        assertNotEquals(ScriptIo.toLine(a), ScriptIo.toLine(ScriptGenerator.generate(43, ScriptGenerator.Options.of(8, 3))));
    }

    @Test
    void objectsStayInsideTheFrameForAnHour() {
        ObjectSpec bouncer = new ObjectSpec(0, Shape.SQUARE, NamedColor.RED, SizeClass.LARGE, Motion.BOUNCING, 0.5, 0.5, 20);
        ObjectSpec drifter = new ObjectSpec(1, Shape.STAR, NamedColor.BLUE, SizeClass.SMALL, Motion.DOWN_LEFT, 0.2, 0.2, 45);
        ObjectSpec orbiter = new ObjectSpec(2, Shape.RING, NamedColor.GREEN, SizeClass.MEDIUM, Motion.ORBITING, 0.85, 0.85, 45);
        ObjectSpec pulser = new ObjectSpec(1, Shape.CIRCLE, NamedColor.PINK, SizeClass.LARGE, Motion.PULSING, 0.2, 0.2, 45);
        SceneSpec s1 = new SceneSpec(Background.solid(NamedColor.NAVY), List.of(bouncer, drifter, orbiter));
        SceneSpec s2 = new SceneSpec(Background.solid(NamedColor.NAVY), List.of(bouncer, pulser));
        for (double aspect : new double[] {1.0, 16.0 / 9}) {
            ScriptWorld w = new ScriptWorld(1, aspect, List.of(new Segment(s1, false), new Segment(s2, false)));
            Script script = new Script(List.of("a", "b"), List.of(1800.0), 3600, 16, w);
            WorldSim sim = new WorldSim(script);
            int frames = script.totalFrames();
            for (int i = 0; i < frames; i++) {
                if (i > 0) sim.advance();
                for (ObjectState o : sim.objects()) {
                    double r = o.radius();
                    assertTrue(o.x() - r >= 0 && o.x() + r <= w.width() && o.y() - r >= 0 && o.y() + r <= w.height(),
                            "object " + o.id() + " leaves the frame at frame " + i + ": " + o.x() + "," + o.y() + " r " + r);
                }
            }
            assertEquals(57_600 - 1, sim.frame());
        }
    }

    @Test
    void captionsParaphraseAndStateTheAttributes() {
        SceneSpec scene = new SceneSpec(Background.solid(NamedColor.NAVY),
                List.of(new ObjectSpec(0, Shape.CIRCLE, NamedColor.RED, SizeClass.SMALL, Motion.RIGHT, 0.3, 0.5, 45)));
        Set<String> captions = new HashSet<>();
        Set<String> openings = new HashSet<>();
        for (long seed = 0; seed < 60; seed++) {
            String c = Captioner.caption(scene, seed);
            captions.add(c);
            openings.add(c.split(" ")[0].toLowerCase(java.util.Locale.ROOT));
            String lc = c.toLowerCase(java.util.Locale.ROOT);
            assertTrue(NamedColor.RED.words().stream().anyMatch(lc::contains), "colour missing: " + c);
            assertTrue(Shape.CIRCLE.words().stream().anyMatch(lc::contains), "shape missing: " + c);
            assertTrue(SizeClass.SMALL.words().stream().anyMatch(lc::contains), "size missing: " + c);
            assertTrue(NamedColor.NAVY.words().stream().anyMatch(lc::contains), "background missing: " + c);
            assertTrue(lc.contains("right"), "motion missing: " + c);
        }
        assertTrue(captions.size() >= 40, "only " + captions.size() + " distinct captions in 60");
        assertTrue(openings.size() >= 4, "sentence openings: " + openings);
    }

    @Test
    void scriptRoundTripsThroughJsonlAndRendersTheSame() throws Exception {
        Path file = dir.resolve("scripts.jsonl");
        List<Script> scripts = List.of(ScriptGenerator.generate(7, ScriptGenerator.Options.of(6, 3)),
                ScriptGenerator.generate(8, new ScriptGenerator.Options(5, 2, 1.5, 16, 0.5, true, 3)));
        ScriptIo.write(file, scripts);
        List<Script> back = ScriptIo.read(file);
        assertEquals(scripts, back);
        assertEquals(GroundTruth.frames(scripts.get(1), 96, 64), GroundTruth.frames(back.get(1), 96, 64));
    }

    @Test
    void plainLongLiveLinesParseAndLatentSwitchFramesConvert() throws Exception {
        Script plain = ScriptIo.parse("{\"prompts\": [\"a cat\", \"a dog\", \"a bird\"]}");
        assertNull(plain.world());
        assertEquals(3, plain.segments());
        assertEquals(List.of(), plain.switchSeconds());
        int[] even = plain.switchFrames(300);
        assertEquals(100, even[0]);
        assertEquals(200, even[1]);
        assertThrows(IllegalArgumentException.class, () -> new WorldSim(plain));
        Script latent = ScriptIo.parse("{\"prompts\": [\"a\", \"b\"], \"switch_frames\": [40], \"length_seconds\": 20}");
        assertEquals(157, latent.switchFrames()[0]); // latent frame 40 starts at video frame 1 + 4 * 39
        assertEquals(40, Script.latentOfVideoFrame(157));
        assertEquals(39, Script.latentOfVideoFrame(156));
    }

    @Test
    void badScriptsAreRejectedWithTheReason() {
        var e = assertThrows(IllegalArgumentException.class, () -> ScriptIo.parse("{\"prompts\": [\"a\", \"b\"], \"switch_seconds\": [5, 3]}"));
        assertTrue(e.getMessage().contains("switch"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ScriptIo.parse("{\"prompts\": [\"a\"], \"world\": {\"segments\": [{\"background\": "
                + "{\"kind\": \"solid\", \"colors\": [\"navy\"]}, \"objects\": [{\"shape\": \"hexagon\", \"color\": \"red\", \"size\": \"small\"}]}]}}"));
        assertTrue(e.getMessage().contains("hexagon"), e.getMessage());
    }

    @Test
    void rendersAnyResolutionFrom32AndAntiAliases() {
        Script s = ScriptGenerator.generate(3, ScriptGenerator.Options.of(2, 1));
        for (int[] wh : new int[][] {{32, 32}, {160, 96}}) {
            Frame f = GroundTruth.frames(s, wh[0], wh[1]).get(0);
            assertEquals(wh[0], f.width());
        }
        // a disc edge has in-between colours (anti-aliasing), not just object and background colours
        SceneSpec scene = new SceneSpec(Background.solid(NamedColor.BLACK),
                List.of(new ObjectSpec(0, Shape.CIRCLE, NamedColor.WHITE, SizeClass.LARGE, Motion.STILL, 0.5, 0.5, 45)));
        Script one = new Script(List.of("x"), List.of(), 1, 16, new ScriptWorld(0, 1, List.of(new Segment(scene, false))));
        Frame f = GroundTruth.frames(one, 64, 64).get(0);
        Set<Integer> levels = new HashSet<>();
        for (int y = 0; y < 64; y++) for (int x = 0; x < 64; x++) levels.add(f.get(x, y, 0));
        assertTrue(levels.size() > 10, "only " + levels.size() + " grey levels: no anti-aliasing");
        assertThrows(IllegalArgumentException.class, () -> new Renderer(16, 16));
    }

    /** White on black, a pixel's grey level is black + (white − black) x the share the object covers: the coverage map is that share. */
    @Test
    void objectCoverageIsTheShareOfEachPixelTheObjectsCover() {
        SceneSpec scene = new SceneSpec(Background.solid(NamedColor.BLACK),
                List.of(new ObjectSpec(0, Shape.STAR, NamedColor.WHITE, SizeClass.LARGE, Motion.STILL, 0.4, 0.6, 30)));
        Script one = new Script(List.of("x"), List.of(), 1, 16, new ScriptWorld(0, 1, List.of(new Segment(scene, false))));
        Frame f = GroundTruth.frames(one, 64, 64).get(0);
        float[] cov = new float[64 * 64];
        new Renderer(64, 64).objectCoverage(new WorldSim(one), cov);
        int inside = 0, edge = 0;
        for (int y = 0; y < 64; y++)
            for (int x = 0; x < 64; x++) {
                float c = cov[y * 64 + x];
                double grey = NamedColor.BLACK.r() + c * (NamedColor.WHITE.r() - NamedColor.BLACK.r());
                assertEquals(f.get(x, y, 0), grey, 1, "pixel " + x + "," + y);
                inside += c == 1 ? 1 : 0;
                edge += c > 0 && c < 1 ? 1 : 0;
            }
        assertTrue(inside > 50 && edge > 20, inside + " covered, " + edge + " partly");
        assertThrows(IllegalArgumentException.class, () -> new Renderer(64, 64).objectCoverage(new WorldSim(one), new float[10]));
    }

    @Test
    void aSwitchKeepsIdentityAndPositionWhileACutRespawns() {
        ObjectSpec a = new ObjectSpec(0, Shape.CIRCLE, NamedColor.RED, SizeClass.MEDIUM, Motion.RIGHT, 0.3, 0.5, 45);
        SceneSpec s0 = new SceneSpec(Background.solid(NamedColor.NAVY), List.of(a));
        SceneSpec s1 = new SceneSpec(Background.solid(NamedColor.BLACK), List.of(a.withColor(NamedColor.BLUE).withMotion(Motion.UP)));
        SceneSpec s2 = new SceneSpec(Background.solid(NamedColor.BLACK), List.of(a.withColor(NamedColor.GREEN)));
        Script sc = new Script(List.of("a", "b", "c"), List.of(2.0, 4.0), 6, 16,
                new ScriptWorld(0, 1, List.of(new Segment(s0, false), new Segment(s1, false), new Segment(s2, true))));
        WorldSim sim = new WorldSim(sc);
        sim.advanceTo(31);
        double x = sim.objects().get(0).x(), y = sim.objects().get(0).y();
        sim.advance();
        assertEquals(NamedColor.BLUE, sim.objects().get(0).spec().color());
        assertTrue(Math.hypot(sim.objects().get(0).x() - x, sim.objects().get(0).y() - y) < 0.01, "continues at the switch");
        sim.advanceTo(64);
        assertEquals(0.3, sim.objects().get(0).x(), 1e-12, "the cut respawns at the spawn point");
        assertFalse(sim.objects().isEmpty());
    }

    @Test
    void theStreamIsSeededAndIncludesSwitches() {
        ClipStream s = new ClipStream(9, new ClipStream.Options(32, 32, 24, 0.5, 16));
        Sample a = s.sample(5), b = new ClipStream(9, new ClipStream.Options(32, 32, 24, 0.5, 16)).sample(5);
        assertEquals(a.script(), b.script());
        assertEquals(a.frames(), b.frames());
        assertEquals(24, a.frames().size());
        int switches = 0;
        for (int i = 0; i < 20; i++) if (s.next().switchFrame() > 0) switches++;
        assertTrue(switches >= 4 && switches <= 16, switches + " of 20 clips switch");
    }
}
