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
import longlive.dit.DitConfig;
import longlive.io.SafeTensors;
import longlive.io.StateDict;
import longlive.io.WanVaeCheckpoint;
import longlive.kernel.MatMul;
import longlive.pipeline.ModelDirectory;
import longlive.text.T5Config;
import longlive.vae.VaeConfig;
import longlive.vae.VaeWeights;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Stages 2 + 3: the teacher and its text encoder learn, checkpoint, resume exactly and export a model directory. */
class TeacherTrainingTest {
    private static final VaeConfig VAE = new VaeConfig(4, 4, List.of(1, 2, 2, 2), 1, List.of(), List.of(false, true, true));
    private static final PrintStream QUIET = new PrintStream(new ByteArrayOutputStream());

    @TempDir
    static Path shared;
    static Path vaeRun;

    @BeforeAll
    static void writeVae() throws Exception {
        vaeRun = shared.resolve("vae-run");
        Path dir = vaeRun.resolve("vae");
        Files.createDirectories(dir);
        WanVaeCheckpoint.save(VaeWeights.random(VAE, 7), dir.resolve("model.safetensors"));
        Files.writeString(dir.resolve("vae_config.json"), VaeTraining.configJson(VAE).toString());
        Files.writeString(dir.resolve("latent_stats.json"), "{\"mean\": [0, 0.1, 0, 0], \"std\": [1, 0.5, 1, 2]}");
    }

    private static TeacherTraining.Options options(Path run, long steps, double lr) {
        return options(run, steps, lr, 2, 1);
    }

    private static TeacherTraining.Options options(Path run, long steps, double lr, int batch, int threads) {
        DitConfig dit = TeacherTraining.ditConfig(32, 64, 2, 1, VAE.zDim(), 64, 16, 2);
        T5Config t5 = new T5Config(1, 16, 16, 32, 2, 1, 32, false);
        return new TeacherTraining.Options(vaeRun, run, dit, t5, 32, 5, 3, batch, lr, 2, steps, 1.0, 0.9, 0.0, 0.3, 5.0, 0.0, 3,
                1, threads);
    }

    /** Samples of a batch spread over threads (each with its own tapes and gradients) sum to the serial gradient. */
    @Test
    void threadsSplittingTheBatchGiveTheSerialGradient() throws Exception {
        Path run = shared.resolve("threads");
        TeacherTraining serial = new TeacherTraining(options(run, 4, 1e-3, 3, 1), QUIET);
        TeacherTraining split = new TeacherTraining(options(run, 4, 1e-3, 3, 2), QUIET);
        for (long step : new long[] {0, 5}) {
            assertEquals(serial.accumulateGradients(step), split.accumulateGradients(step), 1e-6);
            var a = serial.params().iterator();
            var b = split.params().iterator();
            int tensors = 0;
            while (a.hasNext()) {
                Param p = a.next(), q = b.next();
                assertEquals(p.name(), q.name());
                float max = 0;
                for (float g : p.grad()) max = Math.max(max, Math.abs(g));
                for (int i = 0; i < p.grad().length; i++)
                    assertEquals(p.grad()[i], q.grad()[i], 1e-5f * max + 1e-9f, p.name() + "[" + i + "] at step " + step);
                tensors++;
            }
            assertTrue(tensors > 20 && !b.hasNext());
        }
        serial.close();
        split.close();
    }

