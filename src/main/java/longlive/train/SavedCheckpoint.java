package longlive.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import longlive.dit.DitConfig;
import longlive.io.CheckpointException;
import longlive.io.SafeTensors;
import longlive.io.StateDict;
import longlive.pipeline.RandomModel;
import longlive.tensor.Tensor;

/**
 * A checkpoint directory written by {@link TrainCheckpoint}, verified on open: state.json parses and has the
 * known format, and every data file it lists exists with the recorded byte size and CRC32, so a truncated or
 * damaged checkpoint fails here with a message naming the file instead of resuming from garbage.
 * The {@code restore*} methods copy into the live arrays of a model's parameters and optimizer state and require
 * exactly the same tensor names and shapes.
 */
public final class SavedCheckpoint {
    private final Path dir;
    private final JsonNode state;
    private final long step;

    private SavedCheckpoint(Path dir, JsonNode state) {
        this.dir = dir;
        this.state = state;
        this.step = state.path("step").asLong(-1);
    }

    static SavedCheckpoint open(Path dir) {
        Path stateFile = dir.resolve(TrainCheckpoint.STATE_FILE);
        if (!Files.isDirectory(dir)) throw new CheckpointException(dir + ": no such checkpoint directory");
        if (!Files.isRegularFile(stateFile))
            throw new CheckpointException(dir + ": not a training checkpoint (no " + TrainCheckpoint.STATE_FILE + ")");
        JsonNode state;
        try {
            state = TrainCheckpoint.JSON.readTree(Files.readAllBytes(stateFile));
        } catch (IOException e) {
            throw new CheckpointException(stateFile + ": corrupt (not readable JSON: " + e.getMessage() + ")", e);
        }
        if (state == null || !state.isObject() || !state.path("step").canConvertToLong() || state.path("step").asLong() < 0)
            throw new CheckpointException(stateFile + ": corrupt (no step)");
        int format = state.path("format").asInt(-1);
        if (format != TrainCheckpoint.FORMAT)
            throw new CheckpointException(stateFile + ": checkpoint format " + format + ", this build reads format "
                    + TrainCheckpoint.FORMAT);
        JsonNode files = state.path("files");
        if (!files.isObject()) throw new CheckpointException(stateFile + ": corrupt (no file list)");
        for (Map.Entry<String, JsonNode> f : files.properties()) {
            Path p = dir.resolve(f.getKey());
            if (!p.normalize().startsWith(dir.normalize()) || !Files.isRegularFile(p))
                throw new CheckpointException(p + ": missing from the checkpoint");
            try {
                long size = Files.size(p), want = f.getValue().path("bytes").asLong(-1);
                if (size != want)
                    throw new CheckpointException(p + ": " + size + " bytes, the checkpoint recorded " + want + "; truncated or damaged");
                String crc = TrainCheckpoint.crc32(p), wantCrc = f.getValue().path("crc32").asText();
                if (!crc.equals(wantCrc))
                    throw new CheckpointException(p + ": CRC32 " + crc + " differs from the recorded " + wantCrc + "; the file is damaged");
            } catch (IOException e) {
                throw new CheckpointException(p + ": cannot read (" + e + ")", e);
            }
        }
        return new SavedCheckpoint(dir, state);
    }

    public Path dir() {
        return dir;
    }

    /** Number of completed training steps when saved. */
    public long step() {
        return step;
    }

    /** The seed saved as {@code name}. */
    public long seed(String name) {
        JsonNode s = state.path("seeds").get(name);
        if (s == null || !s.canConvertToLong()) throw new CheckpointException(dir + ": no seed '" + name + "' (has " + names(state.path("seeds")) + ")");
        return s.asLong();
    }

    /** The free-form metadata object (a copy). */
    public ObjectNode meta() {
        JsonNode m = state.path("meta");
        return m.isObject() ? ((ObjectNode) m).deepCopy() : TrainCheckpoint.JSON.createObjectNode();
    }

