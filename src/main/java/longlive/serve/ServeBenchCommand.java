package longlive.serve;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code longlive serve bench}: measures a running {@code serve} from the client side, over its WebSocket API:
 * time to first frame (start sent to first frame received), steady frames/s per session with 1, 2, 4... sessions
 * at once, and switch latency (switch sent to the first frame received that was generated under the new prompt,
 * recache included). Run the server with {@code --no-realtime} to measure capacity rather than the 16 fps pace.
 * Against a paced server, "received" means "shown": frames are timed as the page plays them, one every 1/fps s.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Measure a running serve: time to first frame, frames/s per session, switch latency.")
public final class ServeBenchCommand implements java.util.concurrent.Callable<Integer> {

    @Option(names = "--url", defaultValue = "ws://127.0.0.1:8080/ws", description = "the server's WebSocket URL")
    String url;

    @Option(names = "--sessions", defaultValue = "1,2,4", split = ",", description = "session counts to measure")
    int[] counts;

    @Option(names = "--seconds", defaultValue = "10", description = "measuring time per session count")
    double seconds;

    @Option(names = "--warmup", defaultValue = "2", description = "seconds after the first frame not counted in frames/s")
    double warmup;

    @Option(names = "--switch-every", defaultValue = "2", description = "seconds between prompt switches per session")
    double switchEvery;

    /** What one run with N sessions measured. */
    public record Result(int sessions, double firstFrameMs, double fpsPerSession, double minFpsPerSession,
                         double totalFps, double switchMedianMs, double switchMaxMs, int switches) {}

    @Override
    public Integer call() throws Exception {
        System.out.printf("serve bench: %s, %.0f s per count, switch every %.1f s%n", url, seconds, switchEvery);
        System.out.println("sessions | first frame ms | frames/s per session (min) | total frames/s | switch latency ms median (max, n)");
        for (int n : counts) {
            Result r = run(URI.create(url), n, seconds, warmup, switchEvery);
            System.out.printf("%8d | %14.0f | %15.2f (%5.2f) | %14.2f | %6.0f (%.0f, %d)%n", r.sessions(), r.firstFrameMs(),
                    r.fpsPerSession(), r.minFpsPerSession(), r.totalFps(), r.switchMedianMs(), r.switchMaxMs(),
                    r.switches());
        }
        return 0;
    }

