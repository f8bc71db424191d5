package longlive.video;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.jcodec.codecs.h264.H264Encoder;
import org.jcodec.codecs.h264.H264Utils;
import org.jcodec.codecs.h264.encode.RateControl;
import org.jcodec.codecs.h264.io.model.SliceType;
import org.jcodec.common.VideoEncoder;
import org.jcodec.common.model.ColorSpace;
import org.jcodec.common.model.Picture;
import org.jcodec.common.model.Rect;
import org.jcodec.common.model.Size;

/**
 * Streams RGB frames into an H.264 MP4 file, one frame at a time, in constant memory.
 *
 * <p>The file is a <em>fragmented</em> MP4: the header (ftyp + moov) is written once the first frame is encoded,
 * then every {@code fragmentFrames} frames (default 16 = one second) a moof + mdat pair is appended and flushed.
 * Each fragment starts with an IDR frame. So at any moment the bytes on disk are a playable video of every
 * complete fragment, even if the process is killed; {@link #close()} writes the last partial fragment, and a JVM
 * shutdown hook closes writers still open at exit (Ctrl-C, System.exit). Only a hard kill loses the frames of
 * the fragment in progress (at most one second).
 *
 * <p>Encoder: JCodec's baseline H.264 encoder at a constant quantiser ({@code qp}, default 20: visually
 * lossless for this project's flat-coloured scenes). Frames of any size are padded to whole macroblocks and
 * cropped back in the SPS.
 */
public final class Mp4Writer implements FrameSink {
    public static final int DEFAULT_QP = 20;
    public static final int DEFAULT_FRAGMENT_FRAMES = 16;

