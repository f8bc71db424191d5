package longlive.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import longlive.dit.DitConfig;
import longlive.io.CheckpointException;
import longlive.io.SafeTensorsWriter;
import longlive.pipeline.RandomModel;
import longlive.tensor.Tensor;

/**
 * A training checkpoint: named parts ({@code generator}, {@code critic}, ...) of parameters, AdamW state and EMA
 * shadows, plus the step, the RNG seeds and free-form JSON metadata, saved as a directory:
 * <pre>
 *   params-&lt;part&gt;.safetensors   parameter values under their reference names (a state dict generate can load)
 *   adamw-&lt;part&gt;.safetensors    &lt;name&gt;.exp_avg, &lt;name&gt;.exp_avg_sq; step count and config in the metadata
 *   ema-&lt;part&gt;.safetensors      shadows under the parameter names; decay and update count in the metadata
 *   state.json                  format, step, seeds, meta, parts, and every file's byte size and CRC32
 * </pre>
 * The directory is written under a temporary sibling name and renamed into place only when complete, so a kill
 * at any moment leaves the previous checkpoint intact and never a half-written one under a checkpoint name.
 * RNG state is not serialised: training code derives every random stream from (seed, step) (see {@link StepRng}),
 * so the step and seeds are enough to continue bit for bit.
 *
 * <p>Build with {@link #at(long)} and the part methods, then {@link #save} or {@link #saveUnder}; read back with
 * {@link #load}.
 */
public final class TrainCheckpoint {
    /** Version of the directory layout written into state.json. */
    public static final int FORMAT = 1;
    public static final String STATE_FILE = "state.json";
    static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern PART = Pattern.compile("[A-Za-z0-9_.-]+");
    private static final Pattern STEP_DIR = Pattern.compile("step-(\\d+)");

    private final long step;
    private final Map<String, ParamSet> params = new LinkedHashMap<>();
    private final Map<String, AdamW> optimizers = new LinkedHashMap<>();
    private final Map<String, Ema> emas = new LinkedHashMap<>();
    private final Map<String, Long> seeds = new LinkedHashMap<>();
    private final ObjectNode meta = JSON.createObjectNode();

    private TrainCheckpoint(long step) {
        if (step < 0) throw new IllegalArgumentException("step must be >= 0");
        this.step = step;
    }

    /** Starts a checkpoint of training step {@code step} (the number of completed steps). */
    public static TrainCheckpoint at(long step) {
        return new TrainCheckpoint(step);
    }

    public TrainCheckpoint params(String part, ParamSet set) {
        params.put(checkPart(part, params), set);
        return this;
    }

    public TrainCheckpoint optimizer(String part, AdamW opt) {
        optimizers.put(checkPart(part, optimizers), opt);
        return this;
    }

    public TrainCheckpoint ema(String part, Ema ema) {
        emas.put(checkPart(part, emas), ema);
        return this;
    }

    public TrainCheckpoint seed(String name, long seed) {
        seeds.put(name, seed);
        return this;
    }

    /** Free-form metadata (config, stage name, losses...), saved as the {@code meta} object of state.json. */
    public ObjectNode meta() {
        return meta;
    }

    /** Records the DiT architecture these weights belong to, which {@link SavedCheckpoint#requireDit} checks on resume. */
    public TrainCheckpoint dit(DitConfig cfg) {
        meta.set(DIT_CONFIG, RandomModel.ditJson(cfg));
        return this;
    }

    static final String DIT_CONFIG = "dit_config";

    public long step() {
        return step;
    }

    private static String checkPart(String part, Map<String, ?> existing) {
        if (!PART.matcher(part).matches())
            throw new IllegalArgumentException("checkpoint part name '" + part + "' must match " + PART.pattern());
        if (existing.containsKey(part)) throw new IllegalArgumentException("checkpoint part '" + part + "' given twice");
        return part;
    }

