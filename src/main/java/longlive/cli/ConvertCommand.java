package longlive.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import longlive.io.LongLiveCheckpoints;
import longlive.io.LoraMerge;
import longlive.io.SafeTensorsWriter;
import longlive.io.StateDict;
import longlive.io.TensorRef;
import longlive.kernel.Parallel;
import longlive.kernel.VectorMatMul;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code longlive convert}: a LongLive/Wan {@code .pt}/{@code .pth} (or {@code .safetensors}) checkpoint to an
 * f32 safetensors file with Wan2.1 tensor names, optionally merging a LoRA. The output appears complete or
 * not at all (temp file + rename).
 */
@Command(name = "convert", mixinStandardHelpOptions = true,
        description = {"Convert a torch checkpoint (.pt/.pth, read safely: no code runs) to f32 safetensors with "
                + "Wan2.1 names, optionally merging a LoRA: W += (alpha/r)·B·A.",
                "Example: longlive convert longlive_base.pt longlive.safetensors --lora lora.pt"})
public final class ConvertCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "IN", description = "Input .pt/.pth/.safetensors checkpoint.")
    Path in;

    @Parameters(index = "1", paramLabel = "OUT", description = "Output .safetensors file.")
    Path out;

    @Option(names = "--key", paramLabel = "KEY",
            description = "Dict key holding the weights (e.g. generator, generator_ema). Default: generator, "
                    + "then model, then the top level.")
    String key;

    @Option(names = "--strip-prefix", paramLabel = "PREFIX", defaultValue = "model.",
            description = "Prefix removed from tensor names where present (default: ${DEFAULT-VALUE}; '' keeps names).")
    String stripPrefix;

    @Option(names = "--lora", paramLabel = "FILE", description = "LoRA checkpoint to merge (PEFT names, e.g. LongLive lora.pt).")
    Path lora;

    @Option(names = "--lora-key", paramLabel = "KEY",
            description = "Dict key of the LoRA weights in --lora (default: generator_lora, else the top level).")
    String loraKey;

    @Option(names = "--lora-alpha", paramLabel = "ALPHA",
            description = "LoRA alpha; scale = alpha / r (default: alpha = r, i.e. scale 1, as LongLive's r=256 alpha=256).")
    Double loraAlpha;

    @Option(names = "--force", description = "Replace OUT if it exists.")
    boolean force;

    @Override
    public Integer call() {
        if (!Files.isRegularFile(in)) throw new UserFacingException(in + ": no such file");
        if (lora != null && !Files.isRegularFile(lora)) throw new UserFacingException(lora + ": no such file");
        if (loraKey != null && lora == null) throw new UserFacingException("--lora-key needs --lora");
        if (loraAlpha != null && lora == null) throw new UserFacingException("--lora-alpha needs --lora");
        if (Files.exists(out) && !force) throw new UserFacingException(out + " exists (use --force to replace it)");
        if (Files.exists(out) && isSameFile(in, out)) throw new UserFacingException("OUT is the input file " + in);
        long t0 = System.nanoTime();
        var err = spec.commandLine().getErr();
        var o = spec.commandLine().getOut();
        try (Parallel parallel = Parallel.allCores();
             StateDict raw = LongLiveCheckpoints.generator(in, key, stripPrefix.isEmpty() ? null : stripPrefix);
             StateDict loraSd = lora == null ? null : LongLiveCheckpoints.lora(lora, loraKey)) {
            StateDict weights = raw;
            LoraMerge merge = null;
            if (loraSd != null) {
                merge = LoraMerge.plan(raw, LongLiveCheckpoints.clean(loraSd, null),
                        loraAlpha == null ? Double.NaN : loraAlpha, new VectorMatMul(parallel));
                weights = merge.merged();
            }
            SafeTensorsWriter w = new SafeTensorsWriter()
                    .metadata("format", "pt")
                    .metadata("source", in.getFileName().toString())
                    .metadata("converted_by", "longlive convert");
            if (lora != null) w.metadata("lora", lora.getFileName().toString() + " alpha="
                    + (loraAlpha == null ? "r" : loraAlpha.toString()));
            long params = 0;
            int ints = 0;
            for (String name : weights.names()) {
                TensorRef t = weights.ref(name);
                if (t.dtype().isFloating()) {
                    w.add(name, t.shape(), t::toFloat);
                    params += t.numel();
                } else {
                    w.addLongs(name, t.toLongs(), t.shape());
                    ints++;
                }
            }
            err.println("converting " + weights.source() + ": " + weights.size() + " tensors ...");
            long bytes = w.write(out);
            double s = (System.nanoTime() - t0) / 1e9;
            o.printf(Locale.ROOT, "wrote %s: %d tensors (%,d float parameters%s), %,d bytes f32, in %.1f s%n", out,
                    weights.size(), params, ints == 0 ? "" : ", " + ints + " integer tensors as I64", bytes, s);
            o.println("  names: " + (stripPrefix.isEmpty() ? "unchanged" : "prefix '" + stripPrefix + "' stripped where present")
                    + ", wrapper segments " + LongLiveCheckpoints.WRAPPER_SEGMENTS + " removed");
            if (merge != null) {
                var mods = merge.modules();
                int r0 = mods.get(0).rank();
                boolean sameRank = mods.stream().allMatch(m -> m.rank() == r0);
                double alpha = Double.isNaN(merge.alpha()) ? r0 : merge.alpha();
                o.printf(Locale.ROOT, "  merged LoRA %s into %d modules (r=%s, alpha=%s, scale %s), e.g. %s%n", lora,
                        mods.size(), sameRank ? r0 : "mixed", Double.isNaN(merge.alpha()) ? "r" : fmt(alpha),
                        sameRank ? fmt(alpha / r0) : "alpha/r", mods.get(0).name());
            }
            o.flush();
            return 0;
        }
    }

    private static String fmt(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }

    private static boolean isSameFile(Path a, Path b) {
        try {
            return Files.isSameFile(a, b);
        } catch (java.io.IOException e) {
            return false;
        }
    }
}
