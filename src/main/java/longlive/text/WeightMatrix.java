package longlive.text;

import longlive.kernel.MatMul;

/**
 * A weight matrix {@code [rows, cols]}, row-major, stored either as float32 or as bf16 bits (the top 16 bits of a
 * float32, in a {@code short[]}). bf16 halves the memory of a bf16 checkpoint (umT5-XXL: 11.4 GB instead of 22.8 GB)
 * and loses nothing, since every bf16 value widens exactly to a float; the GEMM widens while packing
 * ({@link MatMul#gemmBf16}), so the product is bit-identical to the float32 one on the widened weights.
 *
 * <p>Training code needs float32: {@link #floats()} returns the live float32 array of a float32 matrix and refuses a
 * bf16 one; {@link T5Weights#toFloat32()} converts a whole model.
 */
public final class WeightMatrix {
    private final int rows, cols;
    private final float[] f32;   // exactly one of f32 / bf16 is non-null
    private final short[] bf16;

    private WeightMatrix(int rows, int cols, float[] f32, short[] bf16) {
        if (rows < 0 || cols < 0) throw new IllegalArgumentException("weight matrix [" + rows + ", " + cols + "]");
        long n = (long) rows * cols;
        int len = f32 != null ? f32.length : bf16.length;
        if (len != n)
            throw new IllegalArgumentException("weight matrix [" + rows + ", " + cols + "] needs " + n
                    + " elements, its array has " + len);
        this.rows = rows;
        this.cols = cols;
        this.f32 = f32;
        this.bf16 = bf16;
    }

    /** Wraps (does not copy) a float32 array. */
    public static WeightMatrix ofFloats(int rows, int cols, float[] data) {
        return new WeightMatrix(rows, cols, java.util.Objects.requireNonNull(data), null);
    }

    /** Wraps (does not copy) bf16 bits. */
    public static WeightMatrix ofBf16(int rows, int cols, short[] bits) {
        return new WeightMatrix(rows, cols, null, java.util.Objects.requireNonNull(bits));
    }

    /** A zero float32 matrix. */
    public static WeightMatrix zeros(int rows, int cols) {
        return ofFloats(rows, cols, new float[Math.multiplyExact(rows, cols)]);
    }

    public int rows() {
        return rows;
    }

    public int cols() {
        return cols;
    }

    public boolean isBf16() {
        return bf16 != null;
    }

    /** Bytes the stored array takes (4 or 2 per element). */
    public long bytes() {
        return (long) rows * cols * (isBf16() ? 2 : 4);
    }

    /**
     * The float32 array itself (shared, writable; what training and in-place tests use).
     *
     * @throws IllegalStateException if the matrix is held in bf16 (use {@link #toFloats()} for a widened copy)
     */
    public float[] floats() {
        if (f32 == null)
            throw new IllegalStateException("weight matrix [" + rows + ", " + cols + "] is held as bf16; "
                    + "use toFloats() for a widened copy or load the model in float32");
        return f32;
    }

    /**
     * The bf16 bits themselves (shared).
     *
     * @throws IllegalStateException if the matrix is held in float32
     */
    public short[] bf16Bits() {
        if (bf16 == null)
            throw new IllegalStateException("weight matrix [" + rows + ", " + cols + "] is held as float32");
        return bf16;
    }

    /** A new float32 array with the values (bf16 widened exactly). */
    public float[] toFloats() {
        if (f32 != null) return f32.clone();
        float[] out = new float[bf16.length];
        for (int i = 0; i < out.length; i++) out[i] = widen(bf16[i]);
        return out;
    }

    /** The same values held in float32 (this matrix if it already is). */
    public WeightMatrix toFloat32() {
        return f32 != null ? this : ofFloats(rows, cols, toFloats());
    }

    /** The values rounded to bf16 (round to nearest even, as torch's {@code .to(torch.bfloat16)}). */
    public WeightMatrix toBf16() {
        if (bf16 != null) return this;
        short[] out = new short[f32.length];
        for (int i = 0; i < out.length; i++) out[i] = roundToBf16(f32[i]);
        return ofBf16(rows, cols, out);
    }

    /** Element {@code [r, c]} as a float. */
    public float get(int r, int c) {
        int i = r * cols + c;
        return f32 != null ? f32[i] : widen(bf16[i]);
    }

    /** Copies row {@code r} (widened) into {@code dst[off .. off + cols)}: the embedding gather. */
    public void copyRow(int r, float[] dst, int off) {
        if (r < 0 || r >= rows) throw new IndexOutOfBoundsException("row " + r + " of " + rows);
        int from = r * cols;
        if (f32 != null) System.arraycopy(f32, from, dst, off, cols);
        else for (int j = 0; j < cols; j++) dst[off + j] = widen(bf16[from + j]);
    }

    /**
     * PyTorch {@code nn.Linear} without bias, this matrix being {@code W [out = rows, in = cols]}:
     * {@code y[n x rows] (+)= x[n x cols] . W^T}.
     *
     * @param accumulate true: y += result; false: y = result
     */
    public void linear(MatMul mm, int n, float[] x, int xOff, float[] y, int yOff, boolean accumulate) {
        if (f32 != null) mm.gemm(n, rows, cols, x, xOff, false, f32, 0, true, null, y, yOff, accumulate);
        else mm.gemmBf16(n, rows, cols, x, xOff, false, bf16, 0, true, null, y, yOff, accumulate);
    }

    /** A bf16 value widened to float32 (exact). */
    public static float widen(short bits) {
        return Float.intBitsToFloat(bits << 16);
    }

    /** Rounds to the nearest bf16, ties to even; NaN stays a (quiet) NaN, infinities stay infinite. */
    public static short roundToBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) return (short) ((bits >>> 16) | 0x40);
        bits += 0x7FFF + ((bits >>> 16) & 1);
        return (short) (bits >>> 16);
    }

    @Override
    public String toString() {
        return (isBf16() ? "BF16" : "F32") + "[" + rows + ", " + cols + "]";
    }
}
