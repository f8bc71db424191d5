package longlive.io;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import longlive.tensor.Tensor;

/**
 * A tensor stored little-endian in a memory segment (a mapped safetensors file or a torch zip entry), decoded
 * on demand. Strides are in elements as torch gives them; {@code null} means contiguous row-major. The span
 * the strides can reach is checked against the segment when constructed, so decoding never reads outside.
 */
final class MappedTensor implements TensorRef {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** Elements converted per bulk copy, so widening BF16 needs only a small scratch array. */
    private static final int CHUNK = 1 << 16;

    private final String what;
    private final MemorySegment segment;
    private final long byteOffset;
    private final DType dtype;
    private final int[] shape;
    private final long[] strides;

    /**
     * @param what     names the tensor and file in error messages
     * @param strides  element strides, or null for contiguous
     */
    MappedTensor(String what, MemorySegment segment, long byteOffset, DType dtype, int[] shape, long[] strides) {
        this.what = what;
        this.segment = segment;
        this.byteOffset = byteOffset;
        this.dtype = dtype;
        this.shape = shape.clone();
        this.strides = strides == null || isContiguous(shape, strides) ? null : strides.clone();
        long n = Tensor.count(shape);
        long lastElement, end;
        try {
            if (n == 0) lastElement = -1;
            else if (this.strides == null) lastElement = n - 1;
            else {
                lastElement = 0;
                for (int i = 0; i < shape.length; i++) {
                    if (strides[i] < 0) throw new CheckpointException(what + ": negative stride in " + Arrays.toString(strides));
                    lastElement = Math.addExact(lastElement, Math.multiplyExact(shape[i] - 1L, strides[i]));
                }
            }
            end = Math.addExact(byteOffset, Math.multiplyExact(lastElement + 1, dtype.byteSize()));
        } catch (ArithmeticException e) {
            throw new CheckpointException(what + ": shape " + Arrays.toString(shape) + " with strides "
                    + Arrays.toString(strides) + " at byte " + byteOffset + " overflows");
        }
        if (byteOffset < 0 || end > segment.byteSize())
            throw new CheckpointException(what + ": " + dtype + Arrays.toString(shape)
                    + (this.strides == null ? "" : " with strides " + Arrays.toString(strides))
                    + " at byte " + byteOffset + " needs " + (end - byteOffset) + " bytes but only "
                    + Math.max(0, segment.byteSize() - byteOffset) + " are stored");
    }

