package longlive.train;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import longlive.dit.DitConfig;
import longlive.dit.DitKernels;
import longlive.io.WanVaeCheckpoint;
import longlive.kernel.Parallel;
import longlive.pipeline.ModelDirectory;
import longlive.sampling.FlowMatchSchedule;
import longlive.tensor.Tensor;
import longlive.text.T5Kernels;
import longlive.text.TextEncoder;
import longlive.vae.VaeKernels;
import longlive.vae.WanVae;
import longlive.video.Frame;
import longlive.video.Mp4Writer;
import longlive.video.PngFolderWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code longlive train teacher-sample}: what the bidirectional teacher makes of a prompt — the same Euler CFG sampler
 * that writes the ODE pairs, decoded by the model's VAE into an MP4 — so a teacher can be judged (with {@code eval})
 * before the student stages distil it.
 */
@Command(name = "teacher-sample", mixinStandardHelpOptions = true,
        description = {"Sample the bidirectional teacher for one prompt (Euler steps on the shifted schedule, CFG) and "
                + "decode it to an MP4.",
                "Example: longlive train teacher-sample --teacher runs/teacher/teacher --prompt \"a red circle\" -o t.mp4"})
public final class TeacherSampleCommand implements Callable<Integer> {
    @Option(names = "--teacher", required = true, paramLabel = "DIR", description = "The teacher's model directory.")
    Path teacher;

    @Option(names = "--prompt", required = true, description = "The caption.")
    String prompt;

    @Option(names = "--latent-frames", defaultValue = "9", description = "Latent frames (default: ${DEFAULT-VALUE} = 33 video frames).")
    int latentFrames;

    @Option(names = "--steps", defaultValue = "48", description = "Euler steps (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--guidance", defaultValue = "3.0", description = "CFG scale (default: ${DEFAULT-VALUE}).")
    double guidance;

    @Option(names = "--seed", defaultValue = "0", description = "Noise seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = {"-o", "--out"}, required = true, description = "Output MP4 (16 fps).")
    Path out;

    @Option(names = "--png-dir", paramLabel = "DIR", description = "Also write every frame as a PNG.")
    Path pngDir;

    @Override
    public Integer call() throws Exception {
        if (latentFrames < 1 || steps < 1) throw new IllegalArgumentException("--latent-frames and --steps must be >= 1");
        ModelDirectory md = ModelDirectory.open(teacher);
        DitConfig c = md.dit();
        int h = md.latentHeight(), w = md.latentWidth(), fs = c.inDim() * h * w;
        try (Parallel par = Parallel.allCores()) {
            DitKernels dk = DitKernels.fast(par);
            TextEncoder text = TextEncoder.load(md.t5Weights(), md.tokenizer(), c.textLen(), T5Kernels.fast(par), 4);
            OdeTraining.TeacherSampler sampler = new OdeTraining.TeacherSampler(md.loadDit(dk.matMul()), dk, text,
                    new FlowMatchSchedule(md.inference().timestepShift()), latentFrames, h, w);
            float[] noise = new float[latentFrames * fs], traj = new float[2 * latentFrames * fs];
            VaeTraining.gaussian(new java.util.SplittableRandom(seed), noise);
            sampler.sample(prompt, noise, steps, guidance, 1, traj, 0);     // keep the start and the clean end
            float[] lat = new float[latentFrames * fs];                     // [F, z, h, w] -> [z, F, h, w]
            int hw = h * w;
            for (int f = 0; f < latentFrames; f++)
                for (int z = 0; z < c.inDim(); z++)
                    System.arraycopy(traj, latentFrames * fs + (f * c.inDim() + z) * hw, lat, (z * latentFrames + f) * hw, hw);
            WanVae vae = new WanVae(WanVaeCheckpoint.load(md.vaeWeights(), md.vae()), VaeKernels.fast(par));
            Tensor video = vae.decode(Tensor.of(lat, c.inDim(), latentFrames, h, w), md.stats());
            int t = video.dim(1), vh = video.dim(2), vw = video.dim(3);
            float[] v = video.data();
            try (Mp4Writer mp4 = new Mp4Writer(out, 16);
                 PngFolderWriter png = pngDir == null ? null : new PngFolderWriter(pngDir)) {
                for (int f = 0; f < t; f++) {
                    Frame frame = VaeCheckCommand.frameAt(v, t, f, vw, vh);
                    mp4.write(frame);
                    if (png != null) png.write(frame);
                }
            }
            System.out.printf("teacher-sample: %d video frames %dx%d, %d Euler steps, CFG %.1f -> %s%n", t, vw, vh, steps, guidance, out);
        }
        return 0;
    }
}