    private static final Set<Mp4Writer> OPEN = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            for (Mp4Writer w : OPEN) {
                try {
                    w.close();
                } catch (IOException | RuntimeException e) {
                    System.err.println("Mp4Writer: could not finish " + w.path + ": " + e.getMessage());
                }
            }
        }, "mp4-writer-finish"));
    }

    private final Path path;
    private final int fps;
    private final int fragmentFrames;
    private final OutputStream out;
    private final H264Encoder encoder;
    private final List<byte[]> pending = new ArrayList<>();
    private final List<Boolean> pendingKeys = new ArrayList<>();
    private int width = -1;
    private int height;
    private Picture picture;
    private int[] yPlane;
    private int[] uPlane;
    private int[] vPlane;
    private ByteBuffer encodeBuffer;
    private long framesWritten;
    private long framesFlushed;
    private int sequence;
    private boolean headerWritten;
    private boolean closed;

    public Mp4Writer(Path path, int fps) throws IOException {
        this(path, fps, DEFAULT_QP, DEFAULT_FRAGMENT_FRAMES);
    }

    /**
     * @param qp             H.264 quantiser 0..51 (lower = better quality, bigger file)
     * @param fragmentFrames frames per fragment (and per key-frame interval); at most this many are lost on a hard kill
     */
    public Mp4Writer(Path path, int fps, int qp, int fragmentFrames) throws IOException {
        if (fps < 1 || fps > 240) throw new IllegalArgumentException("fps must be in 1..240, got " + fps);
        if (qp < 0 || qp > 51) throw new IllegalArgumentException("qp must be in 0..51, got " + qp);
        if (fragmentFrames < 1) throw new IllegalArgumentException("fragmentFrames must be >= 1, got " + fragmentFrames);
        this.path = path;
        this.fps = fps;
        this.fragmentFrames = fragmentFrames;
        Path parent = path.toAbsolutePath().getParent();
        if (parent != null) Files.createDirectories(parent);
        this.out = Files.newOutputStream(path);
        this.encoder = new H264Encoder(new ConstantQp(qp));
        this.encoder.setKeyInterval(fragmentFrames);
        OPEN.add(this);
    }

    public Path path() {
        return path;
    }

    /** Frames accepted so far. */
    public long frames() {
        return framesWritten;
    }

    @Override
    public synchronized void write(Frame frame) throws IOException {
        if (closed) throw new IOException("Mp4Writer for " + path + " is closed");
        if (width < 0) start(frame.width(), frame.height());
        if (frame.width() != width || frame.height() != height) {
            throw new IllegalArgumentException("frame " + frame.width() + "x" + frame.height() + " differs from the video's "
                    + width + "x" + height);
        }
        Yuv420.fromRgb(frame, picture.getWidth(), picture.getHeight(), yPlane, uPlane, vPlane);
        fill(picture.getPlaneData(0), yPlane);
        fill(picture.getPlaneData(1), uPlane);
        fill(picture.getPlaneData(2), vPlane);
        encodeBuffer.clear();
        VideoEncoder.EncodedFrame enc = encoder.encodeFrame(picture, encodeBuffer);
        List<ByteBuffer> nals = H264Utils.splitFrame(enc.getData().duplicate());
        byte[] sps = null, pps = null;
        int sampleLen = 0;
        for (ByteBuffer nal : nals) {
            int type = nal.get(nal.position()) & 0x1F;
            if (type == 7) sps = bytes(nal);
            else if (type == 8) pps = bytes(nal);
            else sampleLen += 4 + nal.remaining();
        }
        if (!headerWritten) {
            if (sps == null || pps == null) throw new IllegalStateException("first encoded frame carries no SPS/PPS");
            out.write(Mp4Boxes.initSegment(width, height, fps, sps, pps));
            headerWritten = true;
        }
        ByteBuffer sample = ByteBuffer.allocate(sampleLen);
        for (ByteBuffer nal : nals) {
            int type = nal.get(nal.position()) & 0x1F;
            if (type == 7 || type == 8) continue;
            sample.putInt(nal.remaining());
            sample.put(nal.duplicate());
        }
        pending.add(sample.array());
        pendingKeys.add(enc.isKeyFrame());
        framesWritten++;
        if (pending.size() >= fragmentFrames) flushFragment();
    }

    private void start(int w, int h) {
        width = w;
        height = h;
        int pw = (w + 15) & ~15, ph = (h + 15) & ~15;
        // JCodec's encoder only accepts pictures labelled YUV420J; the label is not written to the stream, and the
        // samples we store are BT.601 limited range, which is what players assume for a stream without VUI.
        picture = Picture.createCropped(pw, ph, ColorSpace.YUV420J, new Rect(0, 0, w, h));
        yPlane = new int[pw * ph];
        uPlane = new int[pw * ph / 4];
        vPlane = new int[pw * ph / 4];
        encodeBuffer = ByteBuffer.allocate(Math.max(1 << 16, pw * ph * 3));
    }

    private static void fill(byte[] dst, int[] src) {
        for (int i = 0; i < dst.length; i++) dst[i] = (byte) (src[i] - 128); // JCodec stores samples as value - 128
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] a = new byte[b.remaining()];
        b.duplicate().get(a);
        return a;
    }

    private void flushFragment() throws IOException {
        if (pending.isEmpty()) return;
        out.write(Mp4Boxes.fragment(++sequence, framesFlushed, pending, pendingKeys));
        out.flush();
        framesFlushed += pending.size();
        pending.clear();
        pendingKeys.clear();
    }

    @Override
    public synchronized void close() throws IOException {
        if (closed) return;
        closed = true;
        OPEN.remove(this);
        try {
            flushFragment();
        } finally {
            out.close();
        }
    }

    /** Every picture and macroblock at one quantiser: steady quality, no bitrate target. */
    private record ConstantQp(int qp) implements RateControl {
        @Override
        public int startPicture(Size size, int maxSize, SliceType sliceType) {
            return qp;
        }

        @Override
        public int initialQpDelta() {
            return 0;
        }

        @Override
        public int accept(int bits) {
            return 0;
        }
    }
}
