package longlive.stream;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import longlive.dit.CausalDit;
import longlive.dit.DitConfig;
import longlive.dit.DitKernels;
import longlive.dit.DitWeights;
import longlive.dit.RopeMode;
import longlive.kernel.Parallel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code longlive bench-model}: the streaming generator on random weights. Reports seconds per block (S denoising
 * forwards + the cache pass), per forward, the KV-recache of a prompt switch, the process's resident memory and the
 * cache sizes. The VAE and the text encoder are not part of the timing.
 */
@Command(name = "bench-model", mixinStandardHelpOptions = true,
        description = {"Times the LongLive streaming DiT (random weights): seconds per block, per forward, per",
                "KV-recache; resident memory and KV-cache bytes. VAE and text encoder are not included."})
public final class ModelBenchCommand implements Callable<Integer> {
    @Option(names = "--preset", defaultValue = "tiny", description = "model size: tiny, small or 1.3b (default: ${DEFAULT-VALUE})")
    String preset;

    @Option(names = "--height", description = "video height in pixels (latent = height / 8; default 480 for 1.3b, 32 otherwise)")
    Integer height;

    @Option(names = "--width", description = "video width in pixels (latent = width / 8; default 832 for 1.3b, 48 otherwise)")
    Integer width;

    @Option(names = "--blocks", description = "timed blocks (default 2 for 1.3b, 20 otherwise)")
    Integer blocks;

    @Option(names = "--warmup", description = "untimed blocks first (default 0 for 1.3b, 3 otherwise)")
    Integer warmup;

    @Option(names = "--threads", description = "worker threads (default: all cores)")
    Integer threads;

    @Option(names = "--rope", defaultValue = "absolute", description = "absolute or relative (default: ${DEFAULT-VALUE})")
    String rope;

    @Option(names = "--no-recache", description = "skip the prompt-switch (KV-recache) measurement")
    boolean noRecache;

    @Option(names = "--layers", description = "override the preset's num_layers (e.g. 1: time one full-width layer"
            + " of the 1.3B model and scale by its 30 layers; the per-layer cost is the same for every layer)")
    Integer layers;

    @Override
    public Integer call() {
        DitConfig full = DitConfig.preset(preset);
        boolean big = full.equals(DitConfig.WAN_1_3B);
        DitConfig cfg = layers == null ? full : withLayers(full, layers);
        int hPx = height != null ? height : big ? 480 : 32, wPx = width != null ? width : big ? 832 : 48;
        if (hPx % 8 != 0 || wPx % 8 != 0)
            throw new IllegalArgumentException("--height and --width must be multiples of 8 (the VAE's stride)");
        int lh = hPx / 8, lw = wPx / 8;
        int nBlocks = blocks != null ? blocks : big ? 2 : 20, nWarm = warmup != null ? warmup : big ? 0 : 3;
        InferenceConfig inf = InferenceConfig.LONGLIVE.withRopeMode(RopeMode.parse(rope));
        try (Parallel par = threads == null ? Parallel.allCores() : new Parallel(threads)) {
            System.out.printf(Locale.ROOT, "bench-model: preset %s (%,d parameters), %dx%d px -> latent %dx%d, %d tokens/frame,"
                            + " %d threads, %s RoPE, window %d + sink %d frames%n", preset, cfg.parameterCount(), hPx, wPx,
                    lh, lw, cfg.frameSeqLen(lh, lw), par.threads(), rope, inf.localAttnSize(), inf.sinkSize());
            long t0 = System.nanoTime();
            DitWeights w = DitWeights.random(cfg, 1, par);
            System.out.printf(Locale.ROOT, "  random weights: %s in %.1f s%n", human(w.bytes()), (System.nanoTime() - t0) / 1e9);
            CausalDit model = new CausalDit(w, DitKernels.fast(par), inf.ropeMode());
            Timings timings = new Timings();
            float[] prompt = new float[cfg.textLen() * cfg.textDim()];
            new SeededNoise(2).initial(0, prompt, 0, prompt.length);
            StreamingGenerator gen = new StreamingGenerator(model, inf, lh, lw, Integer.MAX_VALUE, new SeededNoise(3),
                    prompt, cfg.textLen(), timings);
            System.out.printf(Locale.ROOT, "  KV cache %s (self-attention %d layers x %d slots, cross-attention, scratch), session buffers %s,"
                            + " RSS after allocation %s%n", human(gen.cache().bytes()), cfg.numLayers(),
                    gen.cache().layer(0).capacityTokens(), human(gen.sessionBytes()), human(rssBytes()));
            long heapStart = liveHeapBytes();
            float[] out = new float[gen.framesPerBlock() * gen.frameSize()];
            for (int b = 0; b < nWarm; b++) gen.step(out, 0);
            timings.clear();
            timings.verbose = big; // a 1.3B block takes minutes: show each forward as it finishes
            List<Double> perBlock = new ArrayList<>();
            for (int b = 0; b < nBlocks; b++) {
                long s = System.nanoTime();
                gen.step(out, 0);
                perBlock.add((System.nanoTime() - s) / 1e9);
                System.out.printf(Locale.ROOT, "  block %d (frames %d..%d): %.3f s%n", gen.blocksDone() - 1,
                        gen.currentFrame() - gen.framesPerBlock(), gen.currentFrame() - 1, perBlock.getLast());
            }
            double block = median(perBlock);
            double fwd = median(timings.denoise), cachePass = median(timings.cache);
            int n = gen.framesPerBlock();
            System.out.printf(Locale.ROOT, "  per block (%d forwards): median %.3f s -> %.2f latent frames/s, %.2f video frames/s"
                    + " (4 per latent frame)%n", inf.denoisingStepList().length + 1, block, n / block, 4 * n / block);
            System.out.printf(Locale.ROOT, "  per denoising forward (%d frames, %d tokens): median %.3f s; cache pass %.3f s%n",
                    n, n * cfg.frameSeqLen(lh, lw), fwd, cachePass);
            if (!noRecache) {
                gen.requestPromptSwitch(prompt, cfg.textLen());
                gen.step(out, 0);
                System.out.printf(Locale.ROOT, "  KV-recache at a prompt switch (%d frames, one forward): %.3f s%n",
                        timings.recacheFrames, timings.recache.isEmpty() ? Double.NaN : timings.recache.getFirst());
            }
            System.out.printf(Locale.ROOT, "  resident memory (VmRSS): %s; KV cache %s; weights %s%n",
                    human(rssBytes()), human(gen.cache().bytes()), human(w.bytes()));
            System.out.printf(Locale.ROOT, "  live Java heap after GC: %s before the timed blocks, %s after %d blocks (%d latent frames)%n",
                    human(heapStart), human(liveHeapBytes()), gen.blocksDone(), gen.currentFrame());
            if (cfg.numLayers() != full.numLayers()) scaled(full, cfg, block, fwd, cachePass, timings, lh, lw, inf);
        }
        return 0;
    }

