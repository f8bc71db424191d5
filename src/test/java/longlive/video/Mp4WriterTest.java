package longlive.video;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Mp4WriterTest {
    @TempDir
    Path dir;

    /** A moving red disc over a vertical blue ramp: edges, flat areas and motion. */
    static List<Frame> movingDisc(int w, int h, int n) {
        List<Frame> out = new ArrayList<>();
        for (int t = 0; t < n; t++) {
            Frame f = Frame.black(w, h);
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    double dx = x - (8 + t * 0.7), dy = y - h / 2.0;
                    if (dx * dx + dy * dy < 40) f.set(x, y, 220, 40, 40);
                    else f.set(x, y, 20, 30, 60 + 100 * y / h);
                }
            }
            out.add(f);
        }
        return out;
    }

    private static List<Frame> readAll(Path p) throws IOException {
        List<Frame> out = new ArrayList<>();
        try (FrameSource s = VideoFiles.open(p)) {
            Frame f;
            while ((f = s.read()) != null) out.add(f);
        }
        return out;
    }

    @Test
    void roundTripDecodesEveryFrameCloseToTheInput() throws IOException {
        for (int[] size : new int[][] {{64, 64}, {40, 36}}) {
            List<Frame> in = movingDisc(size[0], size[1], 40);
            Path p = dir.resolve("v" + size[0] + ".mp4");
            try (Mp4Writer w = new Mp4Writer(p, 16)) {
                for (Frame f : in) w.write(f);
            }
            try (FrameSource s = VideoFiles.open(p)) {
                assertEquals(size[0], s.width());
                assertEquals(size[1], s.height());
                assertEquals(16.0, s.fps(), 1e-9);
            }
            List<Frame> out = readAll(p);
            assertEquals(in.size(), out.size(), "frame count");
            double sum = 0;
            for (int i = 0; i < in.size(); i++) {
                double d = out.get(i).meanAbsDiff(in.get(i));
                sum += d;
                assertTrue(d < 6, "frame " + i + " of " + size[0] + "x" + size[1] + " differs by " + d);
            }
            assertTrue(sum / in.size() < 4, "mean difference " + sum / in.size());
        }
    }

    @Test
    void aFileCutShortStillPlaysItsCompleteFragments() throws IOException {
        List<Frame> in = movingDisc(64, 64, 40);
        Path p = dir.resolve("full.mp4");
        try (Mp4Writer w = new Mp4Writer(p, 16)) {
            for (Frame f : in) w.write(f);
        }
        byte[] all = Files.readAllBytes(p);
        Path cut = dir.resolve("cut.mp4");
        Files.write(cut, java.util.Arrays.copyOf(all, all.length - 200)); // the writer died inside the last fragment
        List<Frame> out = readAll(cut);
        assertEquals(32, out.size(), "two complete one-second fragments survive");
        assertTrue(out.get(31).meanAbsDiff(in.get(31)) < 4);
    }

    @Test
    void framesAreFlushedFragmentByFragmentWhileWriting() throws IOException {
        Path p = dir.resolve("live.mp4");
        try (Mp4Writer w = new Mp4Writer(p, 16)) {
            for (Frame f : movingDisc(64, 64, 20)) w.write(f);
            assertEquals(16, readAll(p).size(), "the first second is readable before close");
        }
        assertEquals(20, readAll(p).size());
    }

    @Test
    void rejectsFramesOfAnotherSize() throws IOException {
        try (Mp4Writer w = new Mp4Writer(dir.resolve("x.mp4"), 16)) {
            w.write(Frame.black(64, 64));
            assertThrows(IllegalArgumentException.class, () -> w.write(Frame.black(32, 32)));
        }
    }

    @Test
    void pngFolderRoundTripIsExact() throws IOException {
        List<Frame> in = movingDisc(48, 32, 5);
        Path folder = dir.resolve("frames");
        try (FrameSink s = VideoFiles.create(folder, 16)) {
            for (Frame f : in) s.write(f);
        }
        assertEquals(in, readAll(folder));
    }
}
