package longlive.video;

import java.io.IOException;
import java.nio.file.Path;
import org.jcodec.api.FrameGrab;
import org.jcodec.api.JCodecException;
import org.jcodec.common.io.NIOUtils;
import org.jcodec.common.io.SeekableByteChannel;
import org.jcodec.common.model.Picture;

/** Reads ordinary (non-fragmented) H.264 MP4 files with JCodec's FrameGrab; the fallback when ffmpeg is absent. */
final class JcodecSource implements FrameSource {
    private final SeekableByteChannel channel;
    private final FrameGrab grab;
    private Frame peeked;
    private final double fps;

    JcodecSource(Path file) throws IOException {
        channel = NIOUtils.readableChannel(file.toFile());
        try {
            grab = FrameGrab.createFrameGrab(channel);
        } catch (JCodecException | RuntimeException e) {
            channel.close();
            throw new IOException("JCodec cannot read " + file + " (" + e + "); install ffmpeg to read other formats", e);
        }
        double f = 16;
        try {
            var meta = grab.getVideoTrack().getMeta();
            if (meta != null && meta.getTotalDuration() > 0 && meta.getTotalFrames() > 0) {
                f = meta.getTotalFrames() / meta.getTotalDuration();
            }
        } catch (RuntimeException ignored) {
            // no duration metadata: keep the project default
        }
        fps = f;
        peeked = next();
        if (peeked == null) throw new IOException(file + " holds no video frames");
    }

    private Frame next() throws IOException {
        Picture p = grab.getNativeFrame();
        return p == null ? null : H264Frames.toFrame(p);
    }

    @Override
    public int width() {
        return peeked.width();
    }

    @Override
    public int height() {
        return peeked.height();
    }

    @Override
    public double fps() {
        return fps;
    }

    @Override
    public Frame read() throws IOException {
        Frame f = peeked;
        if (f == null) return null;
        peeked = next();
        return f;
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
