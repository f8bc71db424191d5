package longlive.train;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import longlive.vae.VaeConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code longlive train vae}: stage 1, a small Wan-VAE on Shapes-world clips (see docs/training-vae.md). */
@Command(name = "vae", mixinStandardHelpOptions = true,
        description = {"Train a small Wan-VAE (the real architecture at reduced widths) on Shapes-world clips: L1 + small "
                + "KL, AdamW, gradient clipping, EMA, resumable checkpoints under OUT/checkpoints. Writes OUT/vae/ "
                + "(model.safetensors, vae_config.json, latent_stats.json) and OUT/train_summary.json.",
                "Example: longlive train vae --out runs/vae --minutes 30"})
public final class TrainVaeCommand implements Callable<Integer> {
    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Run directory (resumed if it holds checkpoints).")
    Path out;

    @Option(names = "--dim", defaultValue = "8", description = "Base width (default: ${DEFAULT-VALUE}; Wan2.1: 96).")
    int dim;

    @Option(names = "--z-dim", defaultValue = "8", description = "Latent channels = the DiT's in_dim (default: ${DEFAULT-VALUE}).")
    int zDim;

    @Option(names = "--res-blocks", defaultValue = "2", description = "Residual blocks per level (default: ${DEFAULT-VALUE}).")
    int resBlocks;

    @Option(names = "--size", defaultValue = "64", description = "Clip height and width (default: ${DEFAULT-VALUE}).")
    int size;

    @Option(names = "--crop", defaultValue = "0",
            description = "Train on random CROPxCROP windows of the clips, a multiple of 8 (0 = whole frames; default: ${DEFAULT-VALUE}).")
    int crop;

    @Option(names = "--frames", defaultValue = "17", description = "Frames per clip, 1 + 4k (default: ${DEFAULT-VALUE}).")
    int frames;

    @Option(names = "--batch", defaultValue = "1", description = "Clips per step (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--steps", defaultValue = "2000", description = "Schedule length in steps (default: ${DEFAULT-VALUE}).")
    long steps;

    @Option(names = "--minutes", defaultValue = "0", description = "Stop this run after this many minutes, checkpointed (0: no limit).")
    double minutes;

    @Option(names = "--stop-at", defaultValue = "0", paramLabel = "STEP",
            description = "Stop this run at this step, checkpointed, with the --steps schedule unchanged (0: run to --steps).")
    long stopAt;

    @Option(names = "--lr", defaultValue = "1e-3", description = "Peak learning rate (default: ${DEFAULT-VALUE}).")
    double lr;

    @Option(names = "--warmup", defaultValue = "50", description = "Warm-up steps (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--kl-weight", defaultValue = "1e-6", description = "KL weight relative to L1 (default: ${DEFAULT-VALUE}, Wan's 3e-6 : 3).")
    double klWeight;

    @Option(names = "--mse-weight", defaultValue = "1.0",
            description = "Weight of a squared-error term added to L1; keeps small objects from being averaged into the background (default: ${DEFAULT-VALUE}).")
    double mseWeight;

    @Option(names = "--chroma-weight", defaultValue = "0.0",
            description = "Weight of a colour-difference (Cb, Cr) squared-error term: pushes colour in early (default: ${DEFAULT-VALUE}).")
    double chromaWeight;

    @Option(names = "--grad-clip", defaultValue = "1.0", description = "Max gradient norm (default: ${DEFAULT-VALUE}).")
    double gradClip;

    @Option(names = "--ema", defaultValue = "0.995", description = "EMA decay (default: ${DEFAULT-VALUE}).")
    double ema;

    @Option(names = "--weight-decay", defaultValue = "0.0", description = "AdamW weight decay (default: ${DEFAULT-VALUE}).")
    double weightDecay;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of weights, clips and noise (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--save-every", defaultValue = "100", description = "Checkpoint period in steps (default: ${DEFAULT-VALUE}).")
    int saveEvery;

    @Option(names = "--log-every", defaultValue = "10", description = "Progress period in steps (default: ${DEFAULT-VALUE}).")
    int logEvery;

    @Option(names = "--eval-clips", defaultValue = "16", description = "Held-out clips for the final PSNR (default: ${DEFAULT-VALUE}).")
    int evalClips;

    @Option(names = "--stats-clips", defaultValue = "32", description = "Training clips for the latent mean/std (default: ${DEFAULT-VALUE}).")
    int statsClips;

    @Option(names = "--init", paramLabel = "DIR", description = "Start from the VAE of this run or model directory "
            + "(holds vae/; same --dim, --z-dim, --res-blocks) instead of random weights, e.g. to fine-tune at another "
            + "--size. Ignored when --out holds checkpoints.")
    Path init;

    @Option(names = "--threads", description = "Worker threads (default: all cores).")
    Integer threads;

    @Override
    public Integer call() {
        VaeConfig cfg = new VaeConfig(dim, zDim, List.of(1, 2, 4, 4), resBlocks, List.of(), List.of(false, true, true));
        VaeTraining.Options o = new VaeTraining.Options(cfg, size, crop, frames, batch, steps, minutes, stopAt, lr, warmup, klWeight, mseWeight,
                chromaWeight, gradClip, ema, weightDecay, seed, saveEvery, logEvery, evalClips, statsClips, out,
                TrainOptions.threads(threads), init);
        VaeTraining.run(o, System.out);
        return 0;
    }
}
