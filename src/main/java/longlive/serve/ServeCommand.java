package longlive.serve;

import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import longlive.kernel.Parallel;
import longlive.pipeline.ModelDirectory;
import longlive.pipeline.VideoPipeline;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code longlive serve}: the live web UI and WebSocket API (docs/serve.md). Loads the model once and serves until
 * Ctrl-C; every viewer gets a session with its own cache and seed, up to {@code --max-sessions}.
 */
@Command(name = "serve", mixinStandardHelpOptions = true, subcommands = ServeBenchCommand.class,
        description = {"Serve the live web UI and WebSocket API: watch the video being made and steer it with prompts.",
                "Open http://HOST:PORT/ in a browser. 'serve bench' measures a running server."})
public final class ServeCommand implements java.util.concurrent.Callable<Integer> {

    @Option(names = "--model", description = "model directory (see docs/generate.md); default as for generate: "
            + "$LONGLIVE_MODEL, ./models/default, else a tiny random model (noise)")
    Path model;

    @Option(names = "--port", defaultValue = "8080", description = "TCP port (default 8080; 0 = any free port)")
    int port;

    @Option(names = "--host", defaultValue = "127.0.0.1",
            description = "address to listen on (default 127.0.0.1 = this machine only; 0.0.0.0 = all interfaces)")
    String host;

    @Option(names = "--max-sessions", defaultValue = "4",
            description = "sessions generating at once; one more start gets a 'busy' error (default 4)")
    int maxSessions;

    @Option(names = "--no-realtime", description = "generate as fast as possible instead of pacing each session to "
            + "the video's 16 fps (for benchmarks)")
    boolean noRealtime;

    @Option(names = "--max-queued-frames", defaultValue = "16", description = "a session whose viewer has more "
            + "frames than this still in flight waits until they are written (slow-client pacing; default 16)")
    int maxQueuedFrames;

    @Option(names = "--max-session-seconds", defaultValue = "600",
            description = "longest video one session may make, in seconds (default 600)")
    double maxSessionSeconds;

    @Option(names = "--threads", description = "worker threads (default: all cores)")
    Integer threads;

    @Override
    public Integer call() throws Exception {
        Path dir = model != null ? model : VideoPipeline.defaultModel("serve");
        ModelDirectory md = ModelDirectory.open(dir);
        ServeConfig d = ServeConfig.defaults();
        ServeConfig cfg = new ServeConfig(host, port, maxSessions, d.fps(), !noRealtime, d.leadSeconds(),
                maxQueuedFrames, d.maxMessageBytes(), maxSessionSeconds, d.jpegQuality(), d.statsMillis(), d.keepEnded());
        CountDownLatch stopped = new CountDownLatch(1);
        try (Parallel par = threads == null ? Parallel.allCores() : new Parallel(threads)) {
            VideoPipeline pipe = new VideoPipeline(md, par);
            ServeServer server = ServeServer.start(pipe, cfg);
            Thread hook = new Thread(() -> {
                server.close();
                stopped.countDown();
            }, "serve-shutdown");
            Runtime.getRuntime().addShutdownHook(hook);
            String shown = host.equals("0.0.0.0") ? "localhost" : host;
            System.err.printf("serve: %s (%dx%d) on http://%s:%d/  (WebSocket ws://%s:%d/ws; up to %d sessions, %s; "
                            + "Ctrl-C stops)%n", md.name(), md.videoWidth(), md.videoHeight(), shown, server.port(), shown,
                    server.port(), maxSessions, cfg.realtime() ? "paced to " + cfg.fps() + " fps" : "unpaced");
            stopped.await();
        }
        return 0;
    }
}