    /** Runs {@code n} sessions at once for {@code seconds} and measures them. */
    public static Result run(URI uri, int n, double seconds, double warmup, double switchEvery) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        awaitIdle(http, uri);
        List<Client> clients = new ArrayList<>();
        try {
            for (int i = 0; i < n; i++) {
                Client c = new Client();
                c.ws = http.newWebSocketBuilder().buildAsync(uri, c).get(10, TimeUnit.SECONDS);
                clients.add(c);
            }
            for (int i = 0; i < n; i++) clients.get(i).start("a red circle drifts right over a navy background", 100 + i);
            long t0 = System.nanoTime(), end = t0 + (long) (seconds * 1e9);
            long nextSwitch = t0 + (long) (Math.max(switchEvery, warmup) * 1e9);
            int k = 0;
            while (System.nanoTime() < end) {
                for (Client c : clients) if (c.error != null) throw new IllegalStateException("server: " + c.error);
                if (System.nanoTime() >= nextSwitch) {
                    for (Client c : clients) c.switchPrompt(k % 2 == 0 ? "a blue square slides left on a sand background"
                            : "a green triangle spins over white");
                    k++;
                    nextSwitch += (long) (switchEvery * 1e9);
                }
                Thread.sleep(5);
            }
            double ttff = 0, minFps = Double.MAX_VALUE, sumFps = 0;
            List<Double> lat = new ArrayList<>();
            for (Client c : clients) {
                if (c.firstFrame == 0) throw new IllegalStateException("a session received no frame in " + seconds + " s");
                ttff += (c.firstFrame - c.startSent) / 1e6;
                long from = c.firstFrame + (long) (warmup * 1e9);
                double fps = c.framesBetween(from, end) / Math.max(1e-9, (end - from) / 1e9);
                minFps = Math.min(minFps, fps);
                sumFps += fps;
                lat.addAll(c.latencies);
            }
            double[] l = lat.stream().mapToDouble(Double::doubleValue).sorted().toArray();
            return new Result(n, ttff / n, sumFps / n, minFps, sumFps, l.length == 0 ? Double.NaN : l[l.length / 2],
                    l.length == 0 ? Double.NaN : l[l.length - 1], l.length);
        } finally {
            for (Client c : clients) {
                try {
                    c.ws.sendClose(WebSocket.NORMAL_CLOSURE, "bench done").get(5, TimeUnit.SECONDS);
                } catch (Exception ignored) {
                    c.ws.abort();
                }
            }
        }
    }

    /** Waits (up to 10 s) until the server runs no session: the previous count's may still be closing. */
    static void awaitIdle(HttpClient http, URI ws) throws Exception {
        URI info = new URI(ws.getScheme().equals("wss") ? "https" : "http", null, ws.getHost(), ws.getPort(),
                "/api/info", null, null);
        long end = System.nanoTime() + 10_000_000_000L;
        while (System.nanoTime() < end) {
            String body = http.send(java.net.http.HttpRequest.newBuilder(info).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString()).body();
            if (Protocol.JSON.readTree(body).path("sessions").asInt() == 0) return;
            Thread.sleep(20);
        }
        throw new IllegalStateException("the server still runs sessions of someone else after 10 s: " + info);
    }

    /** One bench connection: records when frames arrive and which prompt they were made under. */
    static final class Client implements WebSocket.Listener {
        WebSocket ws;
        volatile long startSent, firstFrame;
        /** The page's player: a paced server's frames are shown at its fps (see app.js), else as they arrive. */
        volatile boolean paced;
        volatile double fps = 16;
        private long lastShown;
        volatile String error;
        final ConcurrentLinkedQueue<long[]> frames = new ConcurrentLinkedQueue<>();   // {nanos, prompt}
        final List<Double> latencies = java.util.Collections.synchronizedList(new ArrayList<>());
        private final ConcurrentLinkedQueue<Long> switchSent = new ConcurrentLinkedQueue<>();
        private final Map<Integer, Long> waiting = new ConcurrentHashMap<>();   // prompt index -> switch sent nanos
        private StringBuilder text = new StringBuilder();
        private ByteBuffer binary = ByteBuffer.allocate(1 << 16);

        void start(String prompt, long seed) {
            startSent = System.nanoTime();
            ws.sendText("{\"type\":\"start\",\"prompt\":\"" + prompt + "\",\"seed\":" + seed + "}", true).join();
        }

        void switchPrompt(String prompt) {
            switchSent.add(System.nanoTime());
            ws.sendText("{\"type\":\"switch\",\"prompt\":\"" + prompt + "\"}", true).join();
        }

        long framesBetween(long from, long to) {
            return frames.stream().filter(f -> f[0] >= from && f[0] < to).count();
        }

        @Override
        public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
            text.append(data);
            if (last) {
                try {
                    JsonNode ev = Protocol.JSON.readTree(text.toString());
                    switch (ev.path("type").asText()) {
                        case "error" -> error = ev.path("code").asText() + ": " + ev.path("message").asText();
                        case "hello" -> {
                            paced = ev.path("realtime").asBoolean();
                            fps = ev.path("fps").asDouble(16);
                        }
                        case "switch_requested" -> {
                            Long sent = switchSent.poll();
                            if (sent != null) waiting.put(ev.path("index").asInt(), sent);
                        }
                        default -> { }
                    }
                } catch (Exception e) {
                    error = "bad event: " + e.getMessage();
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
                long now = System.nanoTime();
                if (paced && lastShown > 0) {
                    long due = lastShown + (long) (1e9 / fps);
                    // the page skips forward when its queue holds more than two seconds
                    now = due - now > 2e9 ? now : Math.max(now, due);
                }
                lastShown = now;   // when the page would show this frame
                binary.flip();
                Protocol.FrameHeader h = Protocol.FrameHeader.read(binary);
                if (firstFrame == 0) firstFrame = now;
                frames.add(new long[] {now, h.prompt()});
                Long sent = waiting.remove(h.prompt());
                if (sent != null) latencies.add((now - sent) / 1e6);
                binary.clear();
            }
            w.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket w, int status, String reason) {
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public void onError(WebSocket w, Throwable e) {
            error = "connection: " + e;
        }
    }

    @Override
    public String toString() {
        return "serve bench " + url + " " + Arrays.toString(counts);
    }
}
