package longlive.train;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code longlive train dmd}: stage 4b, Self-Forcing DMD (docs/training.md). */
@Command(name = "dmd", mixinStandardHelpOptions = true,
        description = {"Self-Forcing DMD: the causal student (generator) is rolled out block by block against its own "
                + "KV cache as at inference, one random exit step per block with gradient; the frozen teacher with CFG "
                + "is the real score, a critic initialised from the teacher (fake score) learns the generator's "
                + "distribution with the flow loss. Writes RUN/dmd/ (a streaming model directory) and RUN/dmd_summary.json.",
                "Example: longlive train dmd --student runs/ode/student --teacher runs/teacher/teacher -o runs/dmd --steps 500"})
public final class TrainDmdCommand implements Callable<Integer> {
    @Mixin
    TrainOptions run;

    @Option(names = "--student", required = true, paramLabel = "DIR", description = "The causal student (stage 4a's RUN/student).")
    Path student;

    @Option(names = "--teacher", required = true, paramLabel = "DIR", description = "The teacher (stage 3's RUN/teacher): real score and critic init.")
    Path teacher;

    @Option(names = "--latent-frames", defaultValue = "12", description = "Latent frames per rollout, a multiple of 3 (default: ${DEFAULT-VALUE}, so the window of 9 rolls once; the reference: 21 with a window of 12).")
    int latentFrames;

    @Option(names = "--guidance", defaultValue = "3.0", description = "Real score's CFG scale (default: ${DEFAULT-VALUE}, the reference's).")
    double guidance;

    @Option(names = "--ratio", defaultValue = "5", description = "Critic updates per generator update (default: ${DEFAULT-VALUE}, the reference's).")
    int ratio;

    @Option(names = "--batch", defaultValue = "1", description = "Rollouts per update, generator and critic alike, gradients averaged (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--gen-lr", defaultValue = "2e-5", description = "Generator learning rate (default: ${DEFAULT-VALUE}; the reference: 2e-6 at 1.3B).")
    double genLr;

    @Option(names = "--critic-lr", defaultValue = "4e-6", description = "Critic learning rate (default: ${DEFAULT-VALUE}; the reference: 4e-7 at 1.3B).")
    double criticLr;

    @Option(names = "--grad-clip", defaultValue = "10.0", description = "Max gradient norm (default: ${DEFAULT-VALUE}, the reference's).")
    double gradClip;

    @Option(names = "--ema", defaultValue = "0.99", description = "Generator EMA decay (default: ${DEFAULT-VALUE}, the reference's).")
    double ema;

    @Option(names = "--threads", description = "Worker threads (default: all cores).")
    Integer threads;

    @Override
    public Integer call() throws Exception {
        DmdTraining.Options o = new DmdTraining.Options(student, teacher, run.runDir, latentFrames, guidance, ratio, genLr,
                criticLr, run.steps, gradClip, ema, run.seed, TrainOptions.threads(threads), batch);
        return run.runAndExport(new DmdTraining(o, System.out));
    }
}
