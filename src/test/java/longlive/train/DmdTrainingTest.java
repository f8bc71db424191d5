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
import longlive.pipeline.ModelDirectory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Stage 4b: Self-Forcing DMD's generator gradient, resume, export. */
class DmdTrainingTest {
    private static final PrintStream QUIET = new PrintStream(new ByteArrayOutputStream());

    @TempDir
    static Path shared;
    static Path teacher;

    @BeforeAll
    static void trainTeacher() throws Exception {
        teacher = TinyTeacher.make(shared);
    }

    /** The teacher doubles as the student here: any streaming model directory of the same architecture will do. */
    private static DmdTraining.Options options(Path run, int frames, long steps) {
        return new DmdTraining.Options(teacher, teacher, run, frames, 3.0, 2, 1e-3, 5e-4, steps, 10.0, 0.5, 5, 1);
    }

    /**
     * The generator gradient equals finite differences of DMD's surrogate {@code 0.5·mean(x(θ) − sg(x − grad))²}
     * through the whole rollout. One block and exit step 0 make the rollout free of the paths the reference
     * detaches (earlier denoising steps, the cache), so the comparison is exact up to float rounding.
     */
    @Test
    void generatorGradientMatchesFiniteDifferences() throws Exception {
        DmdTraining s = new DmdTraining(options(shared.resolve("grad"), 3, 1), QUIET);
        long step = 0;
        while (s.exitStepOf(2 * step) != 0) step++;
        ParamSet params = s.generatorParams();
        params.zeroGrad();
        s.generatorLoss(step, true);
        float[] x = s.lastRollout().clone(), g = s.lastDmdGradient().clone();
        int n = x.length;
        float[] target = new float[n];
        for (int i = 0; i < n; i++) target[i] = x[i] - g[i] * n;   // dX = grad / n
        float[] prompt = s.promptOf(2 * step);
        int checked = 0;
        for (Param p : params) {
            if (!List.of("blocks.0.self_attn.q.weight", "blocks.0.ffn.0.weight", "head.head.weight", "time_projection.1.bias")
                    .contains(p.name())) continue;
            int best = 0;
            for (int i = 0; i < p.grad().length; i++) if (Math.abs(p.grad()[i]) > Math.abs(p.grad()[best])) best = i;
            float analytic = p.grad()[best], v = p.value()[best];
            double hstep = 1e-2;
            p.value()[best] = (float) (v + hstep);
            s.rollout(prompt, 2 * step, false);
            double plus = surrogate(s.lastRollout(), target);
            p.value()[best] = (float) (v - hstep);
            s.rollout(prompt, 2 * step, false);
            double minus = surrogate(s.lastRollout(), target);
            p.value()[best] = v;
            double numeric = (plus - minus) / (2 * hstep);
            assertTrue(Math.abs(analytic) > 1e-6, p.name() + ": no gradient");
            assertEquals(numeric, analytic, 0.05 * Math.abs(numeric) + 1e-6, p.name() + "[" + best + "]");
            checked++;
        }
        assertEquals(4, checked);
        s.close();
    }

    private static double surrogate(float[] x, float[] target) {
        double sum = 0;
        for (int i = 0; i < x.length; i++) sum += (double) (x[i] - target[i]) * (x[i] - target[i]);
        return 0.5 * sum / x.length;
    }

    @Test
    void criticLossFallsOnFixedGenerator() throws Exception {
        DmdTraining s = new DmdTraining(new DmdTraining.Options(teacher, teacher, shared.resolve("critic"), 3, 3.0, 1000,
                1e-3, 3e-3, 40, 10.0, 0.5, 5, 1), QUIET);
        double before = 0, after = 0;
        for (int k = 0; k < 4; k++) before += s.criticLoss(1000 + k, false);
        for (long k = 1; k < 40; k++) s.step(k);            // ratio 1000: critic updates only after step 0
        for (int k = 0; k < 4; k++) after += s.criticLoss(1000 + k, false);
        s.close();
        assertTrue(after < 0.9 * before, "critic flow loss " + before / 4 + " -> " + after / 4);
    }

