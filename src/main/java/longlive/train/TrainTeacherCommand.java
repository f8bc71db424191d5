package longlive.train;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import longlive.dit.DitConfig;
import longlive.text.T5Config;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code longlive train teacher}: stages 2 + 3, the text encoder and the bidirectional teacher (docs/training.md). */
@Command(name = "teacher", mixinStandardHelpOptions = true,
        description = {"Train the bidirectional teacher DiT with flow matching on latents of Shapes-world clips (encoded "
                + "once by the stage-1 VAE), jointly with a small umT5 text encoder and a tokenizer built from the "
                + "world's captions; caption dropout for classifier-free guidance. Writes RUN/teacher/ (a model "
                + "directory with the EMA weights) and RUN/teacher_summary.json.",
                "Example: longlive train teacher --vae runs/vae -o runs/teacher --steps 3000"})
public final class TrainTeacherCommand implements Callable<Integer> {
    @Mixin
    TrainOptions run;

    @Option(names = "--vae", required = true, paramLabel = "VAE_RUN", description = "Stage-1 run directory (holds vae/).")
    Path vaeRun;

    @Option(names = "--size", defaultValue = "64", description = "Clip height and width (default: ${DEFAULT-VALUE}).")
    int size;

    @Option(names = "--latent-frames", defaultValue = "9", description = "Latent frames per clip (default: ${DEFAULT-VALUE} = 33 video frames).")
    int latentFrames;

    @Option(names = "--clips", defaultValue = "2048", description = "Distinct training clips, encoded once (default: ${DEFAULT-VALUE}).")
    int clips;

    @Option(names = "--eval-clips", defaultValue = "16", description = "Held-out clips for the summary's flow loss (default: ${DEFAULT-VALUE}).")
    int evalClips;

    @Option(names = "--batch", defaultValue = "4", description = "Clips per step (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--lr", defaultValue = "5e-4", description = "Peak learning rate (default: ${DEFAULT-VALUE}).")
    double lr;

    @Option(names = "--warmup", defaultValue = "100", description = "Warm-up steps (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--grad-clip", defaultValue = "1.0", description = "Max gradient norm (default: ${DEFAULT-VALUE}).")
    double gradClip;

    @Option(names = "--ema", defaultValue = "0.995", description = "EMA decay (default: ${DEFAULT-VALUE}).")
    double ema;

    @Option(names = "--weight-decay", defaultValue = "0.0", description = "AdamW weight decay (default: ${DEFAULT-VALUE}).")
    double weightDecay;

    @Option(names = "--caption-dropout", defaultValue = "0.1", description = "Probability of the empty caption, for CFG (default: ${DEFAULT-VALUE}).")
    double captionDropout;

    @Option(names = "--shift", defaultValue = "5.0", description = "Flow-matching timestep shift (default: ${DEFAULT-VALUE}, the reference's).")
    double shift;

    @Option(names = "--object-weight", defaultValue = "0", description = "Extra flow-loss weight on the latent cells the "
            + "world's objects cover: 1 + W x coverage (default: ${DEFAULT-VALUE}, the reference's plain loss).")
    double objectWeight;

    @Option(names = "--dim", defaultValue = "128", description = "DiT width (default: ${DEFAULT-VALUE}; Wan 1.3B: 1536).")
    int dim;

    @Option(names = "--ffn", defaultValue = "512", description = "DiT feed-forward width (default: ${DEFAULT-VALUE}).")
    int ffn;

    @Option(names = "--heads", defaultValue = "4", description = "DiT attention heads (default: ${DEFAULT-VALUE}).")
    int heads;

    @Option(names = "--layers", defaultValue = "4", description = "DiT blocks (default: ${DEFAULT-VALUE}).")
    int layers;

    @Option(names = "--patch", defaultValue = "2", description = "Spatial patch size in latent cells (default: ${DEFAULT-VALUE}, the reference's; 1 = a token per latent cell, 4x the tokens).")
    int patch;

    @Option(names = "--text-dim", defaultValue = "64", description = "Text encoder width = DiT text_dim (default: ${DEFAULT-VALUE}).")
    int textDim;

    @Option(names = "--text-layers", defaultValue = "2", description = "Text encoder layers (default: ${DEFAULT-VALUE}).")
    int textLayers;

    @Option(names = "--text-len", defaultValue = "64", description = "Prompt tokens (default: ${DEFAULT-VALUE}; the world's captions need <= 51).")
    int textLen;

    @Option(names = "--threads", description = "Worker threads (default: all cores).")
    Integer threads;

    @Override
    public Integer call() throws Exception {
        int z = longlive.vae.VaeConfig.fromJson(vaeRun.resolve("vae/vae_config.json")).zDim();
        DitConfig dit = TeacherTraining.ditConfig(dim, ffn, heads, layers, z, textLen, textDim, patch);
        T5Config t5 = new T5Config(1, textDim, textDim, 2 * textDim, Math.max(1, textDim / 32), textLayers, 32, false);
        TeacherTraining.Options o = new TeacherTraining.Options(vaeRun, run.runDir, dit, t5, size, latentFrames, clips,
                batch, lr, warmup, run.steps, gradClip, ema, weightDecay, captionDropout, shift, objectWeight, run.seed, evalClips,
                TrainOptions.threads(threads));
        return run.runAndExport(new TeacherTraining(o, System.out));
    }
}