    /**
     * {@code --object-weight}: the training loss weighs the object cells more (every weight is at least 1, so the
     * weighted loss of the same draws is larger), while the held-out loss stays the plain one, comparable across runs.
     */
    @Test
    void objectWeightsRaiseTheTrainingLossButNotTheHeldOutOneAndPinTheRun() throws Exception {
        Path run = shared.resolve("threads");
        TeacherTraining plain = new TeacherTraining(options(run, 4, 1e-3, 3, 1), QUIET);
        TeacherTraining.Options o = options(run, 4, 1e-3, 3, 1);
        TeacherTraining weighted = new TeacherTraining(withLoss(o, o.shift(), 3.0), QUIET);
        for (long step : new long[] {0, 1, 2}) {
            double a = plain.accumulateGradients(step), b = weighted.accumulateGradients(step);
            assertTrue(b > a * 1.001, "step " + step + ": weighted " + b + " vs plain " + a);
            assertTrue(b < a * 4, "step " + step + ": weighted " + b + " vs plain " + a + " (weights are at most 4)");
        }
        assertArrayEquals(plain.heldOutLoss(), weighted.heldOutLoss());
        plain.close();
        weighted.close();
        // a run is not resumed under another weight: the two losses would be mixed without a word
        Path mixed = shared.resolve("object-weight-resume");
        TeacherTraining first = new TeacherTraining(options(mixed, 2, 1e-3, 1, 1), QUIET);
        new Trainer().run(first, loop(mixed, 2), new ProgressPrinter(QUIET, 2, 100), false);
        first.close();
        TeacherTraining.Options m = options(mixed, 3, 1e-3, 1, 1);
        TeacherTraining resumed = new TeacherTraining(withLoss(m, m.shift(), 3.0), QUIET);
        var e = assertThrows(IllegalArgumentException.class,
                () -> new Trainer().run(resumed, loop(mixed, 3), new ProgressPrinter(QUIET, 3, 100), false));
        assertTrue(e.getMessage().contains("--object-weight 0.0, not 3.0"), e.getMessage());
        resumed.close();
        // nor under another training shift
        TeacherTraining shifted = new TeacherTraining(withLoss(m, 2.0, 0.0), QUIET);
        e = assertThrows(IllegalArgumentException.class,
                () -> new Trainer().run(shifted, loop(mixed, 3), new ProgressPrinter(QUIET, 3, 100), false));
        assertTrue(e.getMessage().contains("--shift 5.0, not 2.0"), e.getMessage());
        shifted.close();
        assertThrows(IllegalArgumentException.class, () -> withLoss(o, o.shift(), -1));
    }

    private static TeacherTraining.Options withDit(TeacherTraining.Options o, DitConfig dit) {
        return new TeacherTraining.Options(o.vaeRun(), o.runDir(), dit, o.t5(), o.size(), o.latentFrames(), o.clips(),
                o.batch(), o.lr(), o.warmup(), o.steps(), o.gradClip(), o.emaDecay(), o.weightDecay(), o.captionDropout(),
                o.shift(), o.objectWeight(), o.seed(), o.evalClips(), o.threads());
    }

    private static TeacherTraining.Options withLoss(TeacherTraining.Options o, double shift, double objectWeight) {
        return new TeacherTraining.Options(o.vaeRun(), o.runDir(), o.dit(), o.t5(), o.size(), o.latentFrames(), o.clips(),
                o.batch(), o.lr(), o.warmup(), o.steps(), o.gradClip(), o.emaDecay(), o.weightDecay(), o.captionDropout(),
                shift, objectWeight, o.seed(), o.evalClips(), o.threads());
    }

    private static Trainer.Options loop(Path run, long steps) {
        return new Trainer.Options(run, steps, 100, 2, true, 100);
    }

    private static float[] read(Path file, String key) {
        try (StateDict sd = SafeTensors.load(file)) {
            return sd.tensor(key).data();
        }
    }

