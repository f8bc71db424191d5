package longlive.stream;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import longlive.dit.DitKernels;
import longlive.io.SafeTensorsWriter;
import longlive.kernel.Parallel;
import longlive.tensor.Tensor;
import longlive.text.TextReplayCase;
import longlive.vae.VaeReplayCase;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code longlive replay CASE_DIR OUT.safetensors}: a generation with given noise and prompts, for parity checks. */
@Command(name = "replay", mixinStandardHelpOptions = true,
        description = {"Runs a LongLive generation whose every random draw and prompt embedding is given, and writes "
                + "the latents (tensor 'latents' [F, C, H, W] f32).",
                "CASE_DIR holds config.json, model.safetensors, inputs.safetensors (noise, prompt_embeds, step_noise) "
                + "and schedule.json; see docs/inference.md.",
                "A directory with vae_config.json is a VAE case (writes 'video'); one with t5_config.json is a text "
                + "encoder case (writes 'text_embeds'); see docs/vae.md and docs/text.md."})
public final class ReplayCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "CASE_DIR", description = "the case directory")
    Path caseDir;

    @Parameters(index = "1", paramLabel = "OUT", description = "output .safetensors file")
    Path out;

    @Option(names = "--threads", description = "worker threads (default: all cores)")
    Integer threads;

    @Option(names = "--scalar", description = "use the scalar reference kernels")
    boolean scalar;

    @Override
    public Integer call() throws Exception {
        // The case directory's config file says which stage it exercises.
        if (VaeReplayCase.isVaeCase(caseDir)) {
            VaeReplayCase.run(caseDir, out);
            System.out.println("replay: VAE case -> " + out);
            return 0;
        }
        if (TextReplayCase.isTextCase(caseDir)) {
            TextReplayCase.run(caseDir, out);
            System.out.println("replay: text encoder case -> " + out);
            return 0;
        }
        ReplayCase c = ReplayCase.read(caseDir);
        long t0 = System.nanoTime();
        Tensor latents;
        try (Parallel par = threads == null ? Parallel.allCores() : new Parallel(threads)) {
            latents = c.run(scalar ? DitKernels.scalar(par) : DitKernels.fast(par));
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        new SafeTensorsWriter().metadata("format", "pt").add("latents", latents).write(out);
        System.out.printf("replay: %d latent frames (%s, %d switch(es)) in %.2f s -> %s%n", c.frames(),
                c.inference().ropeMode() instanceof longlive.dit.RopeMode.Relative ? "relative RoPE" : "absolute RoPE",
                c.switchFrameIndices().length, secs, out);
        return 0;
    }
}
