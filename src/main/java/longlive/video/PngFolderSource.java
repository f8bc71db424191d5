package longlive.video;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** Reads a folder of PNG frames in file-name order. */
final class PngFolderSource implements FrameSource {
    private final List<Path> files;
    private final double fps;
    private final Frame first;
    private int next;

    PngFolderSource(Path folder, double fps) throws IOException {
        this.files = PngFrames.list(folder);
        if (files.isEmpty()) throw new IOException(folder + " holds no .png frames");
        this.fps = fps;
        this.first = PngFrames.read(files.get(0));
    }

    @Override
    public int width() {
        return first.width();
    }

    @Override
    public int height() {
        return first.height();
    }

    @Override
    public double fps() {
        return fps;
    }

    @Override
    public Frame read() throws IOException {
        if (next >= files.size()) return null;
        Frame f = next == 0 ? first : PngFrames.read(files.get(next));
        if (f.width() != first.width() || f.height() != first.height()) {
            throw new IOException(files.get(next) + " is " + f.width() + "x" + f.height() + ", the first frame is "
                    + first.width() + "x" + first.height());
        }
        next++;
        return f;
    }

    @Override
    public void close() {
    }
}
