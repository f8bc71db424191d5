package longlive.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.stream.Stream;
import longlive.dit.DitWeights;
import longlive.io.WanDitCheckpoint;
import longlive.pipeline.RandomModel;

/** Writes a stage's model directory: an earlier stage's directory with a newly trained DiT. */
final class ModelExport {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ModelExport() {}

    /**
     * Copies the model directory {@code from} to {@code to} (text encoder, tokenizer, VAE, configs), then writes
     * {@code dit} as its DiT and names it in {@code model.json}.
     */
    static void withDit(Path from, Path to, DitWeights dit, String name, String note) throws IOException {
        copy(from, to);
        WanDitCheckpoint.save(dit, to.resolve("dit/model.safetensors"));
        ObjectNode model = (ObjectNode) JSON.readTree(from.resolve("model.json").toFile());
        model.put("name", name);
        model.put("note", note);
        RandomModel.writeJson(to.resolve("model.json"), model);
    }

    /** Copies a model directory's files (its top level and dit/, text/, vae/). */
    static void copy(Path from, Path to) throws IOException {
        for (String part : new String[] {"", "dit", "text", "vae"}) {
            Path src = part.isEmpty() ? from : from.resolve(part), dst = part.isEmpty() ? to : to.resolve(part);
            if (!Files.isDirectory(src)) continue;
            Files.createDirectories(dst);
            try (Stream<Path> files = Files.list(src)) {
                for (Path f : (Iterable<Path>) files::iterator)
                    if (Files.isRegularFile(f)) Files.copy(f, dst.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }
}