    /**
     * Writes the checkpoint to {@code dir} atomically: everything goes to a hidden sibling directory first, which
     * is renamed to {@code dir} once complete (an existing {@code dir} is replaced).
     */
    public void save(Path dir) {
        Path target = dir.toAbsolutePath().normalize();
        Path parent = target.getParent();
        Path tmp = parent.resolve("." + target.getFileName() + ".partial-" + ProcessHandle.current().pid());
        try {
            Files.createDirectories(parent);
            deleteTree(tmp);
            Files.createDirectory(tmp);
            writeInto(tmp);
            replaceDirectory(tmp, target);
        } catch (IOException e) {
            try {
                deleteTree(tmp);
            } catch (IOException ignored) {
                // the write failure is the one worth reporting
            }
            throw new CheckpointException(target + ": saving the checkpoint failed (" + e + ")", e);
        }
    }

    /**
     * Saves as {@code root/step-NNNNNNNN} and then deletes all but the newest {@code keepLast} step directories
     * (and partial directories left by killed processes).
     *
     * @return the directory written
     */
    public Path saveUnder(Path root, int keepLast) {
        if (keepLast < 1) throw new IllegalArgumentException("keepLast must be >= 1");
        Path dir = root.resolve(stepDirName(step));
        save(dir);
        try {
            List<Path> all = stepDirs(root);
            for (int i = 0; i < all.size() - keepLast; i++) deleteTree(all.get(i));
            try (Stream<Path> s = Files.list(root)) {
                for (Path p : s.toList()) {
                    Matcher m = Pattern.compile("\\.step-\\d+\\.(partial|old)-(\\d+)").matcher(p.getFileName().toString());
                    if (m.matches() && ProcessHandle.of(Long.parseLong(m.group(2))).map(h -> !h.isAlive()).orElse(true))
                        deleteTree(p);
                }
            }
        } catch (IOException e) {
            throw new CheckpointException(root + ": pruning old checkpoints failed (" + e + ")", e);
        }
        return dir;
    }

    /** The directory name used for step {@code step} (zero-padded so names sort by step). */
    public static String stepDirName(long step) {
        return String.format("step-%08d", step);
    }

    /** The newest complete checkpoint directory under {@code root}, if any. */
    public static Optional<Path> latest(Path root) {
        try {
            List<Path> all = stepDirs(root);
            return all.isEmpty() ? Optional.empty() : Optional.of(all.getLast());
        } catch (IOException e) {
            throw new CheckpointException(root + ": cannot list checkpoints (" + e + ")", e);
        }
    }

    /** All complete checkpoint directories under {@code root}, oldest first (empty when there are none). */
    public static List<Path> all(Path root) {
        try {
            return stepDirs(root);
        } catch (IOException e) {
            throw new CheckpointException(root + ": cannot list checkpoints (" + e + ")", e);
        }
    }

