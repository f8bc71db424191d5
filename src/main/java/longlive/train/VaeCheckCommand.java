package longlive.train;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import longlive.io.WanVaeCheckpoint;
import longlive.kernel.Parallel;
import longlive.pipeline.VideoPipeline;
import longlive.tensor.Tensor;
import longlive.vae.LatentStats;
import longlive.vae.VaeConfig;
import longlive.vae.VaeKernels;
import longlive.vae.WanVae;
import longlive.video.Frame;
import longlive.video.Mp4Writer;
import longlive.video.PngFolderWriter;
import longlive.world.GroundTruth;
import longlive.world.Script;
import longlive.world.ScriptIo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code longlive train vae-check}: the ceiling a VAE puts on every later stage. Renders a Shapes-world script, sends
 * it through the VAE (encode, streaming decode) and writes the reconstruction as an MP4 that {@code eval} can score
 * against the same script.
 */
@Command(name = "vae-check", mixinStandardHelpOptions = true,
        description = {"Render a Shapes-world script, encode and decode it with a VAE, write the reconstruction (MP4) "
                + "and print its PSNR; score it with `longlive eval OUT --script SCRIPT`.",
                "Example: longlive train vae-check --vae runs/vae --script heldout.jsonl -o recon.mp4"})
public final class VaeCheckCommand implements Callable<Integer> {
    @Option(names = "--vae", required = true, paramLabel = "DIR", description = "A VAE run directory (holds vae/) or a model directory's vae/ parent.")
    Path vae;

    @Parameters(index = "0", paramLabel = "SCRIPT", description = "Shapes-world script (JSONL with a world), first line used unless --line.")
    Path script;

    @Option(names = "--line", defaultValue = "1", description = "Script line (1-based; default ${DEFAULT-VALUE}).")
    int line;

    @Option(names = "--size", defaultValue = "64", description = "Video height and width (default: ${DEFAULT-VALUE}).")
    int size;

    @Option(names = {"-o", "--out"}, required = true, description = "Reconstruction MP4.")
    Path out;

    @Option(names = "--png-dir", paramLabel = "DIR", description = "Also write every frame as a PNG: ground truth left, reconstruction right.")
    Path pngDir;

    @Override
    public Integer call() throws Exception {
        List<Script> scripts = ScriptIo.read(script);
        if (line < 1 || line > scripts.size())
            throw new IllegalArgumentException(script + " has " + scripts.size() + " script line(s), --line " + line + " asked for");
        Script s = scripts.get(line - 1);
        if (s.world() == null) throw new IllegalArgumentException(script + " line " + line + " has no world to render");
        Path dir = vae.resolve("vae");
        VaeConfig cfg = VaeConfig.fromJson(dir.resolve("vae_config.json"));
        LatentStats stats = LatentStats.fromJson(dir.resolve("latent_stats.json"));
        List<Frame> frames = GroundTruth.frames(s, size, size);
        int t = 1 + (frames.size() - 1) / 4 * 4;                 // the VAE's 1 + 4k frames
        int hw = size * size;
        float[] v = new float[3 * t * hw];
        for (int f = 0; f < t; f++) {
            byte[] rgb = frames.get(f).rgb();
            for (int p = 0; p < hw; p++)
                for (int ch = 0; ch < 3; ch++) v[(ch * t + f) * hw + p] = (rgb[p * 3 + ch] & 0xFF) / 127.5f - 1f;
        }
        double se = 0;
        double[] seOfFrame = new double[t];
        try (Parallel par = Parallel.allCores()) {
            WanVae wan = new WanVae(WanVaeCheckpoint.load(dir.resolve("model.safetensors"), cfg), VaeKernels.fast(par));
            Tensor recon = wan.decode(wan.encode(Tensor.of(v, 3, t, size, size), stats), stats);
            float[] r = recon.data();
            try (Mp4Writer mp4 = new Mp4Writer(out, s.fps());
                 PngFolderWriter png = pngDir == null ? null : new PngFolderWriter(pngDir)) {
                Frame pair = Frame.black(2 * size, size);
                for (int f = 0; f < t; f++) {
                    for (int ch = 0; ch < 3; ch++)
                        for (int p = 0; p < hw; p++) {
                            int i = (ch * t + f) * hw + p;
                            double d = Math.max(-1f, Math.min(1f, r[i])) - v[i];
                            seOfFrame[f] += d * d;
                        }
                    se += seOfFrame[f];
                    Frame frame = frameAt(r, t, f, size, size);
                    mp4.write(frame);
                    if (png != null) {
                        for (int y = 0; y < size; y++)
                            for (int x = 0; x < size; x++) {
                                int g = frames.get(f).rgbAt(x, y), rc = frame.rgbAt(x, y);
                                pair.set(x, y, g >> 16 & 0xFF, g >> 8 & 0xFF, g & 0xFF);
                                pair.set(size + x, y, rc >> 16 & 0xFF, rc >> 8 & 0xFF, rc & 0xFF);
                            }
                        png.write(pair);
                    }
                }
            }
        }
        double mse = se / (3.0 * t * hw);
        System.out.printf("vae-check: %d frames %dx%d through %s: PSNR %.2f dB (peak-to-peak 2) -> %s%n", t, size, size, dir,
                10 * Math.log10(4 / mse), out);
        // A VAE trained on short clips can reconstruct their first second well and decay after it: show PSNR over time.
        int bin = s.fps();
        StringBuilder bySecond = new StringBuilder("vae-check: PSNR by second:");
        for (int from = 0; from < t; from += bin) {
            double binSe = 0;
            int to = Math.min(t, from + bin);
            for (int f = from; f < to; f++) binSe += seOfFrame[f];
            bySecond.append(String.format(" %.1f", 10 * Math.log10(4 / (binSe / (3.0 * (to - from) * hw)))));
        }
        System.out.println(bySecond);
        return 0;
    }

    /** Frame {@code f} of a decoded clip {@code [3, frames, H, W]} in [-1, 1] as 8-bit RGB. */
    static Frame frameAt(float[] video, int frames, int f, int width, int height) {
        int plane = width * height;
        float[] one = new float[3 * plane];
        for (int ch = 0; ch < 3; ch++) System.arraycopy(video, (ch * frames + f) * plane, one, ch * plane, plane);
        return VideoPipeline.toFrame(one, 0, width, height);
    }
}
