package longlive.train;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import longlive.io.CheckpointException;
import longlive.io.DType;
import longlive.io.SafeTensors;
import longlive.io.SafeTensorsWriter;
import longlive.io.TensorRef;
import longlive.kernel.Parallel;
import longlive.kernel.ScalarMatMul;
import longlive.pipeline.ModelDirectory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code longlive train pack}: turns a stage's model directory into the one that ships. A trained directory carries
 * extras inference never reads (long tuning's {@code lora.safetensors}, already merged into the DiT); the packed copy
 * holds exactly the files {@link ModelDirectory} opens, and with {@code --bf16} stores the weights as bfloat16, which
 * halves the size a repository has to carry at the cost of rounding every weight to 8 mantissa bits. The copy is
 * written beside the target and moved into place only after every tensor was read back and compared, so a failed pack
 * never leaves a half-written default behind.
 */
@Command(name = "pack", mixinStandardHelpOptions = true,
        description = {"Copy a trained model directory for shipping: only the files inference reads, optionally "
                + "with the weights stored as bfloat16; every tensor is read back and compared.",
                "Example: longlive train pack --model runs/long/long --bf16 -o models/default --force"})
public final class PackCommand implements Callable<Integer> {
    /** What {@link ModelDirectory#open} reads from a directory whose weights are safetensors files. */
    static final List<String> FILES = List.of("model.json", "inference.json", "dit/config.json", "dit/model.safetensors",
            "text/t5_config.json", "text/model.safetensors", "text/tokenizer.json", "vae/vae_config.json",
            "vae/model.safetensors", "vae/latent_stats.json");

    /**
     * bf16 keeps 8 significant bits: values in [2^e, 2^(e+1)) are 2^(e-7) apart, so rounding to the nearest moves a
     * value by at most 2^(e-8), i.e. at most 2^-8 of the value.
     */
    private static final double BF16_RELATIVE_ERROR = 1.0 / 256;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "The trained model directory (e.g. runs/long/long).")
    Path model;

    @Option(names = {"-o", "--out"}, required = true, paramLabel = "DIR", description = "Where the packed model goes (e.g. models/default).")
    Path out;

    @Option(names = "--bf16", description = "Store float weights as bfloat16 (half the size).")
    boolean bf16;

    @Option(names = "--force", description = "Replace OUT if it already exists.")
    boolean force;

    @Override
    public Integer call() throws IOException {
        ModelDirectory.open(model);                                    // refuses a broken directory before anything is written
        for (String f : FILES)
            if (!Files.isRegularFile(model.resolve(f)))
                throw new IllegalArgumentException(model + ": pack needs " + f + " (it packs directories written by the "
                        + "training stages, whose weights are safetensors files)");
        if (Files.exists(out) && !force)
            throw new IllegalArgumentException(out + " already exists; add --force to replace it");
        Path target = out.toAbsolutePath().normalize();
        Files.createDirectories(target.getParent());
        Path tmp = Files.createTempDirectory(target.getParent(), "." + target.getFileName() + ".packing-");
        PrintWriter log = spec.commandLine().getOut();
        try {
            long before = 0, after = 0;
            for (String f : FILES) {
                Path src = model.resolve(f), dst = tmp.resolve(f);
                Files.createDirectories(dst.getParent());
                before += Files.size(src);
                if (bf16 && f.endsWith(".safetensors")) {
                    writeBf16(src, dst);
                    log.printf(Locale.ROOT, "%-24s %9d -> %9d bytes, largest rounding %.2e of the value%n", f,
                            Files.size(src), Files.size(dst), compare(src, dst));
                } else {
                    Files.copy(src, dst);
                }
                after += Files.size(dst);
            }
            ModelDirectory packed = ModelDirectory.open(tmp);
            packed.loadDit(new ScalarMatMul(Parallel.serial()));                        // the DiT's shapes against its config
            TrainCheckpoint.replaceDirectory(tmp, target);
            log.printf(Locale.ROOT, "packed %s -> %s: %.2f MB -> %.2f MB%s%n", model, out, before / 1e6, after / 1e6,
                    bf16 ? " (weights as bfloat16)" : "");
            return 0;
        } catch (IOException | RuntimeException e) {
            TrainCheckpoint.deleteTree(tmp);
            throw e;
        }
    }

    /** Rewrites every float tensor of {@code src} as bf16; a file holding anything else is refused, not half-converted. */
    static void writeBf16(Path src, Path dst) {
        try (SafeTensors in = SafeTensors.open(src)) {
            SafeTensorsWriter w = new SafeTensorsWriter();
            in.metadata().forEach(w::metadata);
            for (String name : in.names()) {
                TensorRef t = in.get(name);
                if (!t.dtype().isFloating() || t.dtype() == DType.F64)
                    throw new CheckpointException(src + ": tensor '" + name + "' is " + t.dtype()
                            + "; pack --bf16 converts F32/F16/BF16 weights only");
                w.addBf16(name, t.shape(), t::toFloat);
            }
            w.write(dst);
        }
    }

    /**
     * The largest {@code |a - b| / max(|a|, 1e-20)} over all tensors of the two files, after checking that both hold
     * the same names and shapes; fails when a value moved by more than bf16 rounding allows.
     */
    static double compare(Path original, Path packed) {
        double worst = 0;
        try (SafeTensors a = SafeTensors.open(original); SafeTensors b = SafeTensors.open(packed)) {
            if (!a.names().equals(b.names()))
                throw new CheckpointException(packed + ": holds tensors " + b.names() + ", expected " + a.names());
            for (String name : a.names()) {
                float[] x = a.get(name).toFloat().data(), y = b.get(name).toFloat().data();
                if (x.length != y.length) throw new CheckpointException(packed + ": tensor '" + name + "' changed size");
                for (int i = 0; i < x.length; i++) {
                    double err = Math.abs((double) x[i] - y[i]) / Math.max(Math.abs(x[i]), 1e-20);
                    if (!(err <= BF16_RELATIVE_ERROR))
                        throw new CheckpointException(packed + ": tensor '" + name + "' value " + i + " is " + y[i]
                                + " after packing, was " + x[i]);
                    worst = Math.max(worst, err);
                }
            }
        }
        return worst;
    }
}
