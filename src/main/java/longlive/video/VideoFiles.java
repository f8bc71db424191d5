package longlive.video;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Opens videos for reading and writing by path: a folder means PNG frames, a file means MP4.
 *
 * <p>Reading MP4: files written by {@link Mp4Writer} (fragmented H.264) are decoded in-process with JCodec;
 * other files go through ffmpeg when it is installed, else JCodec's FrameGrab (plain H.264 MP4 only).
 */
public final class VideoFiles {
    /** Frame rate assumed for PNG folders (LongLive's output rate). */
    public static final double DEFAULT_FPS = 16;

    private VideoFiles() {
    }

    public static FrameSource open(Path path) throws IOException {
        if (Files.isDirectory(path)) return new PngFolderSource(path, DEFAULT_FPS);
        if (!Files.isRegularFile(path)) throw new IOException("no such video file or PNG folder: " + path);
        FragmentedMp4Source own = FragmentedMp4Source.tryOpen(path);
        if (own != null) return own;
        if (FfmpegSource.available()) return new FfmpegSource(path);
        return new JcodecSource(path);
    }

    /** A writer for {@code path}: a folder of PNGs if it ends with '/' or has no extension, else an MP4. */
    public static FrameSink create(Path path, int fps) throws IOException {
        String name = path.getFileName().toString().toLowerCase(Locale.ROOT);
        if (path.toString().endsWith("/") || !name.contains(".")) return new PngFolderWriter(path);
        if (!name.endsWith(".mp4")) throw new IOException("can only write .mp4 files or PNG folders, got " + path);
        return new Mp4Writer(path, fps);
    }
}
