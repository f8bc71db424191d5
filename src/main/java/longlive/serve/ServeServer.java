package longlive.serve;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.staticfiles.Location;
import io.javalin.websocket.WsConfig;
import io.javalin.websocket.WsContext;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import longlive.pipeline.ModelDirectory;
import longlive.pipeline.VideoPipeline;
import longlive.text.tokenizer.PromptCleaner;
import longlive.text.tokenizer.TokenizedPrompt;
import longlive.text.tokenizer.UnigramTokenizer;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.api.WriteCallback;

/**
 * The HTTP + WebSocket server of {@code serve} (Javalin on Jetty): the page (static files from the jar's
 * {@code web/}), {@code GET /api/info}, {@code GET /api/sessions/{id}/video.mp4} and the WebSocket {@code /ws}
 * (protocol in {@link Protocol} and docs/serve.md). One WebSocket connection drives at most one session at a time.
 */
public final class ServeServer implements AutoCloseable {
    static {   // Jetty and Javalin log through slf4j-simple: keep them to warnings unless asked otherwise
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null)
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    }

    private final VideoPipeline pipe;
    private final ServeConfig cfg;
    private final Path workDir;
    private final SessionManager sessions;
    private final Javalin app;
    private final Map<String, Connection> connections = new ConcurrentHashMap<>();

    private ServeServer(VideoPipeline pipe, ServeConfig cfg) throws IOException {
        this.pipe = pipe;
        this.cfg = cfg;
        this.workDir = Files.createTempDirectory("longlive-serve");
        this.sessions = new SessionManager(pipe, cfg, workDir);
        this.app = Javalin.create(c -> {
            c.showJavalinBanner = false;
            c.startupWatcherEnabled = false;
            c.staticFiles.add("/web", Location.CLASSPATH);
            c.jetty.modifyWebSocketServletFactory(f -> {
                f.setMaxTextMessageSize(ServeConfig.TRANSPORT_MAX_MESSAGE_BYTES);
                f.setMaxBinaryMessageSize(64 * 1024);
                f.setIdleTimeout(Duration.ofHours(1));   // a paused session sends nothing for a while
            });
        });
        app.get("/api/info", this::info);
        app.get("/api/sessions/{id}/video.mp4", this::download);
        app.ws("/ws", this::socket);
    }

    /** Starts serving {@code pipe} (which stays the caller's) with {@code cfg}; port 0 picks a free port. */
    public static ServeServer start(VideoPipeline pipe, ServeConfig cfg) throws IOException {
        ServeServer s = new ServeServer(pipe, cfg);
        try {
            s.app.start(cfg.host(), cfg.port());
        } catch (RuntimeException e) {
            s.close();
            throw new IOException("serve: cannot listen on " + cfg.host() + ":" + cfg.port() + ": " + e.getMessage(), e);
        }
        return s;
    }

    public int port() {
        return app.port();
    }

    /** Sessions generating now. */
    public int liveSessions() {
        return sessions.liveCount();
    }

    SessionManager sessions() {
        return sessions;
    }

    private void info(Context ctx) {
        ctx.contentType("application/json").result(hello("info").toString());
    }

    private ObjectNode hello(String type) {
        ModelDirectory md = pipe.model();
        ObjectNode o = Protocol.event(type);
        o.put("protocol", Protocol.VERSION);
        o.put("model", md.name());
        o.put("width", md.videoWidth());
        o.put("height", md.videoHeight());
        o.put("fps", cfg.fps());
        o.put("realtime", cfg.realtime());
        o.put("max_sessions", cfg.maxSessions());
        o.put("sessions", sessions.liveCount());
        o.put("text_len", md.dit().textLen());
        o.put("max_message_bytes", cfg.maxMessageBytes());
        o.put("max_session_seconds", cfg.maxSessionSeconds());
        o.put("random_weights", md.name().startsWith("random-"));
        return o;
    }

    private void download(Context ctx) throws IOException {
        LiveSession s = sessions.find(ctx.pathParam("id"));
        if (s == null) {
            ctx.status(404).result("no such session (ended sessions are kept for the last " + cfg.keepEnded() + ")");
            return;
        }
        byte[] mp4 = s.mp4SoFar();
        if (mp4 == null) {
            ctx.status(409).result("nothing complete yet: the MP4 grows every " + LiveSession.MP4_FRAGMENT_FRAMES
                    + " frames");
            return;
        }
        ctx.header("Content-Disposition", "attachment; filename=\"longlive-" + s.id.substring(0, 8) + ".mp4\"");
        ctx.header("Cache-Control", "no-store");
        ctx.contentType("video/mp4").result(mp4);
    }

    private void socket(WsConfig ws) {
        ws.onConnect(ctx -> {
            Connection c = new Connection(ctx.session);
            connections.put(ctx.sessionId(), c);
            c.sendText(hello("hello").toString());
        });
        ws.onMessage(ctx -> {
            Connection c = connections.get(ctx.sessionId());
            if (c != null) c.handle(ctx.message());
        });
        ws.onBinaryMessage(ctx -> {
            Connection c = connections.get(ctx.sessionId());
            if (c != null) c.sendText(Protocol.error("binary_not_supported", "send JSON text messages; binary "
                    + "messages are only sent by the server"));
        });
        ws.onClose(ctx -> closed(ctx));
        ws.onError(ctx -> closed(ctx));
    }

    private void closed(WsContext ctx) {
        Connection c = connections.remove(ctx.sessionId());
        if (c != null) c.disconnected();
    }

    /** One WebSocket connection: its protocol state (the current session) and a non-blocking outlet. */
    private final class Connection implements LiveSession.Outlet {
        private final Session ws;
        private volatile boolean open = true;
        private LiveSession session;   // touched only by this connection's message thread (Jetty runs them in order)

        Connection(Session ws) {
            this.ws = ws;
        }

        @Override
        public void sendText(String json) {
            if (!isOpen()) return;
            try {
                ws.getRemote().sendString(json, WriteCallback.NOOP);
            } catch (RuntimeException closing) {
                open = false;
            }
        }

        @Override
        public void sendFrame(ByteBuffer message, Runnable done) {
            if (!isOpen()) {
                done.run();
                return;
            }
            try {
                ws.getRemote().sendBytes(message, new WriteCallback() {
                    @Override
                    public void writeFailed(Throwable x) {
                        done.run();
                    }

                    @Override
                    public void writeSuccess() {
                        done.run();
                    }
                });
            } catch (RuntimeException closing) {
                open = false;
                done.run();
            }
        }

        @Override
        public boolean isOpen() {
            return open && ws.isOpen();
        }

        synchronized void disconnected() {
            open = false;
            if (session != null) sessions.end(session, "disconnect");
            session = null;
        }

        synchronized void handle(String text) {
            Protocol.Message m;
            try {
                m = Protocol.parse(text, cfg.maxMessageBytes());
            } catch (Protocol.ProtocolException e) {
                sendText(Protocol.error(e.code(), e.getMessage()));
                return;
            }
            if (session != null && session.released()) session = null;   // it ended by itself (length reached)
            switch (m) {
                case Protocol.Start st -> start(st);
                case Protocol.Switch sw -> {
                    if (noSession("switch")) return;
                    warnIfTruncated(sw.prompt());
                    session.requestSwitch(sw.prompt(), "user");
                }
                case Protocol.Pause p -> {
                    if (noSession("pause")) return;
                    session.pause();
                    sendText(state("paused").toString());
                }
                case Protocol.Resume r -> {
                    if (noSession("resume")) return;
                    session.resume();
                    sessions.signal();
                    sendText(state("resumed").toString());
                }
                case Protocol.Stop s -> {
                    if (noSession("stop")) return;
                    LiveSession ending = session;
                    session = null;
                    sessions.end(ending, "stop");
                }
            }
        }

        private ObjectNode state(String type) {
            ObjectNode o = Protocol.event(type);
            o.put("frame", session.videoFrames());
            return o;
        }

        private boolean noSession(String what) {
            if (session != null) return false;
            sendText(Protocol.error("no_session", "cannot " + what + ": no session is running; send "
                    + "{\"type\": \"start\", \"prompt\": \"...\"} first"));
            return true;
        }

        private void start(Protocol.Start st) {
            if (session != null) {
                sendText(Protocol.error("already_started", "this connection already runs session " + session.id
                        + "; send stop first (or open another connection)"));
                return;
            }
            if (st.script() != null) for (String p : st.script().prompts()) warnIfTruncated(p);
            else warnIfTruncated(st.prompt());
            try {
                session = sessions.start(st, this);
            } catch (SessionManager.BusyException e) {
                sendText(Protocol.error("busy", e.getMessage()));
                return;
            } catch (IllegalArgumentException e) {
                sendText(Protocol.error("bad_field", e.getMessage()));
                return;
            }
            ObjectNode o = Protocol.event("started");
            o.put("session", session.id);
            o.put("number", session.number);
            o.put("seed", session.seed);
            o.put("prompt", st.prompt());
            o.put("width", pipe.model().videoWidth());
            o.put("height", pipe.model().videoHeight());
            o.put("fps", cfg.fps());
            o.put("max_latent_frames", session.maxLatentFrames());
            o.put("download", session.downloadPath());
            o.set("timeline", session.timelineJson());
            sendText(o.toString());
            session.ready();
            sessions.signal();
        }

        /** The reference truncates prompts longer than the text encoder's text_len; we do too, and say so. */
        private void warnIfTruncated(String prompt) {
            UnigramTokenizer tok = pipe.textEncoder().tokenizer();
            TokenizedPrompt t = tok.encode(prompt);
            if (!t.truncated()) return;
            int tokens = tok.tokenize(PromptCleaner.clean(prompt)).size();
            int kept = t.length() - 1;   // the last real position holds </s>
            ObjectNode w = Protocol.event("warning");
            w.put("code", "prompt_truncated");
            w.put("message", "the prompt has " + tokens + " tokens; the text encoder takes " + kept
                    + " (text_len " + tok.textLen() + " with </s>), the rest is ignored");
            w.put("tokens", tokens);
            w.put("kept", kept);
            sendText(w.toString());
        }
    }

    @Override
    public void close() {
        try {
            app.stop();
        } finally {
            sessions.close();
            try (Stream<Path> files = Files.walk(workDir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException ignored) {
                // temp files; the OS cleans the temp folder
            }
        }
    }
}
