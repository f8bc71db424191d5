package longlive.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import longlive.kernel.Parallel;
import longlive.video.Frame;
import longlive.video.FrameSource;
import longlive.video.Mp4Writer;
import longlive.video.VideoFiles;
import longlive.world.GroundTruth;
import longlive.world.Script;
import longlive.world.ScriptGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The metrics' false-alarm side: ground-truth renders of random scripts must score (almost) perfectly. */
class GroundTruthScoresTest {
    @TempDir
    Path dir;

    private static void assertClean(EvalReport r, String what) {
        EvalReport.Summary s = r.summary();
        assertTrue(s.adherence() >= 0.97, what + ": adherence " + s.adherence() + " " + s.adherenceByAttribute());
        for (var e : s.adherenceByAttribute().entrySet()) assertTrue(e.getValue() >= 0.93, what + ": " + e.getKey() + " " + e.getValue());
        assertEquals(0, s.teleports(), what + ": teleports");
        assertEquals(0, s.frozenFrames(), what + ": frozen frames");
        assertTrue(s.subjectConsistency() > 0.9, what + ": subject consistency " + s.subjectConsistency());
        assertTrue(s.backgroundConsistency() > 0.9, what + ": background consistency " + s.backgroundConsistency());
        for (EvalReport.SwitchReport w : r.switches()) {
            assertTrue(w.continuous(), what + ": " + w);
            assertTrue(w.latencyFrames() != null && w.latencyFrames() >= 0 && w.latencyFrames() <= 2, what + ": " + w);
        }
    }

    @Test
    void randomScriptsScorePerfectlyFromRawFrames() {
        double sum = 0;
        int n = 10;
        for (long seed = 1; seed <= n; seed++) {
            Script s = ScriptGenerator.generate(seed, ScriptGenerator.Options.of(10, 3));
            EvalReport r = Evaluator.evaluate(GroundTruth.frames(s, 64, 64), 16, s);
            assertClean(r, "seed " + seed);
            sum += r.summary().adherence();
        }
        assertTrue(sum / n > 0.99, "mean adherence " + sum / n);
    }

    @Test
    void randomScriptsScorePerfectlyThroughAnMp4RoundTrip() throws IOException {
        for (int size : new int[] {64, 128}) {
            for (long seed = 20; seed < 23; seed++) {
                Script s = ScriptGenerator.generate(seed, ScriptGenerator.Options.of(8, 3));
                Path p = dir.resolve("gt" + size + "_" + seed + ".mp4");
                try (Mp4Writer w = new Mp4Writer(p, 16)) {
                    for (Frame f : GroundTruth.frames(s, size, size)) w.write(f);
                }
                try (FrameSource src = VideoFiles.open(p)) {
                    assertClean(Evaluator.evaluate(src, s, p.toString(), null), size + "px seed " + seed);
                }
            }
        }
    }

    @Test
    void parallelAnalysisGivesTheSameReportAsSerial() throws IOException {
        Script s = ScriptGenerator.generate(31, ScriptGenerator.Options.of(5, 2));
        Path p = dir.resolve("par.mp4");
        try (Mp4Writer w = new Mp4Writer(p, 16)) {
            for (Frame f : GroundTruth.frames(s, 64, 64)) w.write(f);
        }
        EvalReport serial, parallel;
        try (FrameSource src = VideoFiles.open(p)) {
            serial = Evaluator.evaluate(src, s, "v", null);
        }
        try (FrameSource src = VideoFiles.open(p); Parallel par = new Parallel(3)) {
            parallel = Evaluator.evaluate(src, s, "v", null, par);
        }
        assertEquals(serial, parallel);
        assertEquals(80, parallel.frames());
    }

    @Test
    void promptOnlyScriptsGetEverythingButAdherence() {
        Script s = ScriptGenerator.generate(5, ScriptGenerator.Options.of(6, 2));
        Script plain = new Script(s.prompts(), List.of(), 0, 16, null);
        EvalReport r = Evaluator.evaluate(GroundTruth.frames(s, 64, 64), 16, plain);
        assertEquals(null, r.summary().adherence());
        assertEquals(2, r.segments().size());
        assertTrue(r.summary().sharpness() > 0.3);
    }
}
