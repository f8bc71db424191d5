package longlive.train;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The loop every training stage shares: resume from the newest checkpoint, run steps, print progress, checkpoint
 * every N steps and at the end, and on Ctrl-C / SIGTERM finish the current step, save, and stop cleanly.
 * A stage supplies one optimisation step and says what to checkpoint; randomness inside a step must come from
 * {@link StepRng} (seed, step) so a resumed run continues bit for bit.
 */
public final class Trainer {
    /** One training stage (VAE, text encoder, teacher, DMD, long tuning, ...). */
    public interface Stage {
        /** Short name, saved in the checkpoint metadata and checked on resume. */
        String name();

        /** Runs training step {@code step} (0-based: the number of steps completed before it). */
        StepResult step(long step);

        /** Everything needed to continue after {@code stepsDone} steps (params, optimizers, EMA, seeds). */
        TrainCheckpoint checkpoint(long stepsDone);

        /** Loads a checkpoint written by {@link #checkpoint} into the live model and optimizer state. */
        void restore(SavedCheckpoint checkpoint);
    }

    /**
     * A stage whose result is a directory written after the loop (a model directory and a summary), and which holds
     * worker threads until closed.
     */
    public interface ExportingStage extends Stage, AutoCloseable {
        /** Writes the stage's result after {@code steps} steps in all ({@code seconds} of them in this run). */
        java.nio.file.Path export(long steps, double seconds) throws java.io.IOException;

        @Override
        void close();
    }

    /**
     * The end of a step for a stage that trains one parameter set: clip the summed gradient to {@code maxNorm}, refuse
     * a non-finite norm (a diverged batch must not reach the weights or their EMA), AdamW at {@code lr}, then the EMA.
     *
     * @return the gradient norm before clipping
     */
    static double applyUpdate(String stage, long step, ParamSet params, double maxNorm, AdamW adam, double lr, Ema ema) {
        double norm = params.clipGradNorm(maxNorm);
        if (!Double.isFinite(norm)) throw new IllegalStateException(stage + " step " + step + ": gradient norm " + norm);
        adam.step(lr);
        ema.update();
        return norm;
    }

    /** What one step reports. {@code extra} holds stage-specific metrics (e.g. critic loss) in print order. */
    public record StepResult(double loss, double gradNorm, double lr, Map<String, Double> extra) {
        public StepResult {
            extra = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(extra));
        }

        public StepResult(double loss, double gradNorm, double lr) {
            this(loss, gradNorm, lr, Map.of());
        }
    }

    /**
     * @param checkpointDir   root under which {@code step-NNNNNNNN} directories are written
     * @param totalSteps      the run ends after this many steps in all (a resumed run does the rest)
     * @param checkpointEvery save every this many steps (and always at the end and on stop)
     * @param keepLast        how many checkpoints to keep
     * @param resume          continue from the newest checkpoint in {@code checkpointDir} if there is one
     * @param printEvery      progress line every this many steps
     */
    public record Options(Path checkpointDir, long totalSteps, int checkpointEvery, int keepLast, boolean resume, int printEvery) {
        public Options {
            if (totalSteps < 0) throw new IllegalArgumentException("total steps must be >= 0");
            if (checkpointEvery < 1) throw new IllegalArgumentException("checkpoint interval must be >= 1");
            if (keepLast < 1) throw new IllegalArgumentException("keepLast must be >= 1");
            if (printEvery < 1) throw new IllegalArgumentException("print interval must be >= 1");
        }
    }

    /** How a run ended. */
    public record Result(long stepsDone, boolean stopped, Path lastCheckpoint) {}

    private final AtomicBoolean stopRequested = new AtomicBoolean();

    /** Asks the loop to save and stop after the current step (what Ctrl-C does). Thread-safe. */
    public void requestStop() {
        stopRequested.set(true);
    }

    /**
     * Runs {@code stage} to {@code opt.totalSteps()}. With {@code installSignalHook}, Ctrl-C / SIGTERM request a stop
     * and the JVM waits (up to 10 minutes) for the checkpoint to be written before exiting.
     */
    public Result run(Stage stage, Options opt, ProgressPrinter progress, boolean installSignalHook) {
        long step = 0;
        if (opt.resume()) {
            SavedCheckpoint c = newestReadable(opt.checkpointDir(), progress);
            if (c != null) {
                String saved = c.meta().path("stage").asText("");
                if (!saved.isEmpty() && !saved.equals(stage.name()))
                    throw new IllegalArgumentException(c.dir() + " is a checkpoint of stage '" + saved + "', not '" + stage.name() + "'");
                stage.restore(c);
                step = c.step();
                progress.note("resumed from " + c.dir() + " (step " + step + ")");
            }
        }
        CountDownLatch finished = new CountDownLatch(1);
        Thread hook = installSignalHook ? new Thread(() -> {
            requestStop();
            try {
                finished.await(10, TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "train-stop") : null;
        if (hook != null) Runtime.getRuntime().addShutdownHook(hook);
        Path last = null;
        boolean stopped = false;
        try {
            progress.start(step);
            while (step < opt.totalSteps()) {
                StepResult r = stage.step(step);
                if (!Double.isFinite(r.loss()))
                    throw new IllegalStateException(stage.name() + ": loss is " + r.loss() + " at step " + step
                            + "; not saving this state (resume from the last checkpoint with a lower learning rate)");
                step++;
                progress.step(step, r);
                stopped = stopRequested.get();
                if (stopped || step % opt.checkpointEvery() == 0 || step == opt.totalSteps()) {
                    last = save(stage, step, opt);
                    progress.note((stopped ? "stopped: saved " : "saved ") + last);
                }
                if (stopped) break;
            }
        } finally {
            finished.countDown();
            if (hook != null) {
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException shuttingDown) {
                    // the hook is running: it returns as soon as finished is counted down
                }
            }
        }
        return new Result(step, stopped, last);
    }

    /**
     * The newest checkpoint that verifies; a damaged newer one (e.g. a disk error after it was written) is reported
     * and skipped rather than ending the run.
     */
    static SavedCheckpoint newestReadable(Path root, ProgressPrinter progress) {
        java.util.List<Path> all = TrainCheckpoint.all(root);
        for (int i = all.size() - 1; i >= 0; i--) {
            try {
                return TrainCheckpoint.load(all.get(i));
            } catch (longlive.io.CheckpointException e) {
                progress.note("skipping damaged checkpoint: " + e.getMessage());
            }
        }
        return null;
    }

    private static Path save(Stage stage, long step, Options opt) {
        TrainCheckpoint c = stage.checkpoint(step);
        if (c.step() != step) throw new IllegalStateException(stage.name() + " returned a checkpoint of step " + c.step() + " at step " + step);
        c.meta().put("stage", stage.name());
        return c.saveUnder(opt.checkpointDir(), opt.keepLast());
    }
}
