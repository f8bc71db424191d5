package longlive.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.awt.image.BufferedImage;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import longlive.video.Frame;
import longlive.video.VideoFiles;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The server over a real WebSocket: sessions, switches, pause, download, limits and bad input. */
class ServeServerTest {
    static ServeServer server;

    @BeforeAll
    static void up() throws Exception {
        server = TinyServer.start(2, false);
    }

    @BeforeEach
    void noSessionLeftFromAnotherTest() throws InterruptedException {
        waitFor(() -> server.liveSessions() == 0, "sessions of the previous test ended");
    }

    @AfterAll
    static void down() {
        if (server != null) server.close();
    }

    @Test
    void startStreamsFramesThatChangeAndSwitchAppliesAtAFrame() throws Exception {
        try (TestClient c = new TestClient(server.port())) {
            JsonNode hello = c.await("hello");
            assertEquals(64, hello.path("width").asInt());
            c.send("{\"type\":\"start\",\"prompt\":\"a red circle\",\"seed\":7}");
            JsonNode started = c.await("started");
            assertEquals(7, started.path("seed").asLong());
            c.awaitFrames(20);
            List<TestClient.ReceivedFrame> fs = c.frames;
            for (int i = 0; i < 20; i++) {
                assertEquals(i, fs.get(i).header().frame(), "frames arrive in order, numbered from 0");
                assertEquals(0, fs.get(i).header().prompt());
                assertEquals(started.path("number").asInt(), fs.get(i).header().session());
            }
            BufferedImage a = fs.get(2).image(), b = fs.get(15).image();
            assertEquals(64, a.getWidth());
            assertTrue(meanDiff(a, b) > 1, "the video changes over time");

            int before = c.frames.size();
            c.send("{\"type\":\"switch\",\"prompt\":\"a blue square\"}");
            JsonNode req = c.await("switch_requested");
            assertEquals(1, req.path("index").asInt());
            JsonNode applied = c.await("switch_applied");
            int at = applied.path("frame").asInt();
            assertTrue(at >= before - 1, "applied at a later frame " + at + " (requested at ~" + before + ")");
            c.awaitFrames(at + 5);
            for (TestClient.ReceivedFrame f : c.frames)
                assertEquals(f.header().frame() < at ? 0 : 1, f.header().prompt(), "frame " + f.header().frame());
        }
    }

    @Test
    void badInputGetsAClearErrorAndChangesNothing() throws Exception {
        try (TestClient c = new TestClient(server.port())) {
            c.await("hello");
            c.send("{\"type\":\"switch\",\"prompt\":\"too early\"}");
            assertEquals("no_session", c.await("error").path("code").asText());
            c.send("{not json");
            c.await("error", e -> e.path("code").asText().equals("bad_json"));
            c.send("{\"type\":\"dance\"}");
            c.await("error", e -> e.path("code").asText().equals("unknown_type"));
            c.send("{\"type\":\"start\",\"prompt\":\"   \"}");
            c.await("error", e -> e.path("code").asText().equals("empty_prompt"));
            c.send("{\"type\":\"start\",\"prompt\":\"ok\",\"seed\":\"abc\"}");
            c.await("error", e -> e.path("code").asText().equals("bad_field"));
            assertEquals(0, server.liveSessions(), "no bad message started a session");

            c.send("{\"type\":\"start\",\"prompt\":\"a circle\"}");
            c.await("started");
            c.awaitFrames(5);
            c.send("{\"type\":\"start\",\"prompt\":\"again\"}");
            c.await("error", e -> e.path("code").asText().equals("already_started"));
            c.send("{\"type\":\"switch\",\"prompt\":\"\"}");
            c.await("error", e -> e.path("code").asText().equals("empty_prompt"));
            c.send("{\"type\":\"switch\",\"prompt\":\"" + "x".repeat(20_000) + "\"}");
            JsonNode big = c.await("error", e -> e.path("code").asText().equals("message_too_large"));
            assertTrue(big.path("message").asText().contains("16384"), big.toString());
            c.send("{\"type\":\"switch\",\"prompt\":\"" + "a long prompt about a red circle ".repeat(10) + "\"}");
            JsonNode w = c.await("warning");
            assertEquals("prompt_truncated", w.path("code").asText());
            assertTrue(w.path("tokens").asInt() > w.path("kept").asInt());
            assertEquals(1, c.await("switch_applied").path("index").asInt(), "the truncated prompt still switches");
            int n = c.frames.size();
            c.awaitFrames(n + 10);   // and the stream went on through all of it
            assertEquals(1, server.liveSessions());
        }
    }

