package longlive.vae;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import longlive.io.SafeTensors;
import longlive.io.SafeTensorsWriter;
import longlive.io.StateDict;
import longlive.io.WanVaeCheckpoint;
import longlive.kernel.Parallel;
import longlive.tensor.ShapeException;
import longlive.tensor.Tensor;

/**
 * The VAE parity case (run by {@code longlive replay}): a directory with {@code vae_config.json},
 * {@code vae.safetensors} (the reference {@code WanVAE_} state-dict names) and {@code inputs.safetensors}.
 * <ul>
 * <li>decode: inputs {@code latents [z, F, H, W]}, {@code mean}, {@code std} {@code [z]}; writes {@code video}
 * {@code [3, 1 + 4(F-1), 8H, 8W]} = decode(latents * std + mean) clamped to [-1, 1].</li>
 * <li>encode (when the inputs hold {@code video [3, 1 + 4k, H, W]} instead): writes {@code mu [z, 1 + k, H/8, W/8]}
 * = (mu - mean) / std.</li>
 * </ul>
 */
public final class VaeReplayCase {
    private VaeReplayCase() {}

    /** Whether {@code dir} looks like a VAE case (has {@code vae_config.json}). */
    public static boolean isVaeCase(Path dir) {
        return Files.isRegularFile(dir.resolve("vae_config.json"));
    }

    /** Runs the case in {@code caseDir} on all cores with the fast kernels and writes the result to {@code out}. */
    public static void run(Path caseDir, Path out) throws IOException {
        try (Parallel par = Parallel.allCores()) {
            Tensor result = run(caseDir, VaeKernels.fast(par));
            String name = isEncode(caseDir) ? "mu" : "video";
            new SafeTensorsWriter().metadata("format", "pt").add(name, result).write(out);
        }
    }

    private static boolean isEncode(Path caseDir) {
        try (StateDict in = SafeTensors.load(caseDir.resolve("inputs.safetensors"))) {
            return !in.contains("latents");
        }
    }

    /** Runs the case and returns {@code video} (decode) or {@code mu} (encode). */
    public static Tensor run(Path caseDir, VaeKernels kernels) throws IOException {
        if (!Files.isDirectory(caseDir)) throw new IllegalArgumentException(caseDir + ": not a directory");
        VaeConfig config = VaeConfig.fromJson(caseDir.resolve("vae_config.json"));
        VaeWeights weights = WanVaeCheckpoint.load(caseDir.resolve("vae.safetensors"), config);
        Path inputs = caseDir.resolve("inputs.safetensors");
        Tensor latents = null, video = null;
        LatentStats stats;
        try (StateDict in = SafeTensors.load(inputs)) {
            for (String need : new String[] {"mean", "std"})
                if (!in.contains(need)) throw new IllegalArgumentException(inputs + ": no tensor '" + need + "'");
            int z = config.zDim();
            stats = new LatentStats(in.tensor("mean", z).data(), in.tensor("std", z).data());
            if (in.contains("latents")) latents = in.tensor("latents");
            else if (in.contains("video")) video = in.tensor("video");
            else throw new IllegalArgumentException(inputs + ": holds neither 'latents' (decode) nor 'video' (encode)");
        } catch (ShapeException e) {
            throw new IllegalArgumentException(inputs + ": " + e.getMessage(), e);
        }
        WanVae vae = new WanVae(weights, kernels);
        return latents != null ? vae.decode(latents, stats) : vae.encode(video, stats);
    }
}
