package longlive.serve;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.lang.ref.WeakReference;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import longlive.pipeline.ModelDirectory;
import longlive.pipeline.PromptScript;
import longlive.pipeline.VideoPipeline;
import longlive.stream.SeededNoise;
import longlive.stream.StreamingGenerator;
import longlive.tensor.Tensor;
import longlive.vae.StreamingVaeDecoder;
import longlive.video.Frame;
import longlive.video.Mp4Writer;
import longlive.world.Script;

/**
 * One viewer's generation: its own {@link StreamingGenerator} (KV cache, seed), {@link StreamingVaeDecoder}, MP4 and
 * prompt timeline. The {@link SessionManager}'s scheduler thread calls {@link #step} (one block: switch if asked,
 * generate, decode, encode, push); the connection's thread calls {@link #requestSwitch}, {@link #pause},
 * {@link #resume}. Every model call of every session runs on the scheduler thread, so the shared weights and kernel
 * threads are never used by two sessions at once.
 */
final class LiveSession {
    /** MP4 fragment length: what "download so far" can lag behind the stream (half a second at 16 fps). */
    static final int MP4_FRAGMENT_FRAMES = 8;

    /** Where a session's frames and events go; implementations never block the caller. */
    interface Outlet {
        void sendText(String json);

        /** Sends one binary frame message; {@code done} runs once it is written or has failed. */
        void sendFrame(ByteBuffer message, Runnable done);

        boolean isOpen();
    }

    /** One prompt of the timeline. {@code appliedAtFrame} is the first video frame made under it (-1: not yet). */
    static final class Entry {
        final int index;
        final String prompt;
        final String source;
        final int requestedAtFrame;
        final long requestedNanos;
        volatile int appliedAtFrame = -1;
        volatile boolean superseded;

        Entry(int index, String prompt, String source, int requestedAtFrame) {
            this.index = index;
            this.prompt = prompt;
            this.source = source;
            this.requestedAtFrame = requestedAtFrame;
            this.requestedNanos = System.nanoTime();
        }
    }

    final int number;
    final String id;
    final long seed;
    private final VideoPipeline pipe;
    private final ServeConfig cfg;
    private final Outlet out;
    private final Path mp4Path;
    private final int maxLatent;
    private final int[] scriptSwitches;
    private final List<String> scriptPrompts;
    private final List<Entry> timeline = new ArrayList<>();   // guarded by this
    private final AtomicInteger queued = new AtomicInteger();
    private final AtomicLong sent = new AtomicLong();
    private final Runnable drained;

    // scheduler-thread state, allocated by init(), dropped by release()
    private StreamingGenerator gen;
    private WeakReference<StreamingGenerator> genRef = new WeakReference<>(null);
    private StreamingVaeDecoder dec;
    private volatile Mp4Writer mp4;
    private FrameEncoder jpeg;
    private float[] block, pixels;
    private int nextScripted;
    private int currentPrompt;
    private volatile int latentDone, videoDone;
    private long clockBase;
    private long statsAt;
    private int statsFrames;
    private double lastFps;
    private double lastBlockMs;

    private Entry pending;              // guarded by this
    private volatile boolean paused;
    private volatile boolean ready;
    private long pausedAt;              // guarded by this
    private volatile boolean released;
    private volatile boolean finished;  // reached its length or limit: the manager ends it after this step
    private volatile String finishReason = "done";

    /**
     * @param drained called when a queued frame has been written (the scheduler may run this session again)
     */
    LiveSession(int number, String id, VideoPipeline pipe, ServeConfig cfg, Protocol.Start start, long seed, Outlet out,
                Path mp4Path, Runnable drained) {
        this.number = number;
        this.id = id;
        this.pipe = pipe;
        this.cfg = cfg;
        this.out = out;
        this.seed = seed;
        this.mp4Path = mp4Path;
        this.drained = drained;
        ModelDirectory md = pipe.model();
        double seconds = Math.min(start.seconds() != null ? start.seconds() : cfg.maxSessionSeconds(),
                cfg.maxSessionSeconds());
        int latent = PromptScript.latentFramesForSeconds(seconds, cfg.fps());
        if (md.inference().globalAttention()) // a global cache holds every frame: keep it to a sane size
            latent = Math.min(latent, PromptScript.latentFramesForSeconds(Math.min(seconds, 10), cfg.fps()));
        this.maxLatent = Math.max(latent, md.inference().numFramePerBlock());
        Script script = start.script();
        if (script != null && script.prompts().size() > 1) {
            double len = start.seconds() != null ? start.seconds()
                    : script.lengthSeconds() > 0 ? script.lengthSeconds() : 5.0 * script.prompts().size();
            PromptScript ps = PromptScript.fromScript(script, PromptScript.latentFramesForSeconds(len, cfg.fps()));
            scriptPrompts = ps.prompts();
            scriptSwitches = ps.switchLatentFrames();
        } else {
            scriptPrompts = List.of(start.prompt());
            scriptSwitches = new int[0];
        }
        Entry first = new Entry(0, start.prompt(), "start", 0);
        first.appliedAtFrame = 0;
        timeline.add(first);
    }

