package longlive.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class TrainerTest {
    /** Linear regression y = w·x on StepRng data, AdamW + clipping + EMA: a complete little stage. */
    static class ToyStage implements Trainer.Stage {
        final ParamSet params = new ParamSet();
        final AdamW opt;
        final Ema ema;
        final long seed = 5;
        Trainer stopAt;
        long stopStep = -1;

        ToyStage() {
            params.add("w", new float[] {0.1f, -0.2f, 0.3f}, 3);
            opt = new AdamW(params, AdamWConfig.torchDefaults());
            ema = new Ema(params, 0.9);
        }

        @Override
        public String name() {
            return "toy";
        }

        @Override
        public Trainer.StepResult step(long step) {
            SplittableRandom r = StepRng.of(seed, StepRng.DATA, step);
            float[] w = params.get("w").value(), g = params.get("w").grad();
            params.zeroGrad();
            double loss = 0;
            for (int k = 0; k < 4; k++) {
                float[] x = {(float) r.nextGaussian(), (float) r.nextGaussian(), (float) r.nextGaussian()};
                float y = 1.5f * x[0] - 2f * x[1] + 0.5f * x[2];
                float err = w[0] * x[0] + w[1] * x[1] + w[2] * x[2] - y;
                loss += err * err / 4;
                for (int i = 0; i < 3; i++) g[i] += err * x[i] / 2;
            }
            double norm = params.clipGradNorm(10);
            opt.step(0.05);
            ema.update();
            if (step == stopStep) stopAt.requestStop();
            return new Trainer.StepResult(loss, norm, 0.05, Map.of("w0", (double) w[0]));
        }

        @Override
        public TrainCheckpoint checkpoint(long stepsDone) {
            return TrainCheckpoint.at(stepsDone).params("model", params).optimizer("model", opt).ema("model", ema).seed("data", seed);
        }

        @Override
        public void restore(SavedCheckpoint c) {
            c.restoreParams("model", params);
            c.restoreOptimizer("model", opt);
            c.restoreEma("model", ema);
        }
    }

    private static ProgressPrinter quiet(long total) {
        return new ProgressPrinter(new PrintStream(new ByteArrayOutputStream()), total, 10);
    }

    @Test
    void stopSavesAndResumeFinishesLikeAnUninterruptedRun(@TempDir Path dir) {
        ToyStage straight = new ToyStage();
        Trainer.Result full = new Trainer().run(straight, new Trainer.Options(dir.resolve("a"), 40, 15, 2, true, 10), quiet(40), false);
        assertEquals(40, full.stepsDone());
        assertFalse(full.stopped());
        assertTrue(straight.params.get("w").value()[0] > 1.2f, "the toy stage learns");

        Path run = dir.resolve("b");
        ToyStage first = new ToyStage();
        Trainer t = new Trainer();
        first.stopAt = t;
        first.stopStep = 21; // "Ctrl-C" during step 21
        Trainer.Result r = t.run(first, new Trainer.Options(run, 40, 15, 2, true, 10), quiet(40), false);
        assertTrue(r.stopped());
        assertEquals(22, r.stepsDone());
        assertEquals(run.resolve("step-00000022"), r.lastCheckpoint());

        ToyStage second = new ToyStage();
        Trainer.Result rest = new Trainer().run(second, new Trainer.Options(run, 40, 15, 2, true, 10), quiet(40), false);
        assertEquals(40, rest.stepsDone());
        assertArrayEquals(straight.params.get("w").value(), second.params.get("w").value());
        assertArrayEquals(straight.ema.shadow("w"), second.ema.shadow("w"));
        assertEquals(40, TrainCheckpoint.load(TrainCheckpoint.latest(run).orElseThrow()).step());

        // A damaged newest checkpoint is skipped: the run resumes from the one before.
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        try {
            java.nio.file.Files.write(run.resolve("step-00000040/params-model.safetensors"), new byte[] {1, 2, 3});
        } catch (java.io.IOException ex) {
            throw new AssertionError(ex);
        }
        ToyStage third = new ToyStage();
        Trainer.Result again = new Trainer().run(third, new Trainer.Options(run, 40, 15, 2, true, 10),
                new ProgressPrinter(new PrintStream(log, true, StandardCharsets.UTF_8), 40, 10), false);
        assertEquals(40, again.stepsDone());
        String text = log.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("skipping damaged checkpoint") && text.contains("resumed from") && text.contains("step-00000030"), text);
        assertArrayEquals(straight.params.get("w").value(), third.params.get("w").value());

        // A checkpoint of another stage is refused.
        Trainer.Stage other = new ToyStage() {
            @Override
            public String name() {
                return "vae";
            }
        };
        var e = assertThrows(IllegalArgumentException.class,
                () -> new Trainer().run(other, new Trainer.Options(run, 50, 15, 2, true, 10), quiet(50), false));
        assertTrue(e.getMessage().contains("stage 'toy'"), e.getMessage());
    }

    @Test
    void progressLinesCarryLossGradNormLrSpeedAndEta() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        long[] now = {0};
        ProgressPrinter p = new ProgressPrinter(new PrintStream(bytes, true, StandardCharsets.UTF_8), 100, 10, () -> now[0]);
        p.start(0);
        for (int s = 1; s <= 20; s++) {
            now[0] += 500_000_000L; // 2 steps/s
            p.step(s, new Trainer.StepResult(0.25, 1.5, 2e-6, Map.of("critic", 0.125)));
        }
        String[] lines = bytes.toString(StandardCharsets.UTF_8).trim().split("\n");
        assertEquals(2, lines.length);
        assertEquals("step 20/100  loss 0.25000  grad-norm 1.50  lr 2.00e-06  critic 0.1250  2.00 steps/s  ETA 40s", lines[1]);
        assertEquals("3h02m", ProgressPrinter.duration(3 * 3600 + 125));
        assertEquals("14m05s", ProgressPrinter.duration(845));
    }

    @Test
    void infoShowsACheckpoint(@TempDir Path dir) {
        ToyStage s = new ToyStage();
        new Trainer().run(s, new Trainer.Options(dir, 3, 2, 5, false, 10), quiet(3), false);
        StringWriter out = new StringWriter();
        CommandLine cli = new CommandLine(new TrainCommand()); // registered in Main; Main loads every command (slow)
        cli.setOut(new PrintWriter(out));
        assertEquals(0, cli.execute("info", dir.toString()));
        String text = out.toString();
        assertTrue(text.contains("stage      toy") && text.contains("step       3") && text.contains("also       step-00000002")
                && text.contains("params     model            1 tensors") && text.contains("steps 3")
                && text.contains("seed       data = 5"), text);
        StringWriter err = new StringWriter();
        cli.setErr(new PrintWriter(err));
        assertEquals(1, cli.execute("info", dir.resolve("nothing").toString()));
        assertTrue(err.toString().contains("neither a checkpoint"), err.toString());
    }

    @picocli.CommandLine.Command(name = "stage")
    static final class StageCommand implements Runnable {
        @picocli.CommandLine.Mixin
        TrainOptions run;

        @Override
        public void run() {}
    }

    @Test
    void stageCommandsShareTheTrainOptions() {
        StageCommand c = new StageCommand();
        new CommandLine(c).parseArgs("-o", "runs/x", "--steps", "50", "--no-resume", "--checkpoint-every", "7");
        Trainer.Options o = c.run.trainerOptions();
        assertEquals(Path.of("runs/x"), o.checkpointDir());
        assertEquals(50, o.totalSteps());
        assertEquals(7, o.checkpointEvery());
        assertFalse(o.resume());
        assertEquals(3, o.keepLast());
        StageCommand d = new StageCommand();
        new CommandLine(d).parseArgs("-o", "r", "--steps", "1");
        assertTrue(d.run.trainerOptions().resume());
    }
}