    @Test
    void hugeMessageClosesTheConnectionWithMessageTooBig() throws Exception {
        try (TestClient c = new TestClient(server.port())) {
            c.await("hello");
            c.ws.sendText("{\"type\":\"switch\",\"prompt\":\"" + "y".repeat(ServeConfig.TRANSPORT_MAX_MESSAGE_BYTES) + "\"}",
                    true);
            long end = System.nanoTime() + 10_000_000_000L;
            while (c.closeStatus < 0 && System.nanoTime() < end) Thread.sleep(10);
            assertEquals(1009, c.closeStatus, "closed as 'message too big'");
        }
        try (TestClient c = new TestClient(server.port())) {   // the server is fine
            c.await("hello");
        }
    }

    @Test
    void busyPastTheLimitAndDisconnectFreesTheSessionAtOnce() throws Exception {
        TestClient a = new TestClient(server.port());
        TestClient b = new TestClient(server.port());
        try (TestClient c = new TestClient(server.port())) {
            a.send("{\"type\":\"start\",\"prompt\":\"one\"}");
            b.send("{\"type\":\"start\",\"prompt\":\"two\"}");
            a.await("started");
            b.await("started");
            a.awaitFrames(3);
            c.send("{\"type\":\"start\",\"prompt\":\"three\"}");
            JsonNode busy = c.await("error");
            assertEquals("busy", busy.path("code").asText());
            assertTrue(busy.path("message").asText().contains("try again later"), busy.toString());
            assertEquals(2, server.liveSessions());

            LiveSession sa = server.sessions().find(a.await("started").path("session").asText());
            var gen = sa.generatorRef();
            assertNotNull(gen.get());
            a.close();   // disconnect
            waitFor(() -> server.liveSessions() == 1, "the session count drops");
            assertTrue(sa.released());
            for (int i = 0; i < 50 && gen.get() != null; i++) {
                System.gc();
                Thread.sleep(20);
            }
            assertEquals(null, gen.get(), "the generator (cache, buffers) was freed");

            c.send("{\"type\":\"start\",\"prompt\":\"three\"}");   // room again
            c.await("started");
            c.awaitFrames(3);
            c.send("{\"type\":\"stop\"}");
            JsonNode stopped = c.await("stopped");
            assertEquals("stop", stopped.path("reason").asText());
            waitFor(() -> server.liveSessions() == 1, "stop frees too");
        } finally {
            b.close();
        }
        waitFor(() -> server.liveSessions() == 0, "all gone");
        assertTrue(server.sessions().schedulerAlive());
    }

    @Test
    void pauseStopsFramesAndResumeGoesOn() throws Exception {
        try (TestClient c = new TestClient(server.port())) {
            c.send("{\"type\":\"start\",\"prompt\":\"pause me\"}");
            c.awaitFrames(5);
            c.send("{\"type\":\"pause\"}");
            c.await("paused");
            // the block in flight may still land; then nothing (unpaced, a running session makes ~30+ frames/s)
            int n = c.frames.size();
            long quietSince = System.nanoTime(), end = quietSince + 10_000_000_000L;
            while (System.nanoTime() - quietSince < 400_000_000L && System.nanoTime() < end) {
                Thread.sleep(10);
                if (c.frames.size() != n) {
                    n = c.frames.size();
                    quietSince = System.nanoTime();
                }
            }
            assertTrue(System.nanoTime() < end, "frames stopped after the pause");
            Thread.sleep(300);
            assertEquals(n, c.frames.size(), "no frames while paused");
            c.send("{\"type\":\"resume\"}");
            c.await("resumed");
            c.awaitFrames(n + 10);
        }
    }

