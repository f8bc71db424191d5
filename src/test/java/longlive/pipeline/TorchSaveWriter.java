package longlive.pipeline;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import longlive.tensor.Tensor;

/**
 * Test helper: writes what {@code torch.save} writes for nested dicts of tensors (zip with {@code archive/data.pkl},
 * one {@code archive/data/N} storage per tensor, stored uncompressed), so tests can make LongLive-style {@code .pt}
 * files without Python. Values: {@link Tensor} (float32 storage), {@link Bf16} (bfloat16 storage, rounded to
 * nearest even), {@code Map<String, ?>} (a dict), {@link Long} (an int).
 */
final class TorchSaveWriter {
    /** A tensor to be stored as bfloat16. */
    record Bf16(Tensor t) {}

    private final ByteArrayOutputStream pkl = new ByteArrayOutputStream();
    private final List<byte[]> storages = new ArrayList<>();

    private TorchSaveWriter() {}

    static void write(Path file, Map<String, ?> root) throws IOException {
        TorchSaveWriter w = new TorchSaveWriter();
        w.pkl.write(0x80);
        w.pkl.write(2);            // PROTO 2
        w.value(root);
        w.pkl.write('.');          // STOP
        try (OutputStream os = Files.newOutputStream(file); ZipOutputStream zip = new ZipOutputStream(os)) {
            stored(zip, "archive/data.pkl", w.pkl.toByteArray());
            stored(zip, "archive/byteorder", "little".getBytes(StandardCharsets.US_ASCII));
            for (int i = 0; i < w.storages.size(); i++) stored(zip, "archive/data/" + i, w.storages.get(i));
            stored(zip, "archive/version", "3\n".getBytes(StandardCharsets.US_ASCII));
        }
    }

    private static void stored(ZipOutputStream zip, String name, byte[] data) throws IOException {
        ZipEntry e = new ZipEntry(name);
        e.setMethod(ZipEntry.STORED);
        e.setSize(data.length);
        CRC32 crc = new CRC32();
        crc.update(data);
        e.setCrc(crc.getValue());
        zip.putNextEntry(e);
        zip.write(data);
        zip.closeEntry();
    }

    private void value(Object v) {
        switch (v) {
            case Map<?, ?> m -> {
                pkl.write('}');
                if (m.isEmpty()) return;
                pkl.write('(');
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    str((String) e.getKey());
                    value(e.getValue());
                }
                pkl.write('u');  // SETITEMS
            }
            case Tensor t -> tensor(t, false);
            case Bf16 b -> tensor(b.t(), true);
            case Long l -> integer(l.intValue());
            default -> throw new IllegalArgumentException("unsupported value " + v);
        }
    }

    private void tensor(Tensor t, boolean bf16) {
        float[] d = t.data();
        ByteBuffer buf = ByteBuffer.allocate(d.length * (bf16 ? 2 : 4)).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : d) {
            if (!bf16) buf.putFloat(f);
            else {
                int bits = Float.floatToRawIntBits(f);
                buf.putShort((short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16));
            }
        }
        int key = storages.size();
        storages.add(buf.array());
        global("torch._utils", "_rebuild_tensor_v2");
        pkl.write('(');
        // persistent id ('storage', torch.XStorage, key, 'cpu', numel)
        pkl.write('(');
        str("storage");
        global("torch", bf16 ? "BFloat16Storage" : "FloatStorage");
        str(Integer.toString(key));
        str("cpu");
        integer(d.length);
        pkl.write('t');
        pkl.write('Q');              // BINPERSID
        integer(0);                  // storage offset
        int[] shape = t.shape();
        pkl.write('(');
        for (int s : shape) integer(s);
        pkl.write('t');
        pkl.write('(');
        long stride = 1;
        long[] strides = new long[shape.length];
        for (int i = shape.length - 1; i >= 0; i--) {
            strides[i] = stride;
            stride *= shape[i];
        }
        for (long s : strides) integer((int) s);
        pkl.write('t');
        pkl.write(0x89);             // requires_grad False
        global("collections", "OrderedDict");
        pkl.write(')');
        pkl.write('R');              // backward hooks: OrderedDict()
        pkl.write('t');
        pkl.write('R');
    }

    private void global(String module, String name) {
        pkl.write('c');
        pkl.writeBytes((module + "\n" + name + "\n").getBytes(StandardCharsets.US_ASCII));
    }

    private void str(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        pkl.write('X');
        pkl.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(b.length).array());
        pkl.writeBytes(b);
    }

    private void integer(int v) {
        pkl.write('J');
        pkl.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array());
    }
}
