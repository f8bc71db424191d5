package longlive.train;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code longlive train long}: stage 5, LongLive's streaming long tuning (docs/training.md). */
@Command(name = "long", mixinStandardHelpOptions = true,
        description = {"Streaming long tuning: LoRA on the generator's and the critic's block linears; each sequence is "
                + "rolled out chunk by chunk with the KV cache carried over (detached), each chunk judged by the "
                + "teacher (CFG) and the critic on the last --judge frames with DMD loss on its new frames only, one "
                + "random exit step per chunk with gradient, one prompt switch per sequence with the KV-recache. Writes "
                + "RUN/long/ (a model directory, LoRA merged; lora.safetensors in PEFT layout) and RUN/long_summary.json.",
                "Example: longlive train long --student runs/dmd/dmd --teacher runs/teacher/teacher --critic runs/dmd/critic/model.safetensors -o runs/long --steps 200"})
public final class TrainLongCommand implements Callable<Integer> {
    @Mixin
    TrainOptions run;

    @Option(names = "--student", required = true, paramLabel = "DIR", description = "The generator to tune (stage 4b's RUN/dmd).")
    Path student;

    @Option(names = "--teacher", required = true, paramLabel = "DIR", description = "The teacher (stage 3's RUN/teacher): the real score.")
    Path teacher;

    @Option(names = "--critic", paramLabel = "FILE", description = "Critic weights to start from (stage 4b's RUN/critic/model.safetensors; default: the teacher's).")
    Path critic;

    @Option(names = "--judge", defaultValue = "12", description = "Frames of the judged window and of the first chunk (default: ${DEFAULT-VALUE}; the reference: 21).")
    int judge;

    @Option(names = "--chunk", defaultValue = "6", description = "New frames per later chunk (default: ${DEFAULT-VALUE}; the reference: 18).")
    int chunk;

    @Option(names = "--chunks", defaultValue = "5", description = "Chunks per sequence (default: ${DEFAULT-VALUE}, i.e. 12 + 4 x 6 = 36 latent frames).")
    int chunks;

    @Option(names = "--no-switch", negatable = false, description = "No prompt switch in the sequences (default: one switch per sequence).")
    boolean noSwitch;

    @Option(names = "--guidance", defaultValue = "3.0", description = "Real score's CFG scale (default: ${DEFAULT-VALUE}).")
    double guidance;

    @Option(names = "--ratio", defaultValue = "5", description = "Critic updates per generator update (default: ${DEFAULT-VALUE}).")
    int ratio;

    @Option(names = "--lora-rank", defaultValue = "16", description = "LoRA rank (default: ${DEFAULT-VALUE}; the reference: 256 at width 1536).")
    int loraRank;

    @Option(names = "--lora-alpha", defaultValue = "16", description = "LoRA alpha (default: ${DEFAULT-VALUE}; the reference: alpha = rank).")
    double loraAlpha;

    @Option(names = "--gen-lr", defaultValue = "1e-4", description = "Generator LoRA learning rate (default: ${DEFAULT-VALUE}; the reference: 1e-5).")
    double genLr;

    @Option(names = "--critic-lr", defaultValue = "2e-5", description = "Critic LoRA learning rate (default: ${DEFAULT-VALUE}; the reference: 2e-6).")
    double criticLr;

    @Option(names = "--grad-clip", defaultValue = "10.0", description = "Max gradient norm (default: ${DEFAULT-VALUE}).")
    double gradClip;

    @Option(names = "--threads", description = "Worker threads (default: all cores).")
    Integer threads;

    @Override
    public Integer call() throws Exception {
        LongTuning.Options o = new LongTuning.Options(student, teacher, critic, run.runDir, judge, chunk, chunks, !noSwitch,
                guidance, ratio, loraRank, loraAlpha, genLr, criticLr, run.steps, gradClip, run.seed,
                TrainOptions.threads(threads));
        return run.runAndExport(new LongTuning(o, System.out));
    }
}
