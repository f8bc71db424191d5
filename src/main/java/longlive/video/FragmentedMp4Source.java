package longlive.video;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;

/**
 * Reads fragmented MP4 files with one H.264 track (as {@link Mp4Writer} writes them) without ffmpeg: walks the
 * top-level boxes, takes SPS/PPS from the moov's avcC and sample sizes from each moof's trun. A file cut short
 * (a writer killed mid-fragment) ends at its last complete fragment.
 */
final class FragmentedMp4Source implements FrameSource {
    private final FileChannel ch;
    private final long fileSize;
    private final double fps;
    private final H264Frames decoder;
    private final ArrayDeque<long[]> samples = new ArrayDeque<>(); // {offset, size}
    private long nextBox;
    private Frame peeked;
    private int width;
    private int height;

    private FragmentedMp4Source(FileChannel ch, long fileSize, long afterMoov, double fps, byte[] sps, byte[] pps) {
        this.ch = ch;
        this.fileSize = fileSize;
        this.nextBox = afterMoov;
        this.fps = fps;
        this.decoder = new H264Frames(sps, pps);
    }

    /** Opens {@code path} if it is a fragmented H.264 MP4, else returns null (and closes it). */
    static FragmentedMp4Source tryOpen(Path path) throws IOException {
        FileChannel ch = FileChannel.open(path, StandardOpenOption.READ);
        try {
            long size = ch.size(), pos = 0;
            byte[] moov = null;
            long afterMoov = -1;
            while (pos + 8 <= size) {
                long[] hdr = header(ch, pos, size);
                if (hdr == null) break;
                String type = fourcc((int) hdr[1]);
                if (type.equals("moov")) {
                    moov = read(ch, pos, (int) hdr[0]);
                    afterMoov = pos + hdr[0];
                } else if (type.equals("moof")) {
                    break;
                }
                pos += hdr[0];
            }
            if (moov == null || indexOf(moov, "mvex") < 0) {
                ch.close();
                return null;
            }
            int avcC = indexOf(moov, "avcC");
            if (avcC < 0) throw new IOException(path + ": fragmented MP4 without an H.264 (avcC) track");
            ByteBuffer b = ByteBuffer.wrap(moov, avcC + 13, moov.length - avcC - 13);
            int nSps = b.get() & 0x1F;
            if (nSps < 1) throw new IOException(path + ": avcC has no SPS");
            byte[] sps = new byte[b.getShort() & 0xFFFF];
            b.get(sps);
            for (int i = 1; i < nSps; i++) b.position(b.position() + (b.getShort() & 0xFFFF));
            b.get();
            byte[] pps = new byte[b.getShort() & 0xFFFF];
            b.get(pps);
            int mdhd = indexOf(moov, "mdhd");
            double fps = 16;
            if (mdhd > 0) {
                ByteBuffer m = ByteBuffer.wrap(moov, mdhd + 8, 40);
                int version = m.get();
                m.position(m.position() + 3 + (version == 1 ? 16 : 8));
                int timescale = m.getInt();
                int trex = indexOf(moov, "trex");
                if (trex > 0) {
                    int dur = ByteBuffer.wrap(moov, trex + 20, 4).getInt();
                    if (dur > 0) fps = (double) timescale / dur;
                }
            }
            FragmentedMp4Source src = new FragmentedMp4Source(ch, size, afterMoov, fps, sps, pps);
            src.peeked = src.decodeNext();
            if (src.peeked == null) throw new IOException(path + ": the MP4 holds no complete frame");
            src.width = src.peeked.width();
            src.height = src.peeked.height();
            return src;
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    @Override
    public int width() {
        return width;
    }

    @Override
    public int height() {
        return height;
    }

    @Override
    public double fps() {
        return fps;
    }

    @Override
    public Frame read() throws IOException {
        Frame f = peeked;
        if (f == null) return null;
        peeked = decodeNext();
        return f;
    }

    private Frame decodeNext() throws IOException {
        while (samples.isEmpty()) {
            if (!nextFragment()) return null;
        }
        long[] s = samples.poll();
        return decoder.decode(read(ch, s[0], (int) s[1]));
    }

    /** Parses the next moof (queueing its samples when its mdat is complete); false at the end of the file. */
    private boolean nextFragment() throws IOException {
        while (nextBox + 8 <= fileSize) {
            long start = nextBox;
            long[] hdr = header(ch, start, fileSize);
            if (hdr == null || start + hdr[0] > fileSize) return false;
            nextBox = start + hdr[0];
            if (!fourcc((int) hdr[1]).equals("moof")) continue;
            ByteBuffer moof = ByteBuffer.wrap(read(ch, start, (int) hdr[0]));
            int defaultSize = 0;
            int tfhd = indexOf(moof.array(), "tfhd");
            if (tfhd >= 0) {
                ByteBuffer t = ByteBuffer.wrap(moof.array(), tfhd + 8, moof.capacity() - tfhd - 8);
                int flags = t.getInt() & 0xFFFFFF;
                t.getInt();
                if ((flags & 0x1) != 0) t.getLong();
                if ((flags & 0x2) != 0) t.getInt();
                if ((flags & 0x8) != 0) t.getInt();
                if ((flags & 0x10) != 0) defaultSize = t.getInt();
            }
            int trun = indexOf(moof.array(), "trun");
            if (trun < 0) continue;
            ByteBuffer t = ByteBuffer.wrap(moof.array(), trun + 8, moof.capacity() - trun - 8);
            int flags = t.getInt() & 0xFFFFFF;
            int count = t.getInt();
            long offset = start + ((flags & 0x1) != 0 ? t.getInt() : hdr[0] + 8);
            if ((flags & 0x4) != 0) t.getInt();
            long end = offset;
            for (int i = 0; i < count; i++) {
                if ((flags & 0x100) != 0) t.getInt();
                int size = (flags & 0x200) != 0 ? t.getInt() : defaultSize;
                if ((flags & 0x400) != 0) t.getInt();
                if ((flags & 0x800) != 0) t.getInt();
                samples.add(new long[] {end, size});
                end += size;
            }
            if (end > fileSize) { // the writer was killed before this fragment's data was complete
                samples.clear();
                return false;
            }
            return true;
        }
        return false;
    }

    /** {size, type} of the box at pos, or null if it is truncated or malformed. */
    private static long[] header(FileChannel ch, long pos, long fileSize) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(read(ch, pos, 8));
        long size = b.getInt() & 0xFFFFFFFFL;
        int type = b.getInt();
        if (size == 1) {
            if (pos + 16 > fileSize) return null;
            size = ByteBuffer.wrap(read(ch, pos + 8, 8)).getLong();
        } else if (size == 0) {
            size = fileSize - pos;
        }
        if (size < 8) return null;
        return new long[] {size, type};
    }

    private static byte[] read(FileChannel ch, long pos, int len) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(len);
        while (b.hasRemaining()) {
            if (ch.read(b, pos + b.position()) < 0) throw new IOException("unexpected end of MP4 file at " + pos);
        }
        return b.array();
    }

    private static String fourcc(int t) {
        return new String(new byte[] {(byte) (t >>> 24), (byte) (t >>> 16), (byte) (t >>> 8), (byte) t},
                java.nio.charset.StandardCharsets.ISO_8859_1);
    }

    /** Offset of the first box of type {@code fourcc} inside {@code data} (pointing at its size field), or -1. */
    private static int indexOf(byte[] data, String fourcc) {
        byte a = (byte) fourcc.charAt(0), b = (byte) fourcc.charAt(1), c = (byte) fourcc.charAt(2), d = (byte) fourcc.charAt(3);
        for (int i = 4; i + 4 <= data.length; i++) {
            if (data[i] == a && data[i + 1] == b && data[i + 2] == c && data[i + 3] == d) return i - 4;
        }
        return -1;
    }

    @Override
    public void close() throws IOException {
        ch.close();
    }
}
