package longlive.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import longlive.pipeline.ModelDirectory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Stage 4a: the student's ODE-trajectory regression generates teacher trajectories, learns, resumes and exports. */
class OdeTrainingTest {
    private static final PrintStream QUIET = new PrintStream(new ByteArrayOutputStream());

    @TempDir
    static Path shared;
    static Path teacher;

    @BeforeAll
    static void trainTeacher() throws Exception {
        teacher = TinyTeacher.make(shared);
    }

    private static OdeTraining.Options options(Path run, long steps, double lr) {
        return new OdeTraining.Options(teacher, run, 3, 6, 8, 2.0, 2, lr, 2, steps, 1.0, 0.5, 11, 1);
    }

    private static Trainer.Options loop(Path run, long steps) {
        return new Trainer.Options(run, steps, 100, 2, true, 100);
    }

    @Test
    void trajectoriesStartAtTheNoiseAndEndFinite() throws Exception {
        OdeTraining s = new OdeTraining(options(shared.resolve("traj"), 1, 1e-3), QUIET);
        LatentClips tr = s.trajectories();
        assertEquals(3, tr.count());
        assertEquals(5 * 6, tr.frames(), "4 stored denoising points + the clean end, 6 latent frames each");
        float[] entry = new float[tr.clipSize()], noise = new float[tr.clipSize() / 5];
        tr.copy(1, entry);
        VaeTraining.gaussian(StepRng.of(11, StepRng.NOISE, 1), noise);
        for (int i = 0; i < noise.length; i++) assertEquals(noise[i], entry[i], 0f, "point 0 must be the initial noise");
        double moved = 0;
        for (int i = 0; i < noise.length; i++) {
            float end = entry[4 * noise.length + i];
            assertTrue(Float.isFinite(end));
            moved += Math.abs(end - noise[i]);
        }
        assertTrue(moved / noise.length > 0.1, "the ODE must move the sample away from the noise");
        // threads that take whole trajectories give the same trajectories, each in its own place
        OdeTraining o2 = new OdeTraining(new OdeTraining.Options(teacher, shared.resolve("traj2"), 3, 6, 8, 2.0, 2, 1e-3, 2, 1,
                1.0, 0.5, 11, 2), QUIET);
        LatentClips tr2 = o2.trajectories();
        float[] other = new float[tr.clipSize()];
        for (int i = 0; i < 3; i++) {
            tr.copy(i, entry);
            tr2.copy(i, other);
            assertArrayEquals(entry, other, 1e-5f, "trajectory " + i);
            assertEquals(tr.caption(i), tr2.caption(i));
        }
        o2.close();
        s.close();
    }

    @Test
    void resumesExactlyAndExportsAStreamingModel() throws Exception {
        Path a = shared.resolve("a"), b = shared.resolve("b");
        OdeTraining whole = new OdeTraining(options(a, 3, 1e-3), QUIET);
        new Trainer().run(whole, loop(a, 3), new ProgressPrinter(QUIET, 3, 100), false);
        Path exported = whole.export(3, 0);
        whole.close();
        OdeTraining first = new OdeTraining(options(b, 3, 1e-3), QUIET);
        new Trainer().run(first, loop(b, 2), new ProgressPrinter(QUIET, 2, 100), false);
        first.close();
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        OdeTraining second = new OdeTraining(options(b, 3, 1e-3), new PrintStream(log));
        assertTrue(log.toString().contains("ode pairs: reusing"), log.toString());
        new Trainer().run(second, loop(b, 3), new ProgressPrinter(QUIET, 3, 100), false);
        second.export(3, 0);
        second.close();
        for (String key : List.of("blocks.0.self_attn.q.weight", "head.head.weight"))
            assertArrayEquals(TinyTeacher.tensor(a.resolve("student/dit/model.safetensors"), key),
                    TinyTeacher.tensor(b.resolve("student/dit/model.safetensors"), key), key + ": resumed run differs");
        ModelDirectory md = ModelDirectory.open(exported);
        assertEquals("shapes-student-ode", md.name());
        assertEquals(3, md.inference().numFramePerBlock());
        md.loadDit(new longlive.kernel.ScalarMatMul(longlive.kernel.Parallel.serial()));
        assertTrue(Files.readString(a.resolve("ode_summary.json")).contains("regression_loss_by_point_ema"));
        // the student moved away from the teacher
        float[] t = TinyTeacher.tensor(teacher.resolve("dit/model.safetensors"), "blocks.0.self_attn.q.weight");
        float[] s = TinyTeacher.tensor(exported.resolve("dit/model.safetensors"), "blocks.0.self_attn.q.weight");
        double diff = 0;
        for (int i = 0; i < t.length; i++) diff += Math.abs(t[i] - s[i]);
        assertTrue(diff > 0, "the exported student is the teacher unchanged");
    }

    @Test
    void regressionLossFalls() throws Exception {
        Path run = shared.resolve("learn");
        OdeTraining s = new OdeTraining(options(run, 40, 3e-3), QUIET);
        double before = s.evalLoss(3, 0);
        new Trainer().run(s, loop(run, 40), new ProgressPrinter(QUIET, 40, 100), false);
        double after = s.evalLoss(3, 0);
        s.close();
        assertTrue(after < 0.7 * before, "x0 regression loss from pure noise " + before + " -> " + after);
    }

    @Test
    void odeIndicesArePerBlock() {
        int[] idx = TimestepSampler.odeIndices(new SplittableRandom(3), 9, 3, 4);
        for (int b = 0; b < 3; b++) assertTrue(idx[3 * b] == idx[3 * b + 1] && idx[3 * b] == idx[3 * b + 2]);
    }

    @Test
    void refusesFramesThatAreNotWholeBlocks() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new OdeTraining.Options(teacher, shared, 3, 5, 8, 2.0, 2, 1e-3, 2, 1, 1.0, 0.5, 11, 1));
        assertTrue(e.getMessage().contains("multiple of 3"), e.getMessage());
    }

    /** Trajectories of a batch spread over threads (own tapes and gradients) sum to the serial gradient. */
    @Test
    void threadsSplittingTheBatchGiveTheSerialGradient() throws Exception {
        OdeTraining serial = new OdeTraining(new OdeTraining.Options(teacher, shared.resolve("g1"), 3, 6, 8, 2.0, 3, 1e-3, 2, 4,
                1.0, 0.5, 11, 1), QUIET);
        OdeTraining split = new OdeTraining(new OdeTraining.Options(teacher, shared.resolve("g2"), 3, 6, 8, 2.0, 3, 1e-3, 2, 4,
                1.0, 0.5, 11, 2), QUIET);
        for (long step : new long[] {0, 3}) {
            assertEquals(serial.accumulateGradients(step), split.accumulateGradients(step), 1e-6);
            var a = serial.params().iterator();
            var b = split.params().iterator();
            while (a.hasNext()) {
                Param p = a.next(), q = b.next();
                float max = 0;
                for (float g : p.grad()) max = Math.max(max, Math.abs(g));
                for (int i = 0; i < p.grad().length; i++)
                    assertEquals(p.grad()[i], q.grad()[i], 1e-5f * max + 1e-9f, p.name() + "[" + i + "] at step " + step);
            }
        }
        serial.close();
        split.close();
    }
}
