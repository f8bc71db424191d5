package longlive.train;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code longlive train ode}: stage 4a, the causal student's ODE-trajectory initialisation (docs/training.md). */
@Command(name = "ode", mixinStandardHelpOptions = true,
        description = {"Initialise the causal student by ODE-trajectory regression: the teacher (with CFG) solves the "
                + "flow ODE from noise for world captions (once, stored in RUN/ode_pairs.bin); the student, started "
                + "from the teacher's weights under the block-causal mask, learns to jump from each of the four "
                + "denoising timesteps to the clean end. Writes RUN/student/ (a streaming model directory) and "
                + "RUN/ode_summary.json.",
                "Example: longlive train ode --teacher runs/teacher/teacher -o runs/ode --steps 1000"})
public final class TrainOdeCommand implements Callable<Integer> {
    @Mixin
    TrainOptions run;

    @Option(names = "--teacher", required = true, paramLabel = "DIR", description = "The teacher's model directory (stage 3's RUN/teacher).")
    Path teacher;

    @Option(names = "--pairs", defaultValue = "256", description = "Teacher trajectories to generate (default: ${DEFAULT-VALUE}).")
    int pairs;

    @Option(names = "--latent-frames", defaultValue = "9", description = "Latent frames per trajectory, a multiple of 3 (default: ${DEFAULT-VALUE}).")
    int latentFrames;

    @Option(names = "--ode-steps", defaultValue = "48", description = "Euler steps of the teacher's sampler, a multiple of 4 (default: ${DEFAULT-VALUE}).")
    int odeSteps;

    @Option(names = "--guidance", defaultValue = "3.0", description = "Teacher's classifier-free guidance scale (default: ${DEFAULT-VALUE}).")
    double guidance;

    @Option(names = "--batch", defaultValue = "2", description = "Trajectories per step (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--lr", defaultValue = "2e-4", description = "Peak learning rate (default: ${DEFAULT-VALUE}).")
    double lr;

    @Option(names = "--warmup", defaultValue = "50", description = "Warm-up steps (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--grad-clip", defaultValue = "1.0", description = "Max gradient norm (default: ${DEFAULT-VALUE}).")
    double gradClip;

    @Option(names = "--ema", defaultValue = "0.99", description = "EMA decay (default: ${DEFAULT-VALUE}).")
    double ema;

    @Option(names = "--threads", description = "Worker threads (default: all cores).")
    Integer threads;

    @Override
    public Integer call() throws Exception {
        OdeTraining.Options o = new OdeTraining.Options(teacher, run.runDir, pairs, latentFrames, odeSteps, guidance,
                batch, lr, warmup, run.steps, gradClip, ema, run.seed,
                TrainOptions.threads(threads));
        return run.runAndExport(new OdeTraining(o, System.out));
    }
}
