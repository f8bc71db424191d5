package longlive.serve;

/**
 * How {@code serve} runs. Validated here so every other class can trust it.
 *
 * @param host             address to bind (127.0.0.1: this machine only; 0.0.0.0: every interface)
 * @param port             TCP port, 0 = any free port (tests)
 * @param maxSessions      sessions generating at once; a start beyond gets a "busy" error
 * @param fps              video frame rate of the MP4s and of real-time pacing (the model's 16 fps)
 * @param realtime         true: a session never runs more than {@code leadSeconds} ahead of real time, so the video
 *                         plays at {@code fps} however fast the model is; false: as fast as the machine allows
 * @param leadSeconds      how far ahead of the playback clock a real-time session may generate
 * @param maxQueuedFrames  slow-client pacing: a session whose connection has more frames than this still being
 *                         written is not scheduled until it drains (the queue is bounded by this plus one block)
 * @param maxMessageBytes  client messages longer than this are rejected with an error (the transport closes the
 *                         connection only beyond 1 MiB)
 * @param maxSessionSeconds the longest video one session may make, in seconds of video
 * @param jpegQuality      JPEG quality of the pushed frames, 0..1
 * @param statsMillis      period of the {@code stats} event
 * @param keepEnded        ended sessions whose MP4 stays downloadable (older files are deleted)
 */
public record ServeConfig(String host, int port, int maxSessions, int fps, boolean realtime, double leadSeconds,
                          int maxQueuedFrames, int maxMessageBytes, double maxSessionSeconds, float jpegQuality,
                          int statsMillis, int keepEnded) {

    /** Transport limit: Jetty closes the connection (status 1009) on a text message longer than this. */
    public static final int TRANSPORT_MAX_MESSAGE_BYTES = 1 << 20;

    public ServeConfig {
        if (host == null || host.isBlank()) throw new IllegalArgumentException("serve: --host must not be empty");
        if (port < 0 || port > 65535) throw new IllegalArgumentException("serve: --port must be in 0..65535, got " + port);
        if (maxSessions < 1) throw new IllegalArgumentException("serve: --max-sessions must be >= 1, got " + maxSessions);
        if (fps < 1 || fps > 240) throw new IllegalArgumentException("serve: fps must be in 1..240, got " + fps);
        if (!(leadSeconds > 0)) throw new IllegalArgumentException("serve: lead must be > 0 s, got " + leadSeconds);
        if (maxQueuedFrames < 1) throw new IllegalArgumentException("serve: --max-queued-frames must be >= 1");
        if (maxMessageBytes < 256 || maxMessageBytes > TRANSPORT_MAX_MESSAGE_BYTES)
            throw new IllegalArgumentException("serve: message limit must be in 256.." + TRANSPORT_MAX_MESSAGE_BYTES);
        if (!(maxSessionSeconds > 0)) throw new IllegalArgumentException("serve: --max-session-seconds must be > 0");
        if (!(jpegQuality > 0 && jpegQuality <= 1)) throw new IllegalArgumentException("serve: JPEG quality in (0, 1]");
        if (statsMillis < 50) throw new IllegalArgumentException("serve: stats period must be >= 50 ms");
        if (keepEnded < 0) throw new IllegalArgumentException("serve: keepEnded must be >= 0");
    }

    /** Defaults of {@code ./longlive serve}. */
    public static ServeConfig defaults() {
        return new ServeConfig("127.0.0.1", 8080, 4, 16, true, 0.5, 16, 16 * 1024, 600, 0.9f, 1000, 32);
    }

    public ServeConfig withPort(int p) {
        return new ServeConfig(host, p, maxSessions, fps, realtime, leadSeconds, maxQueuedFrames, maxMessageBytes,
                maxSessionSeconds, jpegQuality, statsMillis, keepEnded);
    }

    public ServeConfig withMaxSessions(int n) {
        return new ServeConfig(host, port, n, fps, realtime, leadSeconds, maxQueuedFrames, maxMessageBytes,
                maxSessionSeconds, jpegQuality, statsMillis, keepEnded);
    }

    public ServeConfig withRealtime(boolean r) {
        return new ServeConfig(host, port, maxSessions, fps, r, leadSeconds, maxQueuedFrames, maxMessageBytes,
                maxSessionSeconds, jpegQuality, statsMillis, keepEnded);
    }

    public ServeConfig withMaxQueuedFrames(int q) {
        return new ServeConfig(host, port, maxSessions, fps, realtime, leadSeconds, q, maxMessageBytes,
                maxSessionSeconds, jpegQuality, statsMillis, keepEnded);
    }
}
