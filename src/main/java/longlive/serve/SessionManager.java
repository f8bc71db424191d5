package longlive.serve;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import longlive.pipeline.VideoPipeline;

/**
 * The live sessions and the one thread that runs them: a round-robin block scheduler.
 *
 * <p>Why one thread: every block already uses all cores through the kernels' worker pool, so running two
 * sessions' blocks at once would only make them fight over the same cores (and the shared weights' kernels are
 * written for one caller at a time). Instead the scheduler gives the machine to one session for one block, then to
 * the next runnable session in turn; a session is runnable when it is not paused, not ahead of real time, and its
 * connection has drained. So N busy sessions each get 1/N of the machine, block by block, and a paused or slow
 * session costs the others nothing.
 *
 * <p>Ending a session (stop, disconnect, length reached) releases its generator, caches and buffers at once when it
 * is not running, else right after its current block.
 */
final class SessionManager implements AutoCloseable {
    /** Thrown when a start would exceed the session limit. */
    static final class BusyException extends Exception {
        BusyException(String message) {
            super(message);
        }
    }

    private final VideoPipeline pipe;
    private final ServeConfig cfg;
    private final Path workDir;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition wake = lock.newCondition();
    private final List<LiveSession> live = new ArrayList<>();                     // guarded by lock
    private final Map<String, LiveSession> byId = new LinkedHashMap<>();          // live + recently ended, by lock
    private final Map<LiveSession, String> endRequests = new LinkedHashMap<>();   // guarded by lock
    private final SecureRandom ids = new SecureRandom();
    private final Thread worker;
    private LiveSession running;     // guarded by lock
    private int cursor;              // guarded by lock
    private int numbers;             // guarded by lock
    private volatile boolean shutdown;

    SessionManager(VideoPipeline pipe, ServeConfig cfg, Path workDir) {
        this.pipe = pipe;
        this.cfg = cfg;
        this.workDir = workDir;
        this.worker = Thread.ofPlatform().name("serve-scheduler").daemon().unstarted(this::loop);
        worker.start();
    }

    /** Starts a session for {@code out}, or refuses with a busy error past the limit. */
    LiveSession start(Protocol.Start request, LiveSession.Outlet out) throws BusyException {
        lock.lock();
        try {
            if (shutdown) throw new BusyException("the server is shutting down");
            if (live.size() >= cfg.maxSessions())
                throw new BusyException("busy: all " + cfg.maxSessions() + " sessions are in use, try again later");
            String id = HexFormat.of().formatHex(randomBytes());
            long seed = request.seed() != null ? request.seed() : ThreadLocalRandom.current().nextLong(1L << 31);
            LiveSession s = new LiveSession(++numbers, id, pipe, cfg, request, seed, out,
                    workDir.resolve("session-" + id + ".mp4"), this::signal);
            live.add(s);
            byId.put(id, s);
            wake.signalAll();
            return s;
        } finally {
            lock.unlock();
        }
    }

    private byte[] randomBytes() {
        byte[] b = new byte[12];
        ids.nextBytes(b);
        return b;
    }

    /** Ends {@code s} (any thread): released now if idle, else as soon as its running block returns. */
    void end(LiveSession s, String reason) {
        lock.lock();
        try {
            if (!live.contains(s)) return;
            if (running == s) endRequests.put(s, reason);
            else retire(s, reason);
        } finally {
            lock.unlock();
        }
    }

    /** Removes and releases {@code s}; keeps it (now small) for downloads; deletes the oldest ended MP4s. */
    private void retire(LiveSession s, String reason) {
        live.remove(s);
        s.release(reason);
        int ended = 0;
        for (LiveSession t : byId.values()) if (t.released()) ended++;
        for (Iterator<LiveSession> it = byId.values().iterator(); it.hasNext() && ended > cfg.keepEnded(); ) {
            LiveSession t = it.next();
            if (!t.released()) continue;
            it.remove();
            ended--;
            try {
                Files.deleteIfExists(t.mp4Path());
            } catch (IOException ignored) {
                // a leftover temp file; the work folder is removed at shutdown
            }
        }
        wake.signalAll();
    }

    /** Wakes the scheduler (a frame drained, a session resumed). */
    void signal() {
        lock.lock();   // never held across a block, so this is brief
        try {
            wake.signalAll();
        } finally {
            lock.unlock();
        }
    }

    int liveCount() {
        lock.lock();
        try {
            return live.size();
        } finally {
            lock.unlock();
        }
    }

    LiveSession find(String id) {
        lock.lock();
        try {
            return byId.get(id);
        } finally {
            lock.unlock();
        }
    }

    /** Whether the scheduler thread is alive (tests). */
    boolean schedulerAlive() {
        return worker.isAlive();
    }

    private void loop() {
        while (!shutdown) {
            LiveSession s;
            int sessions;
            lock.lock();
            try {
                s = pick(System.nanoTime());
                if (s == null) {
                    long wait = TimeUnit.MILLISECONDS.toNanos(20);
                    long now = System.nanoTime();
                    for (LiveSession t : live)
                        if (!t.paused() && t.dueNanos() > now) wait = Math.min(wait, t.dueNanos() - now);
                    wake.awaitNanos(Math.max(wait, 100_000));
                    continue;
                }
                running = s;
                sessions = live.size();
            } catch (InterruptedException e) {
                return;
            } finally {
                lock.unlock();
            }
            String failure = null;
            try {
                s.step(sessions);
            } catch (Throwable t) {
                failure = t.getClass().getSimpleName() + ": " + t.getMessage();
            }
            lock.lock();
            try {
                running = null;
                if (failure != null) {
                    endRequests.remove(s);
                    reportError(s, failure);
                    retire(s, "error");
                } else if (endRequests.containsKey(s)) {
                    retire(s, endRequests.remove(s));
                } else if (s.finished()) {
                    retire(s, s.finishReason());
                }
            } finally {
                lock.unlock();
            }
        }
    }

    private static void reportError(LiveSession s, String failure) {
        System.err.println("serve: session " + s.id + " failed: " + failure);
        s.sendError("internal", "generation failed: " + failure);
    }

    /** The next runnable session after the cursor, round robin. */
    private LiveSession pick(long now) {
        int n = live.size();
        for (int i = 1; i <= n; i++) {
            int k = (cursor + i) % n;
            LiveSession s = live.get(k);
            if (s.runnable(now)) {
                cursor = k;
                return s;
            }
        }
        return null;
    }

    @Override
    public void close() {
        shutdown = true;
        lock.lock();
        try {
            wake.signalAll();
        } finally {
            lock.unlock();
        }
        try {
            worker.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        lock.lock();
        try {
            for (LiveSession s : List.copyOf(live)) retire(s, "shutdown");
        } finally {
            lock.unlock();
        }
    }
}
