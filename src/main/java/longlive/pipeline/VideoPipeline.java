package longlive.pipeline;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import longlive.dit.CausalDit;
import longlive.dit.DitKernels;
import longlive.dit.DitWeights;
import longlive.io.UmT5Checkpoint;
import longlive.io.WanDitCheckpoint;
import longlive.io.WanVaeCheckpoint;
import longlive.kernel.Parallel;
import longlive.kernel.VectorMatMul;
import longlive.stream.SeededNoise;
import longlive.stream.StreamingGenerator;
import longlive.tensor.Tensor;
import longlive.text.PromptEmbeddingCache;
import longlive.text.T5Encoder;
import longlive.text.T5Kernels;
import longlive.text.TextEncoder;
import longlive.text.tokenizer.UnigramTokenizer;
import longlive.vae.StreamingVaeDecoder;
import longlive.vae.VaeKernels;
import longlive.vae.VaeWeights;
import longlive.video.Frame;
import longlive.video.FrameSink;

/**
 * Prompt script to video frames, streaming: prompt -> (cached) text embedding -> {@link StreamingGenerator} one
 * block of latent frames at a time -> {@link StreamingVaeDecoder} one latent frame at a time -> RGB frames -> a
 * {@link FrameSink}. A block's frames reach the sink before the next block is generated; every buffer is allocated
 * once, so memory does not grow with the length. Prompt p+1 is requested before the first block that starts at or
 * after its switch frame (LongLive: the switch takes effect at the first block start >= the switch index).
 *
 * <p>The same model directory, script, length and seed give the same frames.
 */
public final class VideoPipeline {

    /** Observes a run (progress bar, tests). Video frame counts are cumulative. */
    public interface Listener {
        /** Block {@code block} (0-based) of latent frames was generated (before its frames are decoded). */
        default void blockGenerated(int block, int firstLatentFrame) {}

        /** {@code videoFrames} of {@code totalVideoFrames} have been written to the sink. */
        default void framesWritten(int videoFrames, int totalVideoFrames) {}

        /** Prompt {@code index} was requested to start at the next block (latent frame {@code atFrame}). */
        default void promptSwitched(int index, int atFrame) {}
    }

    /**
     * What a run did. Times in seconds: text = encoding prompts (cache hits cost a copy), dit = the generator's
     * blocks (denoising, cache pass, recache), vae = latent-to-RGB decoding and conversion, sink = encoding/writing.
     */
    public record Result(int latentFrames, int videoFrames, int blocks, boolean stopped, double seconds,
                         double textSeconds, double ditSeconds, double vaeSeconds, double sinkSeconds) {}

    private final ModelDirectory dir;
    private final CausalDit model;
    private final TextEncoder text;
    private final VaeWeights vae;
    private final VaeKernels vaeKernels;
    private StreamingGenerator.SwitchMode switchMode = StreamingGenerator.SwitchMode.RECACHE;

    /** Loads every weight file of {@code dir}; kernels run on {@code par} (which the caller closes). */
    public VideoPipeline(ModelDirectory dir, Parallel par) throws IOException {
        this.dir = dir;
        DitWeights w = dir.loadDit(new VectorMatMul(par)); // safetensors, or LongLive .pt + lora.pt
        this.model = new CausalDit(w, DitKernels.fast(par), dir.inference().ropeMode());
        UnigramTokenizer tok = UnigramTokenizer.load(dir.tokenizer(), dir.dit().textLen());
        this.text = new TextEncoder(tok, new T5Encoder(UmT5Checkpoint.load(dir.t5Weights(), dir.t5()),
                T5Kernels.fast(par)), new PromptEmbeddingCache(16));
        this.vae = WanVaeCheckpoint.load(dir.vaeWeights(), dir.vae());
        this.vaeKernels = VaeKernels.fast(par);
    }

    /** What prompt switches do to the KV cache in later runs (default: LongLive's recache). */
    public void setSwitchMode(StreamingGenerator.SwitchMode mode) {
        this.switchMode = java.util.Objects.requireNonNull(mode);
    }

    public ModelDirectory model() {
        return dir;
    }

    public TextEncoder textEncoder() {
        return text;
    }

    /** The loaded DiT, shared read-only by every session that drives its own {@link StreamingGenerator}. */
    public CausalDit dit() {
        return model;
    }

    /** The loaded VAE weights, shared read-only by every session's {@link StreamingVaeDecoder}. */
    public VaeWeights vaeWeights() {
        return vae;
    }

    public VaeKernels vaeKernels() {
        return vaeKernels;
    }

    /**
     * The model directory a command uses when none is given: {@code $LONGLIVE_MODEL}, then {@code models/default} (in the working
     * directory, then in the checkout the jar was built in), else a freshly written tiny random model (noise; said on stderr, prefixed by {@code command}). The one place
     * that choice lives, so shipping a trained default changes it for every command.
     */
    public static Path defaultModel(String command) throws IOException {
        String env = System.getenv("LONGLIVE_MODEL");
        if (env != null && !env.isBlank()) return Path.of(env);
        for (Path shipped : shippedModelCandidates())
            if (Files.isRegularFile(shipped.resolve("model.json"))) return shipped;
        Path tmp = Files.createTempDirectory("longlive-random-tiny");
        System.err.println(command + ": no --model, no $LONGLIVE_MODEL and no models/default (the shipped model) found: "
                + "using a TINY RANDOM model (" + tmp + "); the video will be NOISE.");
        try (Parallel par = Parallel.serial()) {
            return RandomModel.write(tmp, "tiny", 0, 0, 0, par);
        }
    }

