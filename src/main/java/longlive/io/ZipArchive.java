package longlive.io;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * A read-only view of a memory-mapped zip file (torch.save writes one since 1.6; entries are stored
 * uncompressed, so a storage is a slice of the mapping and nothing is copied). Parses the central directory
 * (including zip64) itself because {@link java.util.zip.ZipFile} gives only streams. Every offset and length
 * read from the file is checked against the file size, so a truncated or corrupted archive gives a
 * {@link CheckpointException}, never an out-of-bounds read.
 */
final class ZipArchive implements AutoCloseable {
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int EOCD = 0x06054b50, ZIP64_LOCATOR = 0x07064b50, ZIP64_EOCD = 0x06064b50;
    private static final int CENTRAL = 0x02014b50, LOCAL = 0x04034b50;
    /** Inflated entries must fit one Java array; torch never compresses, so this only limits odd re-zips. */
    private static final long MAX_INFLATED = Integer.MAX_VALUE - 8;

    record Entry(String name, int method, long compressedSize, long size, long localHeader) {}

    private final Path file;
    private final Arena arena;
    private final MemorySegment all;
    private final Map<String, Entry> entries;

    private ZipArchive(Path file, Arena arena, MemorySegment all, Map<String, Entry> entries) {
        this.file = file;
        this.arena = arena;
        this.all = all;
        this.entries = entries;
    }

    /** A zip held in memory (tests damage archives this way without file I/O); {@code file} names it in errors. */
    static ZipArchive ofSegment(Path file, MemorySegment bytes) {
        return new ZipArchive(file, null, bytes, readCentralDirectory(file, bytes));
    }

