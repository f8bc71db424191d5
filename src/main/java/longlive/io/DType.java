package longlive.io;

import java.util.Locale;

/**
 * Element types a checkpoint may store. Names follow safetensors ({@code "F32"}, {@code "BF16"}, ...);
 * {@link #fromTorch} maps torch's dtype/storage names onto the same constants. Only the floating types can be
 * widened to a float32 {@link longlive.tensor.Tensor}; the integer types are read as {@code long[]}/{@code int[]}.
 */
public enum DType {
    F64(8), F32(4), F16(2), BF16(2), I64(8), I32(4), I16(2), I8(1), U8(1), BOOL(1);

    private final int byteSize;

    DType(int byteSize) {
        this.byteSize = byteSize;
    }

    /** Bytes per element. */
    public int byteSize() {
        return byteSize;
    }

    /** True for the types {@link TensorRef#toFloat()} can widen to float32. */
    public boolean isFloating() {
        return this == F64 || this == F32 || this == F16 || this == BF16;
    }

    /** The safetensors name, or null when {@code name} is not a dtype this reader knows. */
    public static DType fromSafetensors(String name) {
        for (DType t : values()) if (t.name().equals(name)) return t;
        return null;
    }

    /**
     * Maps a torch storage class name ({@code FloatStorage}, {@code BFloat16Storage}, ...) or dtype name
     * ({@code float32}, {@code bfloat16}, ...) to a dtype; null when unknown.
     */
    public static DType fromTorch(String name) {
        return switch (name.toLowerCase(Locale.ROOT).replace("storage", "")) {
            case "double", "float64" -> F64;
            case "float", "float32" -> F32;
            case "half", "float16" -> F16;
            case "bfloat16" -> BF16;
            case "long", "int64" -> I64;
            case "int", "int32" -> I32;
            case "short", "int16" -> I16;
            case "char", "int8" -> I8;
            case "byte", "uint8", "untyped" -> U8; // UntypedStorage holds raw bytes
            case "bool" -> BOOL;
            default -> null;
        };
    }
}