    /**
     * Refuses to resume into a different DiT architecture: {@code what} names the saved weights in the message
     * ("a student", "LoRA for"...).
     */
    public void requireDit(DitConfig cfg, String what) {
        String want = RandomModel.ditJson(cfg).toString(), saved = meta().path(TrainCheckpoint.DIT_CONFIG).toString();
        if (!want.equals(saved)) throw new IllegalArgumentException(dir() + " holds " + what + " " + saved + ", not " + want);
    }

    /** Part names saved in {@code kind}: "params", "optimizers" or "emas". */
    public List<String> parts(String kind) {
        List<String> out = new ArrayList<>();
        for (JsonNode n : state.path("parts").path(kind)) out.add(n.asText());
        return out;
    }

    /** The saved parameter values of {@code part} as a state dict in reference naming (close it after use). */
    public StateDict params(String part) {
        return SafeTensors.load(file("params", "params-", part));
    }

    /** Copies the saved values of {@code part} into {@code target}'s live arrays. */
    public void restoreParams(String part, ParamSet target) {
        try (SafeTensors st = SafeTensors.open(file("params", "params-", part))) {
            requireSameNames(st, target, "");
            for (Param p : target) copy(st, p.name(), p, p.value());
        }
    }

    /** Restores AdamW moments and step count of {@code part} into {@code opt}. */
    public void restoreOptimizer(String part, AdamW opt) {
        try (SafeTensors st = SafeTensors.open(file("optimizers", "adamw-", part))) {
            Set<String> want = new TreeSet<>();
            for (Param p : opt.params()) {
                want.add(p.name() + ".exp_avg");
                want.add(p.name() + ".exp_avg_sq");
            }
            requireNames(st, want);
            for (Param p : opt.params()) {
                copy(st, p.name() + ".exp_avg", p, opt.expAvg(p.name()));
                copy(st, p.name() + ".exp_avg_sq", p, opt.expAvgSq(p.name()));
            }
            opt.setSteps(Long.parseLong(st.metadata().getOrDefault("steps", "0")));
        }
    }

    /** Restores the EMA shadows of {@code part} into {@code ema}. */
    public void restoreEma(String part, Ema ema) {
        try (SafeTensors st = SafeTensors.open(file("emas", "ema-", part))) {
            requireSameNames(st, ema.params(), "");
            for (Param p : ema.params()) copy(st, p.name(), p, ema.shadow(p.name()));
            ema.setUpdates(Long.parseLong(st.metadata().getOrDefault("updates", "0")));
        }
    }

    private Path file(String kind, String prefix, String part) {
        if (!parts(kind).contains(part))
            throw new CheckpointException(dir + ": no " + kind + " part '" + part + "' (has " + parts(kind) + ")");
        return dir.resolve(prefix + part + ".safetensors");
    }

    private static void requireSameNames(SafeTensors st, ParamSet set, String suffix) {
        Set<String> want = new TreeSet<>();
        for (Param p : set) want.add(p.name() + suffix);
        requireNames(st, want);
    }

    private static void requireNames(SafeTensors st, Set<String> want) {
        Set<String> have = new TreeSet<>(st.names());
        Set<String> missing = new TreeSet<>(want);
        missing.removeAll(have);
        Set<String> extra = new TreeSet<>(have);
        extra.removeAll(want);
        if (!missing.isEmpty() || !extra.isEmpty())
            throw new CheckpointException(st.file() + ": tensors do not match the model: missing " + limit(missing)
                    + ", unexpected " + limit(extra));
    }

    private static void copy(SafeTensors st, String key, Param p, float[] into) {
        int[] shape = st.get(key).shape();
        if (!Arrays.equals(shape, p.shape()))
            throw new CheckpointException(st.file() + ": '" + key + "' has shape " + Arrays.toString(shape) + ", the model "
                    + Arrays.toString(p.shape()));
        Tensor t = st.get(key).toFloat();
        System.arraycopy(t.data(), 0, into, 0, into.length);
    }

    private static String limit(Set<String> s) {
        List<String> l = new ArrayList<>(s);
        return l.size() <= 6 ? l.toString() : l.subList(0, 6) + " ... (" + l.size() + ")";
    }

    private static String names(JsonNode obj) {
        Map<String, Object> m = new LinkedHashMap<>();
        obj.properties().forEach(e -> m.put(e.getKey(), null));
        return m.keySet().toString();
    }
}
