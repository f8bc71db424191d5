package longlive.video;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The ISO-BMFF boxes of a fragmented MP4 with one H.264 track (ISO/IEC 14496-12 and -15): an init segment
 * (ftyp + moov with an empty sample table and mvex) followed by moof + mdat pairs. Each method returns one box.
 */
final class Mp4Boxes {
    private Mp4Boxes() {
    }

    /** Growable big-endian byte writer. */
    static final class Buf {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Buf u8(int v) {
            out.write(v);
            return this;
        }

        Buf u16(int v) {
            out.write(v >>> 8);
            out.write(v);
            return this;
        }

        Buf u32(long v) {
            out.write((int) (v >>> 24));
            out.write((int) (v >>> 16));
            out.write((int) (v >>> 8));
            out.write((int) v);
            return this;
        }

        Buf u64(long v) {
            return u32(v >>> 32).u32(v & 0xFFFFFFFFL);
        }

        Buf bytes(byte[] b) {
            out.write(b, 0, b.length);
            return this;
        }

        Buf zeros(int n) {
            for (int i = 0; i < n; i++) out.write(0);
            return this;
        }

        Buf fourcc(String s) {
            return bytes(s.getBytes(StandardCharsets.US_ASCII));
        }

        byte[] toBytes() {
            return out.toByteArray();
        }

        int size() {
            return out.size();
        }
    }

    static byte[] box(String type, byte[]... bodies) {
        int len = 8;
        for (byte[] b : bodies) len += b.length;
        Buf buf = new Buf().u32(len).fourcc(type);
        for (byte[] b : bodies) buf.bytes(b);
        return buf.toBytes();
    }

    static byte[] fullBox(String type, int version, int flags, byte[]... bodies) {
        byte[] head = new Buf().u8(version).u8(flags >>> 16).u8(flags >>> 8).u8(flags).toBytes();
        byte[][] all = new byte[bodies.length + 1][];
        all[0] = head;
        System.arraycopy(bodies, 0, all, 1, bodies.length);
        return box(type, all);
    }

    static final int TIMESCALE_PER_FRAME = 1000;

    /** ftyp + moov for a track of w x h frames at {@code fps}, described by one SPS and one PPS (no start codes). */
    static byte[] initSegment(int w, int h, int fps, byte[] sps, byte[] pps) {
        int timescale = fps * TIMESCALE_PER_FRAME;
        byte[] ftyp = box("ftyp", new Buf().fourcc("isom").u32(0x200).fourcc("isom").fourcc("iso6").fourcc("avc1")
                .fourcc("mp41").toBytes());
        byte[] matrix = new Buf().u32(0x10000).u32(0).u32(0).u32(0).u32(0x10000).u32(0).u32(0).u32(0).u32(0x40000000).toBytes();
        byte[] mvhd = fullBox("mvhd", 0, 0, new Buf().u32(0).u32(0).u32(timescale).u32(0).u32(0x10000).u16(0x100).zeros(10)
                .bytes(matrix).zeros(24).u32(2).toBytes());
        byte[] tkhd = fullBox("tkhd", 0, 3, new Buf().u32(0).u32(0).u32(1).u32(0).u32(0).zeros(8).u16(0).u16(0).u16(0).u16(0)
                .bytes(matrix).u32((long) w << 16).u32((long) h << 16).toBytes());
        byte[] mdhd = fullBox("mdhd", 0, 0, new Buf().u32(0).u32(0).u32(timescale).u32(0).u16(0x55C4).u16(0).toBytes());
        byte[] hdlr = fullBox("hdlr", 0, 0, new Buf().u32(0).fourcc("vide").zeros(12).fourcc("LongLive").u8(0).toBytes());
        byte[] vmhd = fullBox("vmhd", 0, 1, new Buf().zeros(8).toBytes());
        byte[] dinf = box("dinf", fullBox("dref", 0, 0, new Buf().u32(1).toBytes(), fullBox("url ", 0, 1)));
        byte[] avcC = box("avcC", new Buf().u8(1).u8(sps[1]).u8(sps[2]).u8(sps[3]).u8(0xFF).u8(0xE1).u16(sps.length).bytes(sps)
                .u8(1).u16(pps.length).bytes(pps).toBytes());
        byte[] compressor = new byte[32];
        byte[] avc1 = box("avc1", new Buf().zeros(6).u16(1).zeros(16).u16(w).u16(h).u32(0x480000).u32(0x480000).u32(0).u16(1)
                .bytes(compressor).u16(0x18).u16(0xFFFF).toBytes(), avcC);
        byte[] stsd = fullBox("stsd", 0, 0, new Buf().u32(1).toBytes(), avc1);
        byte[] empty = new Buf().u32(0).toBytes();
        byte[] stbl = box("stbl", stsd, fullBox("stts", 0, 0, empty), fullBox("stsc", 0, 0, empty),
                fullBox("stsz", 0, 0, new Buf().u32(0).u32(0).toBytes()), fullBox("stco", 0, 0, empty));
        byte[] minf = box("minf", vmhd, dinf, stbl);
        byte[] mdia = box("mdia", mdhd, hdlr, minf);
        byte[] trak = box("trak", tkhd, mdia);
        byte[] trex = fullBox("trex", 0, 0, new Buf().u32(1).u32(1).u32(TIMESCALE_PER_FRAME).u32(0).u32(0).toBytes());
        byte[] moov = box("moov", mvhd, trak, box("mvex", trex));
        return new Buf().bytes(ftyp).bytes(moov).toBytes();
    }

    /**
     * moof + mdat for consecutive samples starting at decode time {@code firstFrame} (in frames).
     *
     * @param samples AVCC samples (4-byte length-prefixed NAL units), one per frame
     * @param keys    whether each sample is an IDR frame
     */
    static byte[] fragment(int sequence, long firstFrame, List<byte[]> samples, List<Boolean> keys) {
        int n = samples.size();
        byte[] mfhd = fullBox("mfhd", 0, 0, new Buf().u32(sequence).toBytes());
        byte[] tfhd = fullBox("tfhd", 0, 0x020000, new Buf().u32(1).toBytes()); // default-base-is-moof
        byte[] tfdt = fullBox("tfdt", 1, 0, new Buf().u64(firstFrame * TIMESCALE_PER_FRAME).toBytes());
        int trunSize = 12 + 8 + 12 * n;
        int moofSize = 8 + mfhd.length + 8 + tfhd.length + tfdt.length + trunSize;
        Buf trunBody = new Buf().u32(n).u32(moofSize + 8); // data offset: first sample byte, counted from the moof start
        long mdatLen = 8;
        for (int i = 0; i < n; i++) {
            trunBody.u32(TIMESCALE_PER_FRAME).u32(samples.get(i).length).u32(keys.get(i) ? 0x02000000 : 0x01010000);
            mdatLen += samples.get(i).length;
        }
        byte[] trun = fullBox("trun", 0, 0x000701, trunBody.toBytes());
        byte[] moof = box("moof", mfhd, box("traf", tfhd, tfdt, trun));
        if (moof.length != moofSize) throw new IllegalStateException("moof size " + moof.length + " != " + moofSize);
        Buf out = new Buf().bytes(moof).u32(mdatLen).fourcc("mdat");
        for (byte[] s : samples) out.bytes(s);
        return out.toBytes();
    }
}
