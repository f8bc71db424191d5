package longlive.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import longlive.kernel.Parallel;
import longlive.pipeline.ModelDirectory;
import longlive.pipeline.PromptScript;
import longlive.pipeline.VideoPipeline;
import longlive.stream.InferenceConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The scheduler without a network: slow-client pacing, fair sharing, pause, the session limit. */
class SessionManagerTest {

    /** An outlet that holds every frame until told to let it go (a client that stopped reading). */
    static final class FakeOutlet implements LiveSession.Outlet {
        final List<Runnable> inFlight = new CopyOnWriteArrayList<>();
        final List<String> texts = new CopyOnWriteArrayList<>();
        volatile boolean stalled;
        volatile int frames;

        @Override
        public void sendText(String json) {
            texts.add(json);
        }

        @Override
        public void sendFrame(ByteBuffer message, Runnable done) {
            frames++;
            if (stalled) inFlight.add(done);
            else done.run();
        }

        void drain() {
            stalled = false;
            for (Runnable r : List.copyOf(inFlight)) {
                inFlight.remove(r);
                r.run();
            }
        }

        @Override
        public boolean isOpen() {
            return true;
        }
    }

    private static SessionManager manager(Path dir, int maxSessions, int maxQueued) throws Exception {
        return new SessionManager(TinyServer.pipeline(), ServeConfig.defaults().withPort(0).withMaxSessions(maxSessions)
                .withRealtime(false).withMaxQueuedFrames(maxQueued), dir);
    }

    private static Protocol.Start start(String prompt) {
        return new Protocol.Start(prompt, 1L, null, null);
    }

    /** The session's frame count once it has not moved for 400 ms. */
    private static int settle(LiveSession s) throws InterruptedException {
        int n = s.videoFrames();
        for (int i = 0; i < 40; i++) {
            Thread.sleep(10);
            if (s.videoFrames() != n) {
                n = s.videoFrames();
                i = 0;
            }
        }
        return n;
    }

    @Test
    void aSlowClientPausesItsGeneratorInsteadOfBufferingWithoutBound(@TempDir Path dir) throws Exception {
        try (SessionManager m = manager(dir, 2, 16)) {
            FakeOutlet slow = new FakeOutlet();
            slow.stalled = true;
            LiveSession s = m.start(start("slow"), slow);
            s.ready();
            ServeServerTest.waitFor(() -> s.videoFrames() > 16, "frames are made");
            int settled = settle(s);   // it stops on its own and stays stopped
            assertEquals(settled, s.queuedFrames(), "every frame made is waiting for the client");
            assertTrue(settled <= 16 + 12, "queue bounded by the limit plus one block (12 frames), got " + settled);
            int held = settled;
            slow.drain();
            ServeServerTest.waitFor(() -> s.videoFrames() > held + 24, "generation goes on once the client reads");
            assertTrue(s.queuedFrames() <= 16 + 12);
        }
    }

    @Test
    void busySessionsShareTheMachineFairlyAndAPausedOneCostsNothing(@TempDir Path dir) throws Exception {
        try (SessionManager m = manager(dir, 3, 16)) {
            FakeOutlet a = new FakeOutlet(), b = new FakeOutlet(), c = new FakeOutlet();
            LiveSession sa = m.start(start("a"), a), sb = m.start(start("b"), b), sc = m.start(start("c"), c);
            for (LiveSession s : List.of(sa, sb, sc)) s.ready();
            m.signal();
            ServeServerTest.waitFor(() -> sc.videoFrames() > 0, "c runs");
            sc.pause();
            int cPaused = settle(sc);   // its block in flight, if any, finishes
            int aFrom = sa.videoFrames();
            ServeServerTest.waitFor(() -> sa.videoFrames() > aFrom + 200, "a made 200 more frames");
            int fa = sa.videoFrames(), fb = sb.videoFrames();
            assertTrue(Math.abs(fa - fb) <= 24, "round robin: a " + fa + " and b " + fb + " differ by at most two blocks");
            assertEquals(cPaused, sc.videoFrames(), "the paused session made nothing");
            sc.resume();
            m.signal();
            ServeServerTest.waitFor(() -> sc.videoFrames() > cPaused, "resumed");
            assertThrows(SessionManager.BusyException.class, () -> m.start(start("d"), new FakeOutlet()));
            m.end(sa, "stop");
            assertEquals(2, m.liveCount());
            assertTrue(a.texts.getLast().contains("\"stopped\""), a.texts.getLast());
            m.start(start("d"), new FakeOutlet());   // room again
        }
    }

    @Test
    void aGlobalAttentionSessionRunsToItsEndWhenItsFramesAreNotWholeBlocks(@TempDir Path dir) throws Exception {
        // global attention: the generator's cache holds the whole session, so its limit is the session's frames
        ModelDirectory md = TinyServer.pipeline().model();
        InferenceConfig i = md.inference();
        ModelDirectory global = md.withInference(i.withWindow(-1, i.sinkSize()));
        try (Parallel par = new Parallel(2);
             SessionManager m = new SessionManager(new VideoPipeline(global, par), ServeConfig.defaults().withPort(0)
                     .withMaxSessions(1).withRealtime(false), dir)) {
            FakeOutlet out = new FakeOutlet();
            LiveSession s = m.start(new Protocol.Start("a red circle", 1L, 1.0, null), out);
            assertNotEquals(0, s.maxLatentFrames() % i.numFramePerBlock(), "the case under test: a partial last block");
            s.ready();
            m.signal();
            ServeServerTest.waitFor(s::finished, "the session ends");
            assertEquals("done", s.finishReason(), out.texts.toString());
            assertEquals(PromptScript.videoFrames(s.maxLatentFrames()), s.videoFrames());
        }
    }
}
