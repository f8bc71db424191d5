package longlive.train;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * The options every {@code train <stage>} command shares (a picocli mixin: {@code @Mixin TrainOptions run;}),
 * turned into {@link Trainer.Options} by {@link #trainerOptions()}.
 */
public final class TrainOptions {
    @Option(names = {"-o", "--run-dir"}, required = true, description = "run directory: checkpoints go to RUN_DIR/step-NNNNNNNN")
    public Path runDir;

    @Option(names = "--steps", required = true, description = "total optimisation steps (a resumed run does the rest)")
    public long steps;

    @Option(names = "--checkpoint-every", defaultValue = "200", description = "save every N steps (and at the end, and on Ctrl-C); default ${DEFAULT-VALUE}")
    public int checkpointEvery;

    @Option(names = "--keep", defaultValue = "3", description = "checkpoints to keep; default ${DEFAULT-VALUE}")
    public int keep;

    @Option(names = "--resume", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "continue from the newest checkpoint in the run directory (--no-resume starts over); default ${DEFAULT-VALUE}")
    public boolean resume;

    @Option(names = "--print-every", defaultValue = "10", description = "progress line every N steps; default ${DEFAULT-VALUE}")
    public int printEvery;

    @Option(names = "--seed", defaultValue = "0", description = "training seed (data, noise, timesteps); default ${DEFAULT-VALUE}")
    public long seed;

    /**
     * Runs (or resumes) {@code stage} to {@link #steps} with progress on stdout, exports its result and closes it:
     * the body of every {@code train <stage>} command.
     */
    public int runAndExport(Trainer.ExportingStage stage) throws java.io.IOException {
        try (stage) {
            long t0 = System.nanoTime();
            Trainer.Result r = new Trainer().run(stage, trainerOptions(), new ProgressPrinter(System.out, steps, printEvery), true);
            stage.export(r.stepsDone(), (System.nanoTime() - t0) / 1e9);
        }
        return 0;
    }

    /** Worker threads: the {@code --threads} value, or every core. */
    public static int threads(Integer requested) {
        return requested == null ? Runtime.getRuntime().availableProcessors() : requested;
    }

    /** The loop options. */
    public Trainer.Options trainerOptions() {
        return new Trainer.Options(runDir, steps, checkpointEvery, keep, resume, printEvery);
    }
}
