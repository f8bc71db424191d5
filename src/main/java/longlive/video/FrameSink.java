package longlive.video;

import java.io.IOException;

/** Something that consumes frames one at a time (an MP4 file, a folder of PNGs). */
public interface FrameSink extends AutoCloseable {
    /** Appends one frame; every frame must have the size of the first. */
    void write(Frame frame) throws IOException;

    /** Finishes the output so it is complete and playable; further writes fail. */
    @Override
    void close() throws IOException;
}
