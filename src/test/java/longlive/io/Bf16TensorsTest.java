package longlive.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Map;
import longlive.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** Raw bf16 reads: the same values as the widening read, contiguous and strided; other dtypes refused by name. */
class Bf16TensorsTest {
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @Test
    void rawBitsMatchTheWidenedReadContiguousAndStrided() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(2 * 24 + 6);
            for (int i = 0; i < 27; i++) seg.set(I16, 2L * i, (short) (0x3F00 + 37 * i));
            // [3, 4] contiguous at byte 6, and its transpose [4, 3] as torch stores a .t() view (strides {1, 4})
            MappedTensor plain = new MappedTensor("t 'w'", seg, 6, DType.BF16, new int[] {3, 4}, null);
            MappedTensor trans = new MappedTensor("t 'wt'", seg, 6, DType.BF16, new int[] {4, 3}, new long[] {1, 4});
            for (MappedTensor t : new MappedTensor[] {plain, trans}) {
                short[] bits = t.toBf16Bits();
                float[] wide = t.toFloat().data();
                for (int i = 0; i < wide.length; i++)
                    assertTrue(Float.intBitsToFloat(bits[i] << 16) == wide[i], t + " element " + i);
            }
            assertArrayEquals(new short[] {(short) (0x3F00 + 37 * 3), (short) (0x3F00 + 37 * 7)},
                    java.util.Arrays.copyOf(trans.toBf16Bits(), 2));
            StateDict sd = new StateDict("mem.safetensors", Map.of("w", plain), null);
            CheckpointException e = assertThrows(CheckpointException.class, () -> Bf16Tensors.bits(sd, "w", 4, 3));
            assertTrue(e.getMessage().contains("'w' has shape [3, 4], expected [4, 3]"), e.getMessage());
            StateDict f32 = StateDict.ofTensors("f.safetensors", Map.of("x", Tensor.zeros(2, 2)));
            e = assertThrows(CheckpointException.class, () -> Bf16Tensors.bits(f32, "x", 2, 2));
            assertTrue(e.getMessage().contains("'x' is F32, not BF16"), e.getMessage());
            assertTrue(!Bf16Tensors.isBf16(f32, "x") && Bf16Tensors.isBf16(sd, "w"));
        }
    }
}
