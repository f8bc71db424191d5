package longlive.video;

import java.nio.ByteBuffer;
import org.jcodec.codecs.h264.H264Decoder;
import org.jcodec.codecs.h264.H264Utils;
import org.jcodec.codecs.h264.io.model.SeqParameterSet;
import org.jcodec.common.model.ColorSpace;
import org.jcodec.common.model.Picture;
import org.jcodec.common.model.Size;

/** Decodes AVCC (length-prefixed) H.264 samples into RGB frames with JCodec's decoder. */
final class H264Frames {
    private final H264Decoder decoder;
    private final byte[][] buffer;
    private final byte[] spsPps;
    private boolean first = true;

    H264Frames(byte[] sps, byte[] pps) {
        ByteBuffer cp = ByteBuffer.allocate(8 + sps.length + pps.length);
        cp.putInt(1).put(sps).putInt(1).put(pps).flip();
        spsPps = new byte[cp.remaining()];
        cp.duplicate().get(spsPps);
        decoder = H264Decoder.createH264DecoderFromCodecPrivate(cp);
        SeqParameterSet s = H264Utils.readSPS(ByteBuffer.wrap(sps, 1, sps.length - 1));
        Size size = H264Utils.getPicSize(s);
        int pw = (size.getWidth() + 15) & ~15, ph = (size.getHeight() + 15) & ~15;
        buffer = Picture.create(pw, ph, ColorSpace.YUV420).getData();
    }

    /** Decodes one sample (4-byte length-prefixed NAL units). */
    Frame decode(byte[] sample) {
        ByteBuffer annexB = ByteBuffer.allocate(sample.length + (first ? spsPps.length : 0));
        if (first) annexB.put(spsPps); // the decoder wants the parameter sets in-band before the first slice
        ByteBuffer in = ByteBuffer.wrap(sample);
        while (in.remaining() >= 4) {
            int len = in.getInt();
            if (len < 0 || len > in.remaining()) throw new IllegalArgumentException("corrupt H.264 sample: NAL length " + len);
            annexB.putInt(1);
            annexB.put(in.array(), in.position(), len);
            in.position(in.position() + len);
        }
        annexB.flip();
        first = false;
        Picture p = decoder.decodeFrame(annexB, buffer);
        if (p == null) throw new IllegalArgumentException("H.264 decoder returned no picture");
        return toFrame(p);
    }

    /**
     * Converts a JCodec YUV 4:2:0 picture (signed samples, value - 128) to RGB, honouring its crop. JCodec labels
     * decoded H.264 as YUV420J whatever the stream's range; streams without VUI range info are BT.601 limited range
     * by convention (and that is what {@link Mp4Writer} stores), so the samples are read as limited range.
     */
    static Frame toFrame(Picture p) {
        ColorSpace cs = p.getColor();
        if (cs != ColorSpace.YUV420 && cs != ColorSpace.YUV420J) {
            throw new IllegalArgumentException("unsupported decoded colour space " + cs + " (need YUV 4:2:0)");
        }
        int w = p.getCroppedWidth(), h = p.getCroppedHeight(), x0 = p.getStartX(), y0 = p.getStartY();
        int ys = p.getPlaneWidth(0), cs2 = p.getPlaneWidth(1);
        byte[] yb = p.getPlaneData(0), ub = p.getPlaneData(1), vb = p.getPlaneData(2);
        int cw = (w + 1) / 2, ch = (h + 1) / 2;
        int[] y = new int[w * h], u = new int[cw * ch], v = new int[cw * ch];
        for (int j = 0; j < h; j++) {
            for (int i = 0; i < w; i++) y[j * w + i] = yb[(j + y0) * ys + i + x0] + 128;
        }
        for (int j = 0; j < ch; j++) {
            for (int i = 0; i < cw; i++) {
                int k = (j + y0 / 2) * cs2 + i + x0 / 2;
                u[j * cw + i] = ub[k] + 128;
                v[j * cw + i] = vb[k] + 128;
            }
        }
        return Yuv420.toRgb(w, h, y, w, u, v, cw, false);
    }
}