    @Test
    void downloadMidStreamIsAPlayableMp4OfTheFramesSoFar(@TempDir Path tmp) throws Exception {
        try (TestClient c = new TestClient(server.port())) {
            c.send("{\"type\":\"start\",\"prompt\":\"download me\",\"seed\":3}");
            String url = c.await("started").path("download").asText();
            c.awaitFrames(40);
            c.send("{\"type\":\"pause\"}");
            c.await("paused");
            HttpResponse<byte[]> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + server.port() + url)).build(), HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(200, r.statusCode());
            assertEquals("video/mp4", r.headers().firstValue("content-type").orElse(""));
            Path f = tmp.resolve("so-far.mp4");
            Files.write(f, r.body());
            List<Frame> video = new java.util.ArrayList<>();
            try (var src = VideoFiles.open(f)) {
                for (Frame fr = src.read(); fr != null; fr = src.read()) video.add(fr);
            }
            int made = c.frames.size();
            assertTrue(video.size() >= 8 && video.size() <= made && video.size() % LiveSession.MP4_FRAGMENT_FRAMES == 0,
                    video.size() + " frames in the file, " + made + " made");
            BufferedImage sent = c.frames.get(video.size() - 1).image();
            assertTrue(meanDiff(sent, video.getLast()) < 12, "the file holds the frames that were streamed");
        }
        HttpResponse<String> missing = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + server.port() + "/api/sessions/nope/video.mp4")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(404, missing.statusCode());
    }

    @Test
    void scriptSwitchesByItselfAndTheSessionEndsAtItsLength() throws Exception {
        try (TestClient c = new TestClient(server.port())) {
            c.send("{\"type\":\"start\",\"seconds\":2,\"script\":{\"prompts\":[\"first\",\"second\"],"
                    + "\"switch_frames\":[6]}}");
            c.await("started");
            JsonNode req = c.await("switch_requested");
            assertEquals("script", req.path("source").asText());
            assertEquals("second", req.path("prompt").asText());
            JsonNode applied = c.await("switch_applied");
            assertEquals(6, applied.path("latent_frame").asInt());
            assertEquals(1 + 4 * 5, applied.path("frame").asInt(), "latent frame 6 starts at video frame 21");
            JsonNode stopped = c.await("stopped");
            assertEquals("done", stopped.path("reason").asText());
            assertEquals(33, stopped.path("frames").asInt(), "2 s at 16 fps = 9 latent frames = 33 video frames");
            assertEquals(33, c.frames.size());
            waitFor(() -> server.liveSessions() == 0, "a finished session is freed");
            c.send("{\"type\":\"switch\",\"prompt\":\"after the end\"}");
            c.await("error", e -> e.path("code").asText().equals("no_session"));
        }
    }

    @Test
    void benchHarnessMeasuresFirstFrameFramesPerSecondAndSwitchLatency() throws Exception {
        ServeBenchCommand.Result r = ServeBenchCommand.run(URI.create("ws://127.0.0.1:" + server.port() + "/ws"), 2,
                2.0, 0.5, 0.6);
        assertEquals(2, r.sessions());
        assertTrue(r.firstFrameMs() > 0 && r.firstFrameMs() < 30_000, r.toString());
        assertTrue(r.fpsPerSession() > 0 && r.minFpsPerSession() <= r.fpsPerSession(), r.toString());
        assertEquals(r.fpsPerSession() * 2, r.totalFps(), 1e-9);
        assertTrue(r.switches() >= 2 && r.switchMedianMs() > 0 && r.switchMaxMs() >= r.switchMedianMs(), r.toString());
        waitFor(() -> server.liveSessions() == 0, "the bench's sessions end with its connections");
    }

    static void waitFor(java.util.function.BooleanSupplier ok, String what) throws InterruptedException {
        long end = System.nanoTime() + 30_000_000_000L;
        while (!ok.getAsBoolean() && System.nanoTime() < end) Thread.sleep(5);
        assertTrue(ok.getAsBoolean(), what);
    }

    static double meanDiff(BufferedImage a, BufferedImage b) {
        long s = 0;
        for (int y = 0; y < a.getHeight(); y++)
            for (int x = 0; x < a.getWidth(); x++) {
                int p = a.getRGB(x, y), q = b.getRGB(x, y);
                for (int sh = 0; sh < 24; sh += 8) s += Math.abs((p >> sh & 255) - (q >> sh & 255));
            }
        return (double) s / (3.0 * a.getWidth() * a.getHeight());
    }

    static double meanDiff(BufferedImage a, Frame f) {
        long s = 0;
        for (int y = 0; y < a.getHeight(); y++)
            for (int x = 0; x < a.getWidth(); x++) {
                int p = a.getRGB(x, y), q = f.rgbAt(x, y);
                for (int sh = 0; sh < 24; sh += 8) s += Math.abs((p >> sh & 255) - (q >> sh & 255));
            }
        return (double) s / (3.0 * a.getWidth() * a.getHeight());
    }
}