    static ZipArchive open(Path file) throws IOException {
        Arena arena = Arena.ofShared();
        try {
            MemorySegment all;
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                all = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            }
            return new ZipArchive(file, arena, all, readCentralDirectory(file, all));
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private static CheckpointException bad(Path file, String why) {
        return new CheckpointException(file + ": " + why);
    }

    private static Map<String, Entry> readCentralDirectory(Path file, MemorySegment all) {
        long size = all.byteSize();
        if (size >= 4 && all.get(U32, 0) != LOCAL && all.get(U32, 0) != EOCD)
            throw bad(file, "not a zip archive (torch.save files from before torch 1.6, which are raw pickles, "
                    + "are not supported; re-save with a recent torch)");
        long eocd = -1;
        for (long p = size - 22; p >= Math.max(0, size - 22 - 65535); p--) {
            if (all.get(U32, p) == EOCD) {
                eocd = p;
                break;
            }
        }
        if (eocd < 0) throw bad(file, "zip end-of-central-directory record not found; truncated or not a zip file");
        long count = u16(all, eocd + 10);
        long cdSize = u32(all, eocd + 12);
        long cdOffset = u32(all, eocd + 16);
        if (count == 0xFFFF || cdSize == 0xFFFFFFFFL || cdOffset == 0xFFFFFFFFL) {
            long loc = eocd - 20;
            if (loc < 0 || all.get(U32, loc) != ZIP64_LOCATOR) throw bad(file, "zip64 locator missing; corrupt archive");
            long z = all.get(U64, loc + 8);
            if (z < 0 || z > size - 56 || all.get(U32, z) != ZIP64_EOCD) throw bad(file, "zip64 end record missing; corrupt archive");
            count = all.get(U64, z + 32);
            cdSize = all.get(U64, z + 40);
            cdOffset = all.get(U64, z + 48);
        }
        if (cdOffset < 0 || cdSize < 0 || cdOffset > size || cdSize > size - cdOffset || count < 0 || count > cdSize / 46)
            throw bad(file, "zip central directory (offset " + cdOffset + ", " + cdSize + " bytes, " + count
                    + " entries) does not fit the file of " + size + " bytes; truncated?");
        Map<String, Entry> out = new LinkedHashMap<>();
        long p = cdOffset, end = cdOffset + cdSize;
        for (long i = 0; i < count; i++) {
            if (p + 46 > end || all.get(U32, p) != CENTRAL) throw bad(file, "zip central directory entry " + i + " is corrupt");
            int method = u16(all, p + 10);
            long csize = u32(all, p + 20), usize = u32(all, p + 24);
            int nameLen = u16(all, p + 28), extraLen = u16(all, p + 30), commentLen = u16(all, p + 32);
            long local = u32(all, p + 42);
            if (p + 46 + nameLen + extraLen + commentLen > end) throw bad(file, "zip central directory entry " + i + " is truncated");
            String name = new String(all.asSlice(p + 46, nameLen).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
            // zip64 extended information: only the fields whose 32-bit value is saturated are present, in order
            long x = p + 46 + nameLen, xEnd = x + extraLen;
            while (x + 4 <= xEnd) {
                int id = u16(all, x), len = u16(all, x + 2);
                if (x + 4 + len > xEnd) break;
                if (id == 1) {
                    long f = x + 4;
                    if (usize == 0xFFFFFFFFL && f + 8 <= x + 4 + len) { usize = all.get(U64, f); f += 8; }
                    if (csize == 0xFFFFFFFFL && f + 8 <= x + 4 + len) { csize = all.get(U64, f); f += 8; }
                    if (local == 0xFFFFFFFFL && f + 8 <= x + 4 + len) local = all.get(U64, f);
                }
                x += 4 + len;
            }
            if (csize < 0 || usize < 0 || local < 0 || local > size - 30)
                throw bad(file, "zip entry '" + name + "' has invalid sizes or offset; corrupt archive");
            if (out.put(name, new Entry(name, method, csize, usize, local)) != null)
                throw bad(file, "zip entry '" + name + "' appears twice");
            p += 46 + nameLen + extraLen + commentLen;
        }
        return Collections.unmodifiableMap(out);
    }

    private static int u16(MemorySegment s, long off) {
        return Short.toUnsignedInt(s.get(U16, off));
    }

    private static long u32(MemorySegment s, long off) {
        return Integer.toUnsignedLong(s.get(U32, off));
    }

    Path file() {
        return file;
    }

    Map<String, Entry> entries() {
        return entries;
    }

    /** The entry's bytes: a slice of the mapping when stored, an inflated copy when deflated. */
    MemorySegment data(Entry e) {
        long h = e.localHeader();
        if (all.get(U32, h) != LOCAL) throw bad(file, "zip entry '" + e.name() + "' has no local header; corrupt archive");
        long start = h + 30 + u16(all, h + 26) + u16(all, h + 28);
        if (start > all.byteSize() || e.compressedSize() > all.byteSize() - start)
            throw bad(file, "zip entry '" + e.name() + "' (" + e.compressedSize() + " bytes at " + start
                    + ") runs past the end of the file (" + all.byteSize() + " bytes); truncated?");
        MemorySegment raw = all.asSlice(start, e.compressedSize());
        return switch (e.method()) {
            case 0 -> {
                if (e.size() != e.compressedSize()) throw bad(file, "zip entry '" + e.name() + "' is stored with inconsistent sizes");
                yield raw;
            }
            case 8 -> MemorySegment.ofArray(inflate(e, raw));
            default -> throw bad(file, "zip entry '" + e.name() + "' uses unsupported compression method " + e.method());
        };
    }

    private byte[] inflate(Entry e, MemorySegment raw) {
        if (e.size() > MAX_INFLATED || raw.byteSize() > MAX_INFLATED)
            throw bad(file, "compressed zip entry '" + e.name() + "' is too large to inflate (" + e.size() + " bytes)");
        byte[] out = new byte[(int) e.size()];
        Inflater inf = new Inflater(true);
        try {
            inf.setInput(raw.asByteBuffer());
            int n = 0;
            while (n < out.length) {
                int k = inf.inflate(out, n, out.length - n);
                if (k == 0 && (inf.finished() || inf.needsInput() || inf.needsDictionary())) break;
                n += k;
            }
            if (n != out.length)
                throw bad(file, "compressed zip entry '" + e.name() + "' inflates to " + n + " bytes, expected " + e.size());
            return out;
        } catch (DataFormatException ex) {
            throw bad(file, "compressed zip entry '" + e.name() + "' is corrupt: " + ex.getMessage());
        } finally {
            inf.end();
        }
    }

    @Override
    public void close() {
        if (arena != null && arena.scope().isAlive()) arena.close();
    }
}
