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

    /** The loop options. */
    public Trainer.Options trainerOptions() {
        return new Trainer.Options(runDir, steps, checkpointEvery, keep, resume, printEvery);
    }
}