    /** The preset with another layer count (every other size unchanged). */
    static DitConfig withLayers(DitConfig c, int n) {
        if (n < 1) throw new IllegalArgumentException("--layers must be >= 1, got " + n);
        return new DitConfig(c.modelType(), c.dim(), c.ffnDim(), c.freqDim(), c.numHeads(), n, c.inDim(), c.outDim(),
                c.textLen(), c.textDim(), c.patchT(), c.patchH(), c.patchW(), c.eps(), c.qkNorm(), c.crossAttnNorm());
    }

    /**
     * With {@code --layers}: the timings scaled to the preset's layer count (the embeddings and the head are counted
     * once per forward in the measurement, so the scaling slightly overstates them), and the memory the full model
     * would need: float32 weights, the KV cache (layers x window tokens x dim x 2 x 4 B) plus the cross-attention cache,
     * and the activations of the largest call (the 12-frame recache).
     */
    private static void scaled(DitConfig full, DitConfig ran, double block, double fwd, double cachePass, Timings t,
                               int lh, int lw, InferenceConfig inf) {
        double f = (double) full.numLayers() / ran.numLayers();
        int fsl = full.frameSeqLen(lh, lw), window = inf.localAttnSize() * fsl;
        long kv = (long) full.numLayers() * window * full.dim() * 2 * Float.BYTES;
        long cross = (long) full.numLayers() * full.textLen() * full.dim() * 2 * Float.BYTES;
        long act = new longlive.dit.DitState(full, inf.localAttnSize(), fsl).bytes();
        System.out.printf(Locale.ROOT, "  scaled x%.0f to the %d-layer model: per block %.1f s, per denoising forward %.1f s,"
                        + " cache pass %.1f s, KV-recache %.1f s%n", f, full.numLayers(), f * block, f * fwd, f * cachePass,
                f * (t.recache.isEmpty() ? Double.NaN : t.recache.getFirst()));
        System.out.printf(Locale.ROOT, "  memory of the %d-layer model (computed): weights %s + KV cache %s + cross-attention"
                        + " cache %s + activations %s = %s%n", full.numLayers(), human(full.parameterCount() * Float.BYTES),
                human(kv), human(cross), human(act), human(full.parameterCount() * Float.BYTES + kv + cross + act));
    }

    static String human(long bytes) {
        return bytes >= 1L << 30 ? String.format(Locale.ROOT, "%.2f GB", bytes / 1e9)
                : String.format(Locale.ROOT, "%.1f MB", bytes / 1e6);
    }

    static double median(List<Double> xs) {
        if (xs.isEmpty()) return Double.NaN;
        List<Double> s = new ArrayList<>(xs);
        Collections.sort(s);
        return s.get(s.size() / 2);
    }

    /** Heap in use after a full collection: what the session really holds (RSS also counts garbage not yet freed). */
    static long liveHeapBytes() {
        Runtime rt = Runtime.getRuntime();
        System.gc();
        return rt.totalMemory() - rt.freeMemory();
    }

    /** The process's resident set size from /proc/self/status (0 where there is no procfs). */
    static long rssBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status")))
                if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
        return 0;
    }

    private static final class Timings implements StreamingGenerator.Listener {
        final List<Double> denoise = new ArrayList<>(), cache = new ArrayList<>(), recache = new ArrayList<>();
        int recacheFrames;

        boolean verbose;

        @Override
        public void forwardTimed(StreamingGenerator.ForwardKind kind, int frames, long nanos) {
            double s = nanos / 1e9;
            if (verbose) System.out.printf(Locale.ROOT, "    %s forward (%d frames): %.3f s%n",
                    kind.name().toLowerCase(Locale.ROOT), frames, s);
            switch (kind) {
                case DENOISE -> denoise.add(s);
                case CACHE -> cache.add(s);
                case RECACHE -> {
                    recache.add(s);
                    recacheFrames = frames;
                }
            }
        }

        void clear() {
            denoise.clear();
            cache.clear();
            recache.clear();
        }
    }
}