    /** Lets the scheduler run this session: called once the client was told it started, so frames come after. */
    void ready() {
        ready = true;
    }

    /** Allocates the generator, decoder and MP4 (scheduler thread, on the first step). */
    private void init() throws IOException {
        ModelDirectory md = pipe.model();
        int rows = md.dit().textLen();
        Tensor first = pipe.textEncoder().encode(timeline.getFirst().prompt);
        gen = new StreamingGenerator(pipe.dit(), md.inference(), md.latentHeight(), md.latentWidth(),
                StreamingGenerator.frameLimitFor(md.inference(), maxLatent), new SeededNoise(seed), first.data(), rows, null);
        genRef = new WeakReference<>(gen);
        dec = new StreamingVaeDecoder(pipe.vaeWeights(), md.stats(), md.latentHeight(), md.latentWidth(),
                pipe.vaeKernels());
        block = new float[gen.framesPerBlock() * gen.frameSize()];
        pixels = new float[4 * dec.frameSize()];
        mp4 = new Mp4Writer(mp4Path, cfg.fps(), Mp4Writer.DEFAULT_QP, MP4_FRAGMENT_FRAMES);
        jpeg = new FrameEncoder(cfg.jpegQuality());
        clockBase = statsAt = System.nanoTime();
    }

    // ---- connection thread --------------------------------------------------------------------------------------

    /** Queues a prompt switch for the next block boundary; a later request before it replaces this one. */
    synchronized Entry requestSwitch(String prompt, String source) {
        Entry e = new Entry(timeline.size(), prompt, source, videoDone);
        timeline.add(e);
        if (pending != null) {
            pending.superseded = true;
            ObjectNode s = Protocol.event("switch_superseded");
            s.put("index", pending.index);
            s.put("by", e.index);
            out.sendText(s.toString());
        }
        pending = e;
        ObjectNode ev = Protocol.event("switch_requested");
        ev.put("index", e.index);
        ev.put("prompt", prompt);
        ev.put("source", source);
        ev.put("frame", e.requestedAtFrame);
        out.sendText(ev.toString());
        return e;
    }

    /** Stops scheduling this session; the playback clock stops too. Returns false when already paused. */
    synchronized boolean pause() {
        if (paused) return false;
        paused = true;
        pausedAt = System.nanoTime();
        return true;
    }

    synchronized boolean resume() {
        if (!paused) return false;
        paused = false;
        clockBase += System.nanoTime() - pausedAt;
        return true;
    }

    boolean paused() {
        return paused;
    }

    // ---- scheduler thread ---------------------------------------------------------------------------------------

    /**
     * Whether the scheduler may run a block now: not paused, not ahead of real time (when pacing), and the
     * connection has drained below {@code maxQueuedFrames}. {@code now} in nanos.
     */
    boolean runnable(long now) {
        if (!ready || paused || released || finished) return false;
        if (queued.get() > cfg.maxQueuedFrames()) return false;
        return gen == null || !cfg.realtime() || now >= dueNanos();
    }

    /** When real-time pacing lets the next block start. */
    long dueNanos() {
        if (gen == null || !cfg.realtime()) return 0;
        double ahead = videoDone - cfg.leadSeconds() * cfg.fps();
        return clockBase + (long) (ahead / cfg.fps() * 1e9);
    }

    /** One block: apply a due switch, generate, decode every latent frame, write the MP4, push the frames. */
    void step(int liveSessions) throws IOException {
        long t0 = System.nanoTime();
        if (gen == null) init();
        int start = gen.currentFrame();
        Entry sw = takeSwitch(start);
        if (sw != null) {
            Tensor e = pipe.textEncoder().encode(sw.prompt);
            gen.requestPromptSwitch(e.data(), pipe.model().dit().textLen());
        }
        try {
            gen.step(block, 0);
        } catch (IllegalStateException limit) {   // the model's own frame limit (absolute RoPE table)
            finishReason = "limit";
            finished = true;
            out.sendText(Protocol.error("limit", limit.getMessage()));
            return;
        }
        if (sw != null) {
            currentPrompt = sw.index;
            sw.appliedAtFrame = videoDone;
            ObjectNode ev = Protocol.event("switch_applied");
            ev.put("index", sw.index);
            ev.put("frame", videoDone);
            ev.put("latent_frame", start);
            ev.put("server_ms", (System.nanoTime() - sw.requestedNanos) / 1e6);
            out.sendText(ev.toString());
        }
        int n = gen.framesPerBlock(), fs = gen.frameSize();
        int width = dec.outWidth(), height = dec.outHeight();
        for (int f = 0; f < n && latentDone < maxLatent; f++) {
            int k = dec.decodeNext(block, f * fs, pixels, 0);
            for (int i = 0; i < k; i++) {
                Frame fr = VideoPipeline.toFrame(pixels, i * dec.frameSize(), width, height);
                mp4.write(fr);
                ByteBuffer msg = jpeg.encode(fr, number, videoDone, currentPrompt, latentDone);
                videoDone++;
                if (out.isOpen()) {
                    queued.incrementAndGet();
                    out.sendFrame(msg, () -> {
                        queued.decrementAndGet();
                        sent.incrementAndGet();
                        drained.run();
                    });
                }
            }
            latentDone++;
        }
        if (latentDone >= maxLatent) finished = true;
        lastBlockMs = (System.nanoTime() - t0) / 1e6;
        long now = System.nanoTime();
        if (now - statsAt >= cfg.statsMillis() * 1_000_000L || finished) {
            lastFps = (videoDone - statsFrames) / Math.max(1e-9, (now - statsAt) * 1e-9);
            statsAt = now;
            statsFrames = videoDone;
            out.sendText(stats(liveSessions).toString());
        }
    }

