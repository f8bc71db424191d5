package longlive.pipeline;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import longlive.kernel.Parallel;
import longlive.stream.InferenceConfig;
import longlive.video.Frame;
import longlive.video.FrameSink;
import longlive.video.FrameSource;
import longlive.video.VideoFiles;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** End to end on a tiny random model directory: MP4 + PNGs, streaming order, determinism, interruption. */
class GenerateTest {
    static Path modelDir;
    static Parallel par;
    static VideoPipeline pipeline;

    @BeforeAll
    static void makeModel(@TempDir Path tmp) throws IOException {
        par = new Parallel(2);
        modelDir = RandomModel.write(tmp.resolve("tiny"), "tiny", 7, 0, 0, par);
        pipeline = new VideoPipeline(ModelDirectory.open(modelDir), par);
    }

    @AfterAll
    static void close() {
        par.close();
    }

    /** Collects frames and the order of events. */
    static final class Recorder implements FrameSink, VideoPipeline.Listener {
        final List<Frame> frames = new ArrayList<>();
        final List<String> events = new ArrayList<>();

        @Override
        public void write(Frame f) {
            frames.add(f);
        }

        @Override
        public void close() {
        }

        @Override
        public void blockGenerated(int block, int first) {
            events.add("block" + block);
        }

        @Override
        public void framesWritten(int n, int total) {
            events.add("frames" + n);
        }

        @Override
        public void promptSwitched(int index, int at) {
            events.add("switch" + index + "@" + at);
        }
    }

    static PromptScript twoPrompts() {
        return new PromptScript(List.of("a red circle drifts right", "a blue square spins"), new int[] {4}, 0);
    }

    @Test
    void streamsBlocksThroughTheVaeAndSwitchesPrompts() throws IOException {
        Recorder r = new Recorder();
        VideoPipeline.Result res = pipeline.run(twoPrompts(), 8, 1, r, r, null);
        assertEquals(8, res.latentFrames());
        assertEquals(1 + 4 * 7, r.frames.size());
        assertEquals(3, res.blocks());
        // the switch at latent 4 takes effect at the next block start >= 4: frame 6
        assertTrue(r.events.contains("switch1@6"), r.events.toString());
        // frames of block 0 are written before block 1 is generated
        int firstFrames = r.events.indexOf("frames1"), block1 = r.events.indexOf("block1");
        assertTrue(firstFrames >= 0 && firstFrames < block1, r.events.toString());
        assertTrue(r.events.indexOf("frames9") < r.events.indexOf("block1"), r.events.toString());
        assertEquals(64, r.frames.get(0).width());
        assertEquals(64, r.frames.get(0).height());
    }

    @Test
    void globalAttentionRunsAFrameCountThatIsNotWholeBlocks() throws IOException {
        // global attention (local_attn_size -1) sizes its cache to the run; 7 latent frames are 3 blocks of 3
        ModelDirectory md = ModelDirectory.open(modelDir);
        InferenceConfig i = md.inference();
        ModelDirectory global = md.withInference(i.withWindow(-1, i.sinkSize()));
        assertTrue(global.inference().globalAttention());
        VideoPipeline p = new VideoPipeline(global, par);
        for (int latent : new int[] {1, 7, 8, 9}) {
            Recorder r = new Recorder();
            VideoPipeline.Result res = p.run(twoPrompts(), latent, 1, r, r, null);
            assertEquals(latent, res.latentFrames());
            assertEquals(PromptScript.videoFrames(latent), r.frames.size());
            assertEquals((latent + 2) / 3, res.blocks());
        }
    }

    @Test
    void sameSeedSameFramesOtherSeedOtherFrames() throws IOException {
        Recorder a = new Recorder(), b = new Recorder(), c = new Recorder();
        pipeline.run(twoPrompts(), 4, 3, a, null, null);
        pipeline.run(twoPrompts(), 4, 3, b, null, null);
        pipeline.run(twoPrompts(), 4, 4, c, null, null);
        assertEquals(a.frames, b.frames);
        assertNotEquals(a.frames, c.frames);
    }

    @Test
    void promptSwitchChangesTheFramesAfterIt() throws IOException {
        Recorder one = new Recorder(), two = new Recorder();
        pipeline.run(PromptScript.of("a red circle drifts right"), 7, 5, one, null, null);
        pipeline.run(new PromptScript(List.of("a red circle drifts right", "a blue square spins"), new int[] {3}, 0),
                7, 5, two, null, null);
        int before = PromptScript.videoFrames(3);    // video frames of latent frames 0..2
        assertEquals(one.frames.subList(0, before), two.frames.subList(0, before));
        assertNotEquals(one.frames.get(one.frames.size() - 1), two.frames.get(two.frames.size() - 1));
    }

    @Test
    void mp4AndPngsDecodeToTheFrameCountAndSize(@TempDir Path tmp) throws Exception {
        Path mp4 = tmp.resolve("o.mp4"), png = tmp.resolve("png");
        Recorder r = new Recorder();
        try (FrameSink s = GenerateCommand.sinks(mp4, png)) {
            pipeline.run(twoPrompts(), 6, 2, new Tee(s, r), null, null);
        }
        assertEquals(21, countFrames(mp4, 64, 64));
        try (Stream<Path> files = Files.list(png)) {
            assertEquals(21, files.filter(p -> p.toString().endsWith(".png")).count());
        }
        try (FrameSource src = VideoFiles.open(png)) {
            assertEquals(r.frames.get(5), skip(src, 5));     // PNGs are exact
        }
    }

    @Test
    void interruptedRunLeavesAPlayableFileWithTheFramesMade(@TempDir Path tmp) throws Exception {
        Path mp4 = tmp.resolve("cut.mp4");
        Recorder r = new Recorder();
        VideoPipeline.Result res;
        try (FrameSink s = GenerateCommand.sinks(mp4, null)) {
            res = pipeline.run(PromptScript.of("a green star"), 30, 2, new Tee(s, r),
                    r, () -> r.events.contains("block1"));   // stop during the second block
        }
        assertTrue(res.stopped());
        assertEquals(2, res.blocks());
        assertEquals(4, res.latentFrames());
        assertEquals(PromptScript.videoFrames(4), countFrames(mp4, 64, 64));
    }

    @Test
    void commandWritesAnMp4(@TempDir Path tmp) throws Exception {
        Path script = tmp.resolve("s.jsonl"), mp4 = tmp.resolve("c.mp4");
        Files.writeString(script, "{\"prompts\": [\"a cat\", \"a dog\"], \"switch_frames\": [3]}\n");
        int code = new picocli.CommandLine(new GenerateCommand()).execute("--model", modelDir.toString(),
                "--script", script.toString(), "--frames", "5", "--seed", "1", "--out", mp4.toString(), "--quiet",
                "--threads", "1");
        assertEquals(0, code);
        assertEquals(17, countFrames(mp4, 64, 64));
    }

    static Frame skip(FrameSource s, int n) throws IOException {
        Frame f = null;
        for (int i = 0; i <= n; i++) f = s.read();
        return f;
    }

    static int countFrames(Path mp4, int w, int h) throws IOException {
        try (FrameSource s = VideoFiles.open(mp4)) {
            assertEquals(w, s.width());
            assertEquals(h, s.height());
            assertEquals(16.0, s.fps(), 1e-9);
            int n = 0;
            while (s.read() != null) n++;
            return n;
        }
    }

    record Tee(FrameSink a, FrameSink b) implements FrameSink {
        @Override
        public void write(Frame f) throws IOException {
            a.write(f);
            b.write(f);
        }

        @Override
        public void close() {
        }
    }
}
