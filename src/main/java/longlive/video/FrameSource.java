package longlive.video;

import java.io.IOException;

/** Frames read one at a time, in display order, from an MP4 file or a folder of PNGs. */
public interface FrameSource extends AutoCloseable {
    int width();

    int height();

    /** Frames per second as stored in the file; folders of PNGs report the default 16. */
    double fps();

    /** The next frame, or null after the last. */
    Frame read() throws IOException;

    @Override
    void close() throws IOException;
}
