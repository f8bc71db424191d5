package longlive.kernel;

/**
 * Precomputed cos/sin of Wan's 3D rotary embedding for one head size (wan/modules/model.py {@code rope_params},
 * split as in {@code rope_apply}). Built once per (headDim, maxPositions) and shared by every layer and call.
 *
 * <p>The {@code c = headDim / 2} complex pairs (adjacent elements {@code x[2i], x[2i+1]}) are split into
 * {@code c - 2 * (c / 3)} temporal, {@code c / 3} height and {@code c / 3} width pairs (head 128: 22, 21, 21).
 * A part with {@code p} pairs has frequencies {@code freq_j = 1 / theta^(2j / (2p))}, j = 0..p-1, and position
 * {@code n} rotates pair j by {@code n * freq_j}. Angles, cos and sin are computed in float64 (as the reference)
 * and stored rounded to float32, expanded per element: {@code cos[2j] = cos[2j+1] = cos(a)},
 * {@code sin[2j] = -sin(a)}, {@code sin[2j+1] = +sin(a)}, so that a rotation is
 * {@code y = x * cos + swapPairs(x) * sin}.
 *
 * <p>Every part holds {@code maxPositions} rows (the reference: 1024), which caps the frame index as well as the
 * grid height and width.
 */
public final class RopeTable {
    /** The reference table length: positions 0..1023. */
    public static final int WAN_MAX_POSITIONS = 1024;
    /** The reference theta. */
    public static final double WAN_THETA = 10000.0;

    private final int headDim;
    private final int maxPositions;
    private final int temporalPairs;
    private final int spatialPairs;
    private final float[] tCos, tSin, hCos, hSin; // [maxPositions, 2 * pairs] each; width uses hCos/hSin

    /**
     * @param headDim      even, >= 2
     * @param maxPositions rows of the table, >= 1
     * @param theta        base of the frequencies, > 0
     */
    public RopeTable(int headDim, int maxPositions, double theta) {
        if (headDim < 2 || headDim % 2 != 0)
            throw new IllegalArgumentException("rope table: headDim must be even and >= 2, got " + headDim);
        if (maxPositions < 1)
            throw new IllegalArgumentException("rope table: maxPositions must be >= 1, got " + maxPositions);
        if (!(theta > 0)) throw new IllegalArgumentException("rope table: theta must be > 0, got " + theta);
        this.headDim = headDim;
        this.maxPositions = maxPositions;
        int c = headDim / 2;
        this.spatialPairs = c / 3;
        this.temporalPairs = c - 2 * spatialPairs;
        this.tCos = new float[maxPositions * 2 * temporalPairs];
        this.tSin = new float[tCos.length];
        this.hCos = new float[maxPositions * 2 * spatialPairs];
        this.hSin = new float[hCos.length];
        fill(tCos, tSin, temporalPairs, maxPositions, theta);
        // the height and width parts have the same size, hence identical tables (the reference builds both)
        fill(hCos, hSin, spatialPairs, maxPositions, theta);
    }

    /** The table the Wan/LongLive reference builds: 1024 positions, theta 10000. */
    public static RopeTable wan(int headDim) {
        return new RopeTable(headDim, WAN_MAX_POSITIONS, WAN_THETA);
    }

    private static void fill(float[] cos, float[] sin, int pairs, int positions, double theta) {
        int dimPart = 2 * pairs;
        for (int n = 0; n < positions; n++) {
            for (int j = 0; j < pairs; j++) {
                double angle = n * angleFrequency(j, dimPart, theta);
                double cs = Math.cos(angle), sn = Math.sin(angle);
                int at = n * dimPart + 2 * j;
                cos[at] = (float) cs;
                cos[at + 1] = (float) cs;
                sin[at] = (float) -sn;
                sin[at + 1] = (float) sn;
            }
        }
    }

    /** {@code 1 / theta^(2j / dimPart)} in float64, as {@code rope_params}. */
    static double angleFrequency(int j, int dimPart, double theta) {
        return 1.0 / Math.pow(theta, (2.0 * j) / dimPart);
    }

    public int headDim() {
        return headDim;
    }

    public int maxPositions() {
        return maxPositions;
    }

    /** Complex pairs rotated by the frame index (head 128: 22). */
    public int temporalPairs() {
        return temporalPairs;
    }

    /** Complex pairs rotated by the row index, and as many by the column index (head 128: 21 each). */
    public int spatialPairs() {
        return spatialPairs;
    }

    /**
     * Throws an {@link IllegalArgumentException} unless frames {@code [startFrame, startFrame + frames)} and a
     * {@code gridH x gridW} grid fit in the table.
     */
    public void requirePositions(String op, int startFrame, int frames, int gridH, int gridW) {
        if (startFrame < 0 || frames < 0 || gridH < 0 || gridW < 0)
            throw new IllegalArgumentException(op + ": negative RoPE position or size (startFrame " + startFrame
                    + ", frames " + frames + ", grid " + gridH + "x" + gridW + ")");
        if ((long) startFrame + frames > maxPositions)
            throw new IllegalArgumentException(op + ": frame positions " + startFrame + ".." + (startFrame + frames - 1L)
                    + " are past the RoPE table, which holds positions 0.." + (maxPositions - 1)
                    + " (use the relative RoPE mode for longer streams)");
        if (gridH > maxPositions || gridW > maxPositions)
            throw new IllegalArgumentException(op + ": grid " + gridH + "x" + gridW + " is larger than the RoPE table ("
                    + maxPositions + " positions)");
    }

    /**
     * Writes the expanded per-element cos and signed sin of token (frame position f, row h, column w) into
     * {@code cos[0, headDim)} and {@code sin[0, headDim)}: temporal part, then height, then width.
     */
    void fillRow(int f, int h, int w, float[] cos, float[] sin) {
        int t2 = 2 * temporalPairs, s2 = 2 * spatialPairs;
        System.arraycopy(tCos, f * t2, cos, 0, t2);
        System.arraycopy(tSin, f * t2, sin, 0, t2);
        System.arraycopy(hCos, h * s2, cos, t2, s2);
        System.arraycopy(hSin, h * s2, sin, t2, s2);
        System.arraycopy(hCos, w * s2, cos, t2 + s2, s2);
        System.arraycopy(hSin, w * s2, sin, t2 + s2, s2);
    }
}