    /** {@code models/default} under the working directory, then under the checkout the jar was built in. */
    private static List<Path> shippedModelCandidates() {
        List<Path> out = new ArrayList<>();
        out.add(Path.of("models", "default"));
        try {
            Path jar = Path.of(VideoPipeline.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            Path root = jar.getParent() == null ? null : jar.getParent().getParent(); // <root>/target/longlive-all.jar
            if (root != null) out.add(root.resolve("models").resolve("default"));
        } catch (URISyntaxException | SecurityException | NullPointerException e) {
            // no code source (unusual class loader): the working directory is the only place to look
        }
        return out;
    }

    /**
     * Generates {@code latentFrames} latent frames (= {@code 1 + 4(F-1)} video frames) and writes them to
     * {@code sink} as they are decoded. {@code stop} is checked after every latent frame: when it returns true the
     * run ends there (the frames written so far stay). The sink is not closed here.
     */
    public Result run(PromptScript script, int latentFrames, long seed, FrameSink sink, Listener listener,
                      BooleanSupplier stop) throws IOException {
        if (latentFrames < 1) throw new IllegalArgumentException("need at least one latent frame, got " + latentFrames);
        Listener l = listener == null ? new Listener() {} : listener;
        BooleanSupplier st = stop == null ? () -> false : stop;
        long t0 = System.nanoTime();
        long textNs = 0, ditNs = 0, vaeNs = 0, sinkNs = 0;
        int lh = dir.latentHeight(), lw = dir.latentWidth();
        int rows = dir.dit().textLen();
        long t = System.nanoTime();
        Tensor first = text.encode(script.prompts().get(0));
        textNs += System.nanoTime() - t;
        StreamingGenerator gen = new StreamingGenerator(model, dir.inference(), lh, lw,
                StreamingGenerator.frameLimitFor(dir.inference(), latentFrames), new SeededNoise(seed), first.data(), rows, null);
        gen.setSwitchMode(switchMode);
        StreamingVaeDecoder dec = new StreamingVaeDecoder(vae, dir.stats(), lh, lw, vaeKernels);
        int n = gen.framesPerBlock(), fs = gen.frameSize();
        float[] block = new float[n * fs];
        float[] pixels = new float[4 * dec.frameSize()];
        int width = dec.outWidth(), height = dec.outHeight();
        int totalVideo = PromptScript.videoFrames(latentFrames);
        int[] switches = script.switchLatentFrames();
        int nextSwitch = 0, latentDone = 0, videoDone = 0, blocks = 0;
        boolean stopped = false;
        while (latentDone < latentFrames && !stopped) {
            int start = gen.currentFrame();
            int prompt = -1;
            while (nextSwitch < switches.length && switches[nextSwitch] <= start) prompt = ++nextSwitch;
            if (prompt > 0) {        // a later switch that is also due replaces an earlier one, as in the reference
                t = System.nanoTime();
                Tensor e = text.encode(script.prompts().get(prompt));
                textNs += System.nanoTime() - t;
                gen.requestPromptSwitch(e.data(), rows);
                l.promptSwitched(prompt, start);
            }
            t = System.nanoTime();
            gen.step(block, 0);
            ditNs += System.nanoTime() - t;
            l.blockGenerated(blocks++, start);
            for (int f = 0; f < n && latentDone < latentFrames; f++) {
                t = System.nanoTime();
                int k = dec.decodeNext(block, f * fs, pixels, 0);
                Frame[] frames = new Frame[k];
                for (int i = 0; i < k; i++) frames[i] = toFrame(pixels, i * dec.frameSize(), width, height);
                vaeNs += System.nanoTime() - t;
                t = System.nanoTime();
                for (Frame fr : frames) sink.write(fr);
                sinkNs += System.nanoTime() - t;
                latentDone++;
                videoDone += k;
                l.framesWritten(videoDone, totalVideo);
                if (st.getAsBoolean()) {
                    stopped = latentDone < latentFrames;
                    break;
                }
            }
        }
        return new Result(latentDone, videoDone, blocks, stopped, (System.nanoTime() - t0) * 1e-9, textNs * 1e-9,
                ditNs * 1e-9, vaeNs * 1e-9, sinkNs * 1e-9);
    }

    /** One decoded frame {@code [3, H, W]} in [-1, 1] to 8-bit RGB: {@code round((x + 1) * 127.5)}. */
    public static Frame toFrame(float[] px, int off, int width, int height) {
        int plane = width * height;
        byte[] rgb = new byte[3 * plane];
        for (int p = 0; p < plane; p++)
            for (int c = 0; c < 3; c++) {
                int v = Math.round((px[off + c * plane + p] + 1f) * 127.5f);
                rgb[3 * p + c] = (byte) Math.max(0, Math.min(255, v));
            }
        return new Frame(width, height, rgb);
    }
}