    @Test
    void resumesExactlyAndExportsALoadableModelDirectory() throws Exception {
        Path a = shared.resolve("a"), b = shared.resolve("b");
        TeacherTraining whole = new TeacherTraining(options(a, 3, 1e-3), QUIET);
        new Trainer().run(whole, loop(a, 3), new ProgressPrinter(QUIET, 3, 100), false);
        Path exported = whole.export(3, 0);
        whole.close();
        TeacherTraining first = new TeacherTraining(options(b, 3, 1e-3), QUIET);
        new Trainer().run(first, loop(b, 2), new ProgressPrinter(QUIET, 2, 100), false);
        first.close();
        TeacherTraining second = new TeacherTraining(options(b, 3, 1e-3), QUIET);
        Trainer.Result r = new Trainer().run(second, loop(b, 3), new ProgressPrinter(QUIET, 3, 100), false);
        assertEquals(3, r.stepsDone());
        second.export(3, 0);
        second.close();
        for (String key : List.of("blocks.0.self_attn.q.weight", "head.head.weight", "text_embedding.0.weight"))
            assertArrayEquals(read(a.resolve("teacher/dit/model.safetensors"), key),
                    read(b.resolve("teacher/dit/model.safetensors"), key), key + ": resumed run differs");
        assertArrayEquals(read(a.resolve("teacher/text/model.safetensors"), "token_embedding.weight"),
                read(b.resolve("teacher/text/model.safetensors"), "token_embedding.weight"), "text encoder differs after resume");

        ModelDirectory md = ModelDirectory.open(exported);
        assertEquals(32, md.videoHeight());
        assertEquals(VAE, md.vae());
        assertEquals(md.t5().dim(), md.dit().textDim());
        md.loadDit(new longlive.kernel.ScalarMatMul(longlive.kernel.Parallel.serial()));
        var summary = new com.fasterxml.jackson.databind.ObjectMapper().readTree(a.resolve("teacher_summary.json").toFile());
        assertTrue(summary.has("held_out_flow_loss_ema"));
        assertEquals(5.0, summary.get("shift").asDouble());
        // each reported loss names the timestep it was taken at under the run's shift (descending: high noise first)
        float[] table = new longlive.sampling.FlowMatchSchedule(summary.get("shift").asDouble()).timesteps();
        for (int k = 0; k < TeacherTraining.EVAL_INDICES.length; k++)
            assertEquals(table[TeacherTraining.EVAL_INDICES[k]], summary.get("eval_timesteps").get(k).floatValue(), 1e-3);
        assertTrue(summary.get("eval_timesteps").get(0).asDouble() > summary.get("eval_timesteps").get(4).asDouble());
        // the latents were encoded once and are reused (same origin), not re-encoded
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        new TeacherTraining(options(a, 3, 1e-3), new PrintStream(log)).close();
        assertTrue(log.toString().contains("latents: reusing"), log.toString());
    }

    @Test
    void flowLossFallsOnTheTrainingClips() throws Exception {
        Path run = shared.resolve("learn");
        TeacherTraining t = new TeacherTraining(options(run, 60, 3e-3), QUIET);
        double before = mean(t.heldOutLoss());
        new Trainer().run(t, loop(run, 60), new ProgressPrinter(QUIET, 60, 100), false);
        double after = mean(t.heldOutLoss());
        t.close();
        assertTrue(after < 0.8 * before, "held-out flow loss " + before + " -> " + after);
    }

    @Test
    void refusesAVaeOfAnotherWidth() {
        DitConfig wrong = TeacherTraining.ditConfig(32, 64, 2, 1, VAE.zDim() + 1, 64, 16, 2);
        TeacherTraining.Options o = options(shared.resolve("wrong"), 1, 1e-3);
        TeacherTraining.Options bad = withDit(o, wrong);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new TeacherTraining(bad, QUIET));
        assertTrue(e.getMessage().contains("z_dim"), e.getMessage());
    }

    /** {@code --patch 1}: the teacher learns on a token per latent cell and exports that patch in its config. */
    @Test
    void aOneCellPatchTeacherLearnsAndExportsItsPatch() throws Exception {
        Path run = shared.resolve("patch1");
        TeacherTraining.Options o = options(run, 40, 3e-3);
        DitConfig one = TeacherTraining.ditConfig(32, 64, 2, 1, VAE.zDim(), 64, 16, 1);
        TeacherTraining t = new TeacherTraining(withDit(o, one), QUIET);
        double before = mean(t.heldOutLoss());
        new Trainer().run(t, loop(run, 40), new ProgressPrinter(QUIET, 40, 100), false);
        double after = mean(t.heldOutLoss());
        Path exported = t.export(40, 0);
        t.close();
        assertTrue(after < 0.8 * before, "held-out flow loss " + before + " -> " + after);
        DitConfig saved = ModelDirectory.open(exported).dit();
        assertEquals(1, saved.patchH());
        assertEquals(1, saved.patchW());
        assertEquals(16, saved.frameSeqLen(4, 4));
    }

    private static double mean(double[] v) {
        double s = 0;
        for (double x : v) s += x;
        return s / v.length;
    }
}
