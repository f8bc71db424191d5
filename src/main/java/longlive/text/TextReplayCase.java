package longlive.text;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import longlive.io.SafeTensors;
import longlive.io.SafeTensorsWriter;
import longlive.io.StateDict;
import longlive.io.UmT5Checkpoint;
import longlive.kernel.Parallel;
import longlive.tensor.ShapeException;
import longlive.tensor.Tensor;

/**
 * A text-encoder parity case (the {@code replay} command on a directory with a {@code t5_config.json}):
 * {@code t5_config.json} ({@link T5Config}), {@code t5.safetensors} (reference state-dict names),
 * {@code inputs.safetensors} with {@code token_ids} and {@code mask}, both i64 {@code [B, L]}. The output is
 * {@code text_embeds} f32 {@code [B, L, dim]} with each sequence's padding rows zeroed, as
 * {@code WanTextEncoder.forward} returns it.
 *
 * @param tokenIds {@code [B, L]} row-major
 * @param mask     {@code [B, L]} row-major
 */
public record TextReplayCase(T5Config config, T5Weights weights, int batch, int length, long[] tokenIds,
                             long[] mask) {

    /** The file that marks a directory as a text case. */
    public static final String CONFIG_FILE = "t5_config.json";

    /** True when {@code dir} holds a text parity case (has a {@value #CONFIG_FILE}). */
    public static boolean isTextCase(Path dir) {
        return Files.isRegularFile(dir.resolve(CONFIG_FILE));
    }

    /** Reads and validates a case directory. */
    public static TextReplayCase read(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) throw new IllegalArgumentException(dir + ": not a directory");
        T5Config config = T5Config.fromJson(dir.resolve(CONFIG_FILE));
        T5Weights weights = UmT5Checkpoint.load(dir.resolve("t5.safetensors"), config);
        Path inputs = dir.resolve("inputs.safetensors");
        try (StateDict in = SafeTensors.load(inputs)) {
            for (String need : new String[] {"token_ids", "mask"})
                if (!in.contains(need)) throw new IllegalArgumentException(inputs + ": no tensor '" + need + "'");
            int[] idShape = in.shape("token_ids"), maskShape = in.shape("mask");
            if (idShape.length != 2 || !Arrays.equals(idShape, maskShape))
                throw new ShapeException("text replay: token_ids " + Arrays.toString(idShape) + " and mask "
                        + Arrays.toString(maskShape) + " must both be [B, L]");
            if (idShape[0] < 1 || idShape[1] < 1)
                throw new ShapeException("text replay: token_ids " + Arrays.toString(idShape) + " is empty");
            return new TextReplayCase(config, weights, idShape[0], idShape[1], in.longs("token_ids"),
                    in.longs("mask"));
        }
    }

    /** Encodes every sequence: {@code [B, L, dim]}, padding rows zero. */
    public Tensor run(T5Kernels kernels) {
        T5Encoder enc = new T5Encoder(weights, kernels);
        int d = config.dim();
        float[] out = new float[batch * length * d];
        for (int b = 0; b < batch; b++) {
            long[] ids = Arrays.copyOfRange(tokenIds, b * length, (b + 1) * length);
            long[] m = Arrays.copyOfRange(mask, b * length, (b + 1) * length);
            System.arraycopy(enc.forward(ids, m), 0, out, b * length * d, length * d);
        }
        return Tensor.of(out, batch, length, d);
    }

    /** Runs the case in {@code caseDir} on the fast kernels (all cores) and writes {@code text_embeds} to {@code out}. */
    public static void run(Path caseDir, Path out) throws IOException {
        TextReplayCase c = read(caseDir);
        long t0 = System.nanoTime();
        Tensor embeds;
        try (Parallel par = Parallel.allCores()) {
            embeds = c.run(T5Kernels.fast(par));
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        new SafeTensorsWriter().metadata("format", "pt").add("text_embeds", embeds).write(out);
        System.out.printf("replay: text encoder, %d sequence(s) of %d tokens (dim %d, %d layers) in %.3f s -> %s%n",
                c.batch, c.length, c.config.dim(), c.config.numLayers(), secs, out);
    }
}
