package longlive.video;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Writes frames as {@code frame_000000.png, frame_000001.png, ...} into a folder. */
public final class PngFolderWriter implements FrameSink {
    private final Path folder;
    private int index;

    public PngFolderWriter(Path folder) throws IOException {
        this.folder = Files.createDirectories(folder);
    }

    @Override
    public void write(Frame frame) throws IOException {
        PngFrames.write(frame, folder.resolve(String.format("frame_%06d.png", index++)));
    }

    @Override
    public void close() {
    }
}