    static boolean isContiguous(int[] shape, long[] strides) {
        if (strides.length != shape.length) throw new CheckpointException("strides " + Arrays.toString(strides)
                + " do not match shape " + Arrays.toString(shape));
        long expect = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            if (shape[i] != 1 && strides[i] != expect) return false;
            expect *= shape[i];
        }
        return true;
    }

    @Override public DType dtype() { return dtype; }

    @Override public int[] shape() { return shape.clone(); }

    /** True unless the stored strides are not row-major contiguous. */
    boolean contiguous() { return strides == null; }

    @Override
    public Tensor toFloat() {
        if (!dtype.isFloating())
            throw new CheckpointException(what + " is " + dtype + ", not a floating type; read it with toLongs()");
        float[] out = new float[arrayLength()];
        try {
            if (strides == null) readContiguous(byteOffset, out, 0, out.length);
            else forEachRun((src, dst, len) -> readStrided(src, strides[shape.length - 1], out, dst, len));
        } catch (IllegalStateException e) {
            throw new CheckpointException(what + ": the checkpoint file was closed before the tensor was read", e);
        }
        return Tensor.of(out, shape);
    }

    @Override
    public long[] toLongs() {
        if (dtype.isFloating())
            throw new CheckpointException(what + " is " + dtype + ", not an integer type; read it with toFloat()");
        long[] out = new long[arrayLength()];
        try {
            long inner = strides == null ? 1 : strides[shape.length - 1];
            if (strides == null) for (int i = 0; i < out.length; i++) out[i] = longAt(byteOffset + (long) i * dtype.byteSize());
            else forEachRun((src, dst, len) -> {
                for (int i = 0; i < len; i++) out[dst + i] = longAt(byteOffset + (src + i * inner) * dtype.byteSize());
            });
        } catch (IllegalStateException e) {
            throw new CheckpointException(what + ": the checkpoint file was closed before the tensor was read", e);
        }
        return out;
    }

    /**
     * The raw bf16 bits of a BF16 tensor in row-major order, not widened (half the memory of {@link #toFloat()}).
     * Other dtypes are refused.
     */
    short[] toBf16Bits() {
        if (dtype != DType.BF16)
            throw new CheckpointException(what + " is " + dtype + ", not BF16; read it with toFloat()");
        short[] out = new short[arrayLength()];
        try {
            if (strides == null) MemorySegment.copy(segment, I16, byteOffset, out, 0, out.length);
            else forEachRun((src, dst, len) -> {
                long inner = strides[shape.length - 1];
                for (int i = 0; i < len; i++) out[dst + i] = segment.get(I16, byteOffset + (src + i * inner) * 2);
            });
        } catch (IllegalStateException e) {
            throw new CheckpointException(what + ": the checkpoint file was closed before the tensor was read", e);
        }
        return out;
    }

    private int arrayLength() {
        long n = Tensor.count(shape);
        if (n > Integer.MAX_VALUE - 8)
            throw new CheckpointException(what + ": " + Arrays.toString(shape) + " has " + n
                    + " elements, more than one Java array holds");
        return (int) n;
    }

    private long longAt(long off) {
        return switch (dtype) {
            case I64 -> segment.get(I64, off);
            case I32 -> segment.get(I32, off);
            case I16 -> segment.get(I16, off);
            case I8 -> segment.get(ValueLayout.JAVA_BYTE, off);
            case U8, BOOL -> segment.get(ValueLayout.JAVA_BYTE, off) & 0xFF;
            default -> throw new IllegalStateException(dtype.toString());
        };
    }

    /** Reads {@code n} contiguous elements starting at byte {@code off} into {@code out[dst..]}. */
    private void readContiguous(long off, float[] out, int dst, int n) {
        switch (dtype) {
            case F32 -> MemorySegment.copy(segment, F32, off, out, dst, n);
            case BF16, F16 -> {
                short[] tmp = new short[Math.min(n, CHUNK)];
                for (int done = 0; done < n; done += tmp.length) {
                    int len = Math.min(tmp.length, n - done);
                    MemorySegment.copy(segment, I16, off + 2L * done, tmp, 0, len);
                    if (dtype == DType.BF16) for (int i = 0; i < len; i++) out[dst + done + i] = Float.intBitsToFloat(tmp[i] << 16);
                    else for (int i = 0; i < len; i++) out[dst + done + i] = Float.float16ToFloat(tmp[i]);
                }
            }
            case F64 -> {
                for (int i = 0; i < n; i++) out[dst + i] = (float) segment.get(F64, off + 8L * i);
            }
            default -> throw new IllegalStateException(dtype.toString());
        }
    }

    /** Reads {@code n} elements {@code stride} apart starting at element {@code src}. */
    private void readStrided(long src, long stride, float[] out, int dst, int n) {
        if (stride == 1) {
            readContiguous(byteOffset + src * dtype.byteSize(), out, dst, n);
            return;
        }
        int size = dtype.byteSize();
        for (int i = 0; i < n; i++) {
            long off = byteOffset + (src + i * stride) * size;
            out[dst + i] = switch (dtype) {
                case F32 -> segment.get(F32, off);
                case BF16 -> Float.intBitsToFloat(segment.get(I16, off) << 16);
                case F16 -> Float.float16ToFloat(segment.get(I16, off));
                case F64 -> (float) segment.get(F64, off);
                default -> throw new IllegalStateException(dtype.toString());
            };
        }
    }

    private interface Run {
        void accept(long srcElement, int dst, int len);
    }

    /** Visits the innermost rows of a strided tensor in row-major order of the destination. */
    private void forEachRun(Run run) {
        int rank = shape.length;
        long n = Tensor.count(shape);
        if (n == 0) return;
        if (rank == 0) {
            run.accept(0, 0, 1);
            return;
        }
        int inner = shape[rank - 1];
        int[] index = new int[rank - 1];
        for (int dst = 0; dst < n; dst += inner) {
            long src = 0;
            for (int d = 0; d < rank - 1; d++) src += index[d] * strides[d];
            run.accept(src, dst, inner);
            for (int d = rank - 2; d >= 0; d--) {
                if (++index[d] < shape[d]) break;
                index[d] = 0;
            }
        }
    }

    @Override
    public String toString() {
        return dtype + Arrays.toString(shape);
    }
}