    @Test
    void resumesExactlyAndExportsAStreamingModel() throws Exception {
        Path a = shared.resolve("a"), b = shared.resolve("b");
        Trainer.Options whole = new Trainer.Options(a, 3, 100, 2, true, 100);
        DmdTraining one = new DmdTraining(options(a, 6, 3), QUIET);
        new Trainer().run(one, whole, new ProgressPrinter(QUIET, 3, 100), false);
        Path exported = one.export(3, 0);
        one.close();
        DmdTraining first = new DmdTraining(options(b, 6, 3), QUIET);
        new Trainer().run(first, new Trainer.Options(b, 2, 100, 2, true, 100), new ProgressPrinter(QUIET, 2, 100), false);
        first.close();
        DmdTraining second = new DmdTraining(options(b, 6, 3), QUIET);
        new Trainer().run(second, new Trainer.Options(b, 3, 100, 2, true, 100), new ProgressPrinter(QUIET, 3, 100), false);
        second.export(3, 0);
        second.close();
        for (String key : List.of("blocks.0.self_attn.q.weight", "head.head.weight"))
            assertArrayEquals(TinyTeacher.tensor(a.resolve("dmd/dit/model.safetensors"), key), TinyTeacher.tensor(b.resolve("dmd/dit/model.safetensors"), key),
                    key + ": resumed run differs");
        ModelDirectory md = ModelDirectory.open(exported);
        assertEquals("shapes-student-dmd", md.name());
        md.loadDit(new longlive.kernel.ScalarMatMul(longlive.kernel.Parallel.serial()));
        float[] t = TinyTeacher.tensor(teacher.resolve("dit/model.safetensors"), "blocks.0.self_attn.q.weight");
        float[] g = TinyTeacher.tensor(exported.resolve("dit/model.safetensors"), "blocks.0.self_attn.q.weight");
        double diff = 0;
        for (int i = 0; i < t.length; i++) diff += Math.abs(t[i] - g[i]);
        assertTrue(diff > 0, "the generator did not move");
        assertTrue(Files.readString(a.resolve("dmd_summary.json")).contains("critic_lr"));
    }

    /**
     * {@code --batch 2}: one update's gradient is the mean of the gradients of two consecutive single-rollout draws,
     * for the generator (a generator step) and the critic (a critic-only step, so the generator has not moved).
     */
    @Test
    void aBatchAveragesTheGradientsOfItsRollouts() throws Exception {
        var batched = batchOf("batch2", 2);
        var single = batchOf("batch1", 1);
        batched.step(1);                                   // ratio 2: step 1 trains only the critic, on samples 2 and 3
        single.criticParams().zeroGrad();
        single.criticLoss(2, true);
        single.criticLoss(3, true);
        assertHalf(single.criticParams(), batched.criticParams());
        batched.close();
        // a fresh one, because the critic step above changed the fake score the generator's gradient reads
        batched = batchOf("batch2b", 2);
        single.close();
        single = batchOf("batch1b", 1);
        batched.step(0);                                   // a generator step (on samples 0 and 1), then the critic's
        single.generatorParams().zeroGrad();
        single.generatorLoss(0, true);
        single.generatorLoss(1, true);
        assertHalf(single.generatorParams(), batched.generatorParams());
        batched.close();
        single.close();
    }

    /** Ratio 2, unclipped gradients, {@code batch} rollouts per update. */
    private static DmdTraining batchOf(String run, int batch) throws Exception {
        return new DmdTraining(new DmdTraining.Options(teacher, teacher, shared.resolve(run), 3, 3.0, 2, 1e-3, 5e-4, 4,
                1e9, 0.5, 5, 1, batch), QUIET);
    }

    private static void assertHalf(ParamSet sum, ParamSet mean) {
        double diff = 0, scale = 0;
        for (Param p : sum) {
            float[] a = p.grad(), b = mean.get(p.name()).grad();
            for (int i = 0; i < a.length; i++) {
                diff = Math.max(diff, Math.abs(0.5 * a[i] - b[i]));
                scale = Math.max(scale, Math.abs(b[i]));
            }
        }
        assertTrue(scale > 0, "no gradient");
        assertTrue(diff <= 1e-5 * scale, "batch gradient differs from the mean of single draws by " + diff + " (scale " + scale + ")");
    }

    @Test
    void refusesABatchOfZero() {
        var e = assertThrows(IllegalArgumentException.class, () -> new DmdTraining.Options(teacher, teacher, shared, 3, 3.0,
                2, 1e-3, 5e-4, 1, 10.0, 0.5, 5, 1, 0));
        assertTrue(e.getMessage().contains("--batch"), e.getMessage());
    }

    @Test
    void refusesRolloutsThatAreNotWholeBlocks() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> options(shared, 4, 1));
        assertTrue(e.getMessage().contains("multiple of 3"), e.getMessage());
    }

    @Test
    void refusesATeacherOfAnotherArchitecture() throws Exception {
        Path other = shared.resolve("deeper-teacher");
        try (var files = Files.walk(teacher)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                Path q = other.resolve(teacher.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(q);
                else Files.copy(p, q);
            }
        }
        Path cfg = other.resolve("dit/config.json");
        String json = Files.readString(cfg);
        assertTrue(json.matches("(?s).*\"num_layers\"\\s*:\\s*1\\b.*"), json);
        Files.writeString(cfg, json.replaceFirst("\"num_layers\"\\s*:\\s*1", "\"num_layers\": 2"));
        var o = new DmdTraining.Options(teacher, other, shared.resolve("mismatch"), 3, 3.0, 2, 1e-3, 5e-4, 1, 10.0, 0.5, 5, 1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new DmdTraining(o, QUIET));
        assertTrue(e.getMessage().contains("differs from the student's"), e.getMessage());
    }
}
