package longlive.train;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import longlive.io.SafeTensors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code longlive train}: the training stages (each a subcommand, added by the stage that implements it) and
 * {@code train info} to inspect a checkpoint. The intended stages are listed in docs/training.md.
 */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Train the models (VAE, text encoder, teacher, causal student with DMD, streaming long tuning); "
                + "every stage resumes from its checkpoints. See docs/training.md.",
        subcommands = {TrainCommand.Info.class, TrainVaeCommand.class, TrainTeacherCommand.class, TrainOdeCommand.class, TrainDmdCommand.class, TrainLongCommand.class, VaeCheckCommand.class, TeacherSampleCommand.class, PackCommand.class})
public final class TrainCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "info", mixinStandardHelpOptions = true,
            description = "Show a training checkpoint: step, stage, seeds, metadata, parts and their sizes. "
                    + "Given a run directory, shows its newest checkpoint.")
    static final class Info implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Parameters(index = "0", description = "checkpoint directory (step-NNNNNNNN) or a run directory holding them")
        Path dir;

        @Override
        public Integer call() throws Exception {
            Path ckpt = dir;
            if (!Files.isRegularFile(dir.resolve(TrainCheckpoint.STATE_FILE))) {
                ckpt = TrainCheckpoint.latest(dir).orElseThrow(() -> new IllegalArgumentException(
                        dir + ": neither a checkpoint (no " + TrainCheckpoint.STATE_FILE + ") nor a run directory holding step-* checkpoints"));
            }
            SavedCheckpoint c = TrainCheckpoint.load(ckpt);
            PrintWriter out = spec.commandLine().getOut();
            JsonNode meta = c.meta();
            out.printf(Locale.ROOT, "checkpoint %s%n", ckpt.toAbsolutePath().normalize());
            out.printf(Locale.ROOT, "stage      %s%n", meta.path("stage").asText("(unknown)"));
            out.printf(Locale.ROOT, "step       %d%n", c.step());
            for (var d : TrainCheckpoint.stepDirs(ckpt.toAbsolutePath().getParent()))
                if (!d.equals(ckpt.toAbsolutePath())) out.printf(Locale.ROOT, "also       %s%n", d.getFileName());
            String[][] kinds = {{"params", "params-"}, {"optimizers", "adamw-"}, {"emas", "ema-"}};
            for (String[] k : kinds) {
                for (String part : c.parts(k[0])) {
                    Path f = ckpt.resolve(k[1] + part + ".safetensors");
                    long values = 0;
                    int tensors;
                    try (SafeTensors st = SafeTensors.open(f)) {
                        tensors = st.names().size();
                        for (String n : st.names()) values += longlive.tensor.Tensor.count(st.get(n).shape());
                        String extra = st.metadata().containsKey("steps") ? "  steps " + st.metadata().get("steps")
                                : st.metadata().containsKey("decay") ? "  decay " + st.metadata().get("decay") : "";
                        out.printf(Locale.ROOT, "%-10s %-12s %5d tensors %,14d values %10s%s%n", k[0], part, tensors, values,
                                bytes(Files.size(f)), extra);
                    }
                }
            }
            JsonNode state = longlive.train.TrainCheckpoint.JSON.readTree(Files.readAllBytes(ckpt.resolve(TrainCheckpoint.STATE_FILE)));
            state.path("seeds").properties().forEach(e -> out.printf(Locale.ROOT, "seed       %s = %s%n", e.getKey(), e.getValue().asText()));
            if (meta.size() > 0) out.printf(Locale.ROOT, "meta       %s%n", meta);
            out.flush();
            return 0;
        }

        static String bytes(long n) {
            if (n < 1 << 20) return String.format(Locale.ROOT, "%.1f KB", n / 1024.0);
            if (n < 1 << 30) return String.format(Locale.ROOT, "%.1f MB", n / (1024.0 * 1024));
            return String.format(Locale.ROOT, "%.2f GB", n / (1024.0 * 1024 * 1024));
        }
    }
}
