package longlive.pipeline;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import longlive.kernel.Parallel;
import longlive.stream.InferenceConfig;
import longlive.stream.StreamingGenerator;
import longlive.video.Frame;
import longlive.video.FrameSink;
import longlive.video.Mp4Writer;
import longlive.video.PngFolderWriter;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code longlive generate}: a prompt or a prompt script to an MP4 (H.264, 16 fps, JCodec) and optionally PNG frames,
 * streaming block by block through the VAE with a progress bar. Ctrl-C finishes the MP4 with the frames made.
 */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Generate a video from a prompt or a LongLive JSONL prompt script.")
public final class GenerateCommand implements java.util.concurrent.Callable<Integer> {
    static final int FPS = 16;

    @Option(names = "--model", description = "model directory (see docs/generate.md); default: $LONGLIVE_MODEL, "
            + "./models/default, else a tiny random model (noise)")
    Path model;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Input input;

    static final class Input {
        @Option(names = "--prompt", description = "one prompt for the whole video") String prompt;
        @Option(names = "--script", description = "JSONL prompt script ({\"prompts\": [...]} per line, optional "
                + "switch_seconds or switch_frames)") Path script;
    }

    @Option(names = "--line", defaultValue = "1", description = "script line to generate (1-based, default 1)")
    int line;

    @Option(names = "--seconds", description = "video length in seconds (default: the script's, else 5)")
    Double seconds;

    @Option(names = "--frames", description = "video length in latent frames (video frames = 1 + 4(F-1))")
    Integer frames;

    @Option(names = "--seed", defaultValue = "0") long seed;

    @Option(names = "--out", defaultValue = "out.mp4", description = "MP4 output (default out.mp4)") Path out;

    @Option(names = "--png-dir", description = "also write every frame as a PNG into this folder") Path pngDir;

    @Option(names = "--threads", description = "worker threads (default: all cores)") Integer threads;

    @Option(names = "--quiet", description = "no progress bar") boolean quiet;

    @Option(names = "--switch-mode", defaultValue = "RECACHE", paramLabel = "MODE",
            description = "what a prompt switch does to the KV cache: RECACHE (LongLive, default), KEEP the old "
                    + "prompt's cache, or CLEAR it (the paper's ablations)")
    StreamingGenerator.SwitchMode switchMode;

    @Option(names = "--window", paramLabel = "FRAMES",
            description = "override the model's local_attn_size (latent frames; -1 = global attention)")
    Integer window;

    @Option(names = "--sink", paramLabel = "FRAMES", description = "override the model's sink_size (latent frames)")
    Integer sink;

    @Override
    public Integer call() throws Exception {
        Path dir = resolveModel();
        ModelDirectory md = ModelDirectory.open(dir);
        if (window != null || sink != null) {
            InferenceConfig i = md.inference();
            md = md.withInference(i.withWindow(window != null ? window : i.localAttnSize(), sink != null ? sink : i.sinkSize()));
        }
        int latent;
        PromptScript script;
        if (input.prompt != null) {
            latent = frames != null ? frames : PromptScript.latentFramesForSeconds(seconds != null ? seconds : 5, FPS);
            script = PromptScript.of(input.prompt);
        } else {
            PromptScript probe = PromptScript.read(input.script, line, 1 << 20);
            double s = seconds != null ? seconds : probe.lengthSeconds() > 0 ? probe.lengthSeconds() : 5;
            latent = frames != null ? frames : PromptScript.latentFramesForSeconds(s, FPS);
            script = PromptScript.read(input.script, line, latent);
        }
        if (latent < 1) throw new IllegalArgumentException("--frames must be >= 1, got " + latent);
        int total = PromptScript.videoFrames(latent);
        System.err.printf("generate: %s, %dx%d, %d latent frames = %d video frames (%.2f s at %d fps), %d prompt(s), "
                        + "seed %d -> %s%n", md.name(), md.videoWidth(), md.videoHeight(), latent, total,
                total / (double) FPS, FPS, script.prompts().size(), seed, out);
        AtomicBoolean stop = new AtomicBoolean();
        CountDownLatch done = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            stop.set(true);
            try {
                done.await(20, TimeUnit.SECONDS);   // let the main loop close the files
            } catch (InterruptedException ignored) {
                Thread.currentThread().interrupt();
            }
        }, "generate-interrupt");
        Runtime.getRuntime().addShutdownHook(hook);
        try (Parallel par = threads == null ? Parallel.allCores() : new Parallel(threads)) {
            VideoPipeline p = new VideoPipeline(md, par);
            p.setSwitchMode(switchMode);
            Progress progress = new Progress(quiet);
            VideoPipeline.Result r;
            try (FrameSink sink = sinks(out, pngDir)) {
                r = p.run(script, latent, seed, sink, progress, stop::get);
            }
            progress.finish();
            System.err.printf("generate: %d video frames in %.1f s (%.2f frames/s; text %.2f s, DiT %.1f s, VAE %.1f s, "
                            + "MP4/PNG %.1f s)%s -> %s%n", r.videoFrames(), r.seconds(), r.videoFrames() / r.seconds(),
                    r.textSeconds(), r.ditSeconds(), r.vaeSeconds(), r.sinkSeconds(),
                    r.stopped() ? " (interrupted)" : "", out);
            return r.stopped() ? 130 : 0;
        } finally {
            done.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running: it only waits for done
            }
        }
    }

    private Path resolveModel() throws IOException {
        return model != null ? model : VideoPipeline.defaultModel("generate");
    }

    /** The MP4, plus the PNG folder when asked. */
    static FrameSink sinks(Path mp4, Path pngDir) throws IOException {
        Path parent = mp4.toAbsolutePath().getParent();
        if (parent != null) Files.createDirectories(parent);
        List<FrameSink> list = new ArrayList<>();
        list.add(new Mp4Writer(mp4, FPS));
        if (pngDir != null) list.add(new PngFolderWriter(pngDir));
        return new FrameSink() {
            @Override
            public void write(Frame frame) throws IOException {
                for (FrameSink s : list) s.write(frame);
            }

            @Override
            public void close() throws IOException {
                IOException first = null;
                for (FrameSink s : list) {
                    try {
                        s.close();
                    } catch (IOException e) {
                        if (first == null) first = e;
                    }
                }
                if (first != null) throw first;
            }
        };
    }

    /** A one-line progress bar on stderr: frames, frames/s, ETA. */
    static final class Progress implements VideoPipeline.Listener {
        private final boolean quiet;
        private final long start = System.nanoTime();
        private int shown = -1;

        Progress(boolean quiet) {
            this.quiet = quiet;
        }

        @Override
        public void promptSwitched(int index, int atFrame) {
            if (!quiet) System.err.printf("%n  prompt %d from latent frame %d%n", index, atFrame);
        }

        @Override
        public void framesWritten(int frames, int total) {
            if (quiet || frames == shown) return;
            shown = frames;
            double s = (System.nanoTime() - start) * 1e-9, fps = frames / Math.max(s, 1e-9);
            int width = 30, filled = (int) ((long) width * frames / Math.max(1, total));
            double eta = (total - frames) / Math.max(fps, 1e-9);
            System.err.printf("\r[%s%s] %d/%d frames  %.2f frames/s  ETA %s   ", "#".repeat(filled),
                    " ".repeat(width - filled), frames, total, fps, eta(eta));
        }

        void finish() {
            if (!quiet) System.err.println();
        }

        private static String eta(double s) {
            long t = Math.round(s);
            return t >= 3600 ? String.format("%dh%02dm", t / 3600, t / 60 % 60) : String.format("%dm%02ds", t / 60, t % 60);
        }
    }
}