    /** Complete step directories (those holding state.json) under {@code root}, oldest first. */
    static List<Path> stepDirs(Path root) throws IOException {
        List<Path> out = new ArrayList<>();
        if (!Files.isDirectory(root)) return out;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(root)) {
            for (Path p : ds)
                if (STEP_DIR.matcher(p.getFileName().toString()).matches() && Files.isRegularFile(p.resolve(STATE_FILE)))
                    out.add(p);
        }
        out.sort(Comparator.comparingLong(p -> Long.parseLong(p.getFileName().toString().substring(5))));
        return out;
    }

    /** Reads and verifies (sizes, CRC32) the checkpoint in {@code dir}. */
    public static SavedCheckpoint load(Path dir) {
        return SavedCheckpoint.open(dir);
    }

    private void writeInto(Path tmp) throws IOException {
        ObjectNode state = JSON.createObjectNode();
        state.put("format", FORMAT);
        state.put("step", step);
        ObjectNode s = state.putObject("seeds");
        seeds.forEach(s::put);
        state.set("meta", meta.deepCopy());
        ObjectNode parts = state.putObject("parts");
        parts.putArray("params").addAll(params.keySet().stream().map(JSON.getNodeFactory()::textNode).toList());
        parts.putArray("optimizers").addAll(optimizers.keySet().stream().map(JSON.getNodeFactory()::textNode).toList());
        parts.putArray("emas").addAll(emas.keySet().stream().map(JSON.getNodeFactory()::textNode).toList());
        List<String> files = new ArrayList<>();

        for (Map.Entry<String, ParamSet> e : params.entrySet()) {
            SafeTensorsWriter w = new SafeTensorsWriter().metadata("format", "longlive-train-params");
            for (Param p : e.getValue()) w.add(p.name(), Tensor.of(p.value(), p.shape()));
            files.add(write(w, tmp, "params-" + e.getKey()));
        }
        for (Map.Entry<String, AdamW> e : optimizers.entrySet()) {
            AdamW opt = e.getValue();
            AdamWConfig c = opt.config();
            SafeTensorsWriter w = new SafeTensorsWriter().metadata("format", "longlive-train-adamw")
                    .metadata("steps", Long.toString(opt.steps()))
                    .metadata("beta1", Double.toString(c.beta1())).metadata("beta2", Double.toString(c.beta2()))
                    .metadata("eps", Double.toString(c.eps())).metadata("weight_decay", Double.toString(c.weightDecay()));
            for (Param p : opt.params()) {
                w.add(p.name() + ".exp_avg", Tensor.of(opt.expAvg(p.name()), p.shape()));
                w.add(p.name() + ".exp_avg_sq", Tensor.of(opt.expAvgSq(p.name()), p.shape()));
            }
            files.add(write(w, tmp, "adamw-" + e.getKey()));
        }
        for (Map.Entry<String, Ema> e : emas.entrySet()) {
            Ema ema = e.getValue();
            SafeTensorsWriter w = new SafeTensorsWriter().metadata("format", "longlive-train-ema")
                    .metadata("decay", Double.toString(ema.decay())).metadata("updates", Long.toString(ema.updates()));
            for (Param p : ema.params()) w.add(p.name(), Tensor.of(ema.shadow(p.name()), p.shape()));
            files.add(write(w, tmp, "ema-" + e.getKey()));
        }
        ObjectNode sums = state.putObject("files");
        for (String f : files) {
            // durable before state.json names it, so even a power loss cannot pair a state.json with missing data
            try (FileChannel ch = FileChannel.open(tmp.resolve(f), StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            ObjectNode n = sums.putObject(f);
            n.put("bytes", Files.size(tmp.resolve(f)));
            n.put("crc32", crc32(tmp.resolve(f)));
        }
        byte[] json = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(state);
        try (FileChannel ch = FileChannel.open(tmp.resolve(STATE_FILE), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ch.write(java.nio.ByteBuffer.wrap(json));
            ch.force(true);
        }
    }

    private static String write(SafeTensorsWriter w, Path dir, String stem) {
        String name = stem + ".safetensors";
        w.write(dir.resolve(name));
        return name;
    }

    /** CRC32 of a file as 8 hex digits. */
    static String crc32(Path file) throws IOException {
        CRC32 crc = new CRC32();
        byte[] buf = new byte[1 << 20];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n; (n = in.read(buf)) > 0; ) crc.update(buf, 0, n);
        }
        return String.format("%08x", crc.getValue());
    }

    /**
     * Moves the finished directory {@code tmp} (a sibling of {@code target}) into place; an existing {@code target} is
     * moved aside first and deleted only after the new one is in, so a failure never leaves neither.
     */
    static void replaceDirectory(Path tmp, Path target) throws IOException {
        if (Files.exists(target)) {
            Path old = target.resolveSibling("." + target.getFileName() + ".old-" + ProcessHandle.current().pid());
            deleteTree(old);
            Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            deleteTree(old);
        } else {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        }
    }

    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) return;
        try (Stream<Path> walk = Files.walk(p)) {
            for (Path q : walk.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(q);
        }
    }
}