    /** The user's pending switch, else a script switch due at latent frame {@code start}. */
    private synchronized Entry takeSwitch(int start) {
        Entry script = null;
        while (nextScripted < scriptSwitches.length && scriptSwitches[nextScripted] <= start) {
            String p = scriptPrompts.get(++nextScripted);
            if (pending == null) script = requestSwitch(p, "script");
        }
        Entry e = pending != null ? pending : script;
        pending = null;
        return e;
    }

    ObjectNode stats(int liveSessions) {
        ObjectNode s = Protocol.event("stats");
        s.put("fps", Math.round(lastFps * 100) / 100.0);
        s.put("frames", videoDone);
        s.put("latent_frames", latentDone);
        s.put("sent", sent.get());
        s.put("queued", queued.get());
        s.put("block_ms", Math.round(lastBlockMs * 10) / 10.0);
        s.put("prompt", currentPrompt);
        s.put("sessions", liveSessions);
        return s;
    }

    boolean finished() {
        return finished;
    }

    String finishReason() {
        return finishReason;
    }

    /**
     * Frees the generator, caches, decoder and buffers and finishes the MP4; sends {@code stopped} if the connection
     * is still open. Called by the manager once no block of this session is running.
     */
    void release(String reason) {
        if (released) return;
        released = true;
        gen = null;
        dec = null;
        block = null;
        pixels = null;
        if (jpeg != null) jpeg.close();
        jpeg = null;
        Mp4Writer w = mp4;
        if (w != null) {
            try {
                w.close();
            } catch (IOException e) {
                out.sendText(Protocol.error("mp4", "could not finish the MP4: " + e.getMessage()));
            }
        }
        if (out.isOpen()) {
            ObjectNode ev = Protocol.event("stopped");
            ev.put("session", id);
            ev.put("reason", reason);
            ev.put("frames", videoDone);
            ev.put("latent_frames", latentDone);
            ev.put("download", downloadPath());
            out.sendText(ev.toString());
        }
    }

    void sendError(String code, String message) {
        if (out.isOpen()) out.sendText(Protocol.error(code, message));
    }

    boolean released() {
        return released;
    }

    /** The generator while the session lives; cleared by GC once released (tests check that memory is freed). */
    WeakReference<StreamingGenerator> generatorRef() {
        return genRef;
    }

    int videoFrames() {
        return videoDone;
    }

    int queuedFrames() {
        return queued.get();
    }

    String downloadPath() {
        return "/api/sessions/" + id + "/video.mp4";
    }

    /**
     * The MP4 made so far: the bytes of every complete fragment (all frames once the session ended), or null when
     * nothing is complete yet. Read under the writer's lock so a fragment is never half there.
     */
    byte[] mp4SoFar() throws IOException {
        Mp4Writer w = mp4;
        if (w == null || !Files.exists(mp4Path)) return null;
        synchronized (w) {
            if (!released && videoDone < MP4_FRAGMENT_FRAMES) return null;
            return Files.readAllBytes(mp4Path);
        }
    }

    Path mp4Path() {
        return mp4Path;
    }

    /** The timeline as JSON (for the {@code started} and {@code info} answers). */
    synchronized ArrayNode timelineJson() {
        ArrayNode a = Protocol.JSON.createArrayNode();
        for (Entry e : timeline) {
            ObjectNode o = a.addObject();
            o.put("index", e.index);
            o.put("prompt", e.prompt);
            o.put("source", e.source);
            o.put("requested_frame", e.requestedAtFrame);
            o.put("applied_frame", e.appliedAtFrame);
            o.put("superseded", e.superseded);
        }
        return a;
    }

    int maxLatentFrames() {
        return maxLatent;
    }
}
