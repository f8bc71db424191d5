package longlive.serve;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import javax.imageio.ImageIO;

/** A WebSocket client for the tests: keeps every event and frame, and waits for them. */
final class TestClient implements WebSocket.Listener, AutoCloseable {
    record ReceivedFrame(Protocol.FrameHeader header, byte[] jpeg, long nanos) {
        java.awt.image.BufferedImage image() throws java.io.IOException {
            return ImageIO.read(new ByteArrayInputStream(jpeg));
        }
    }

    final List<JsonNode> events = new CopyOnWriteArrayList<>();
    final List<ReceivedFrame> frames = new CopyOnWriteArrayList<>();
    volatile int closeStatus = -1;
    volatile String closeReason;
    final WebSocket ws;
    private StringBuilder text = new StringBuilder();
    private ByteBuffer binary = ByteBuffer.allocate(1 << 16);

    TestClient(int port) throws Exception {
        ws = HttpClient.newHttpClient().newWebSocketBuilder()
                .buildAsync(URI.create("ws://127.0.0.1:" + port + "/ws"), this).get(10, TimeUnit.SECONDS);
    }

    void send(String json) {
        ws.sendText(json, true).join();
    }

    @Override
    public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
        text.append(data);
        if (last) {
            try {
                events.add(Protocol.JSON.readTree(text.toString()));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            text = new StringBuilder();
        }
        w.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onBinary(WebSocket w, ByteBuffer data, boolean last) {
        if (binary.remaining() < data.remaining())
            binary = ByteBuffer.allocate(2 * (binary.position() + data.remaining())).put(binary.flip());
        binary.put(data);
        if (last) {
            binary.flip();
            Protocol.FrameHeader h = Protocol.FrameHeader.read(binary);
            byte[] jpeg = new byte[binary.remaining()];
            binary.get(jpeg);
            frames.add(new ReceivedFrame(h, jpeg, System.nanoTime()));
            binary.clear();
        }
        w.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket w, int status, String reason) {
        closeStatus = status;
        closeReason = reason;
        return CompletableFuture.completedFuture(null);
    }

    /** The first event of {@code type} matching {@code p}, waiting up to 30 s (the test machines are loaded). */
    JsonNode await(String type, Predicate<JsonNode> p) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < end) {
            for (JsonNode e : events) if (e.path("type").asText().equals(type) && p.test(e)) return e;
            Thread.sleep(5);
        }
        throw new AssertionError("no '" + type + "' event in 30 s; got " + events);
    }

    JsonNode await(String type) throws InterruptedException {
        return await(type, e -> true);
    }

    /** Waits until at least {@code n} frames arrived. */
    void awaitFrames(int n) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (frames.size() < n && System.nanoTime() < end) Thread.sleep(5);
        if (frames.size() < n) throw new AssertionError("only " + frames.size() + " of " + n + " frames in 30 s; events "
                + events);
    }

    List<JsonNode> events(String type) {
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode e : events) if (e.path("type").asText().equals(type)) out.add(e);
        return out;
    }

    @Override
    public void close() {
        try {
            ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            ws.abort();
        }
    }
}
