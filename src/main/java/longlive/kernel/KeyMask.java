package longlive.kernel;

import java.util.Arrays;
import longlive.tensor.ShapeException;

/**
 * Which keys each query may attend to: for query row {@code i}, the union of at most two half-open, disjoint
 * key intervals {@code [lo0[i], hi0[i])} and {@code [lo1[i], hi1[i])} with interval 0 before interval 1.
 * An empty interval has {@code lo == hi}; a row whose intervals are both empty attends to nothing (its
 * attention output is zero and its log-sum-exp is -inf).
 *
 * <p>Two intervals cover every mask of the reference: the block-causal mask with a local window and the
 * teacher-forcing mask (noisy frames see the clean context before their block plus their own noisy block).
 * Plain int arrays keep the kernels allocation-free. A {@code null} KeyMask means "every query sees every key".
 */
public final class KeyMask {
    final int[] lo0, hi0, lo1, hi1;
    private final int maxHi;

    /**
     * @throws ShapeException if the arrays differ in length or an interval is reversed, negative, or
     *                        overlaps/precedes interval 0
     */
    public KeyMask(int[] lo0, int[] hi0, int[] lo1, int[] hi1) {
        int nq = lo0.length;
        if (hi0.length != nq || lo1.length != nq || hi1.length != nq)
            throw new ShapeException("KeyMask: interval arrays differ in length: " + lo0.length + ", " + hi0.length
                    + ", " + lo1.length + ", " + hi1.length);
        int max = 0;
        for (int i = 0; i < nq; i++) {
            if (lo0[i] < 0 || hi0[i] < lo0[i] || lo1[i] < 0 || hi1[i] < lo1[i])
                throw new ShapeException("KeyMask: row " + i + " has a bad interval [" + lo0[i] + ", " + hi0[i] + ") or ["
                        + lo1[i] + ", " + hi1[i] + ")");
            if (lo1[i] < hi1[i] && lo0[i] < hi0[i] && lo1[i] < hi0[i])
                throw new ShapeException("KeyMask: row " + i + " intervals [" + lo0[i] + ", " + hi0[i] + ") and ["
                        + lo1[i] + ", " + hi1[i] + ") overlap or are out of order");
            max = Math.max(max, Math.max(hi0[i], hi1[i]));
        }
        this.lo0 = lo0.clone();
        this.hi0 = hi0.clone();
        this.lo1 = lo1.clone();
        this.hi1 = hi1.clone();
        this.maxHi = max;
    }

    /** Every one of {@code nq} queries sees the keys {@code [lo, hi)}. */
    public static KeyMask window(int nq, int lo, int hi) {
        int[] l = new int[nq], h = new int[nq];
        Arrays.fill(l, lo);
        Arrays.fill(h, hi);
        return new KeyMask(l, h, new int[nq], new int[nq]);
    }

    /**
     * Block-causal mask over {@code numFrames * frameSeqLen} tokens (queries and keys are the same tokens):
     * a query in attention block b (blocks of {@code framesPerBlock} frames) sees keys before the end of its
     * block, and with a local window only the last {@code localAttnSize} frames up to that end.
     * Mirrors {@code CausalWanModel._prepare_blockwise_causal_attn_mask} without its right padding to a multiple
     * of 128 (the {@code q == kv} term matters for those padding rows, and for real tokens only when the window is
     * shorter than a block: then the token itself is the first interval).
     *
     * @param localAttnSize window in frames, or -1 for unlimited
     */
    public static KeyMask blockCausal(int numFrames, int frameSeqLen, int framesPerBlock, int localAttnSize) {
        if (numFrames < 1 || frameSeqLen < 1 || framesPerBlock < 1 || (localAttnSize < 1 && localAttnSize != -1))
            throw new IllegalArgumentException("blockCausal: bad numFrames=" + numFrames + " frameSeqLen=" + frameSeqLen
                    + " framesPerBlock=" + framesPerBlock + " localAttnSize=" + localAttnSize);
        int total = numFrames * frameSeqLen, block = frameSeqLen * framesPerBlock;
        int[] lo0 = new int[total], hi0 = new int[total], lo1 = new int[total], hi1 = new int[total];
        for (int q = 0; q < total; q++) {
            int end = Math.min(total, (q / block + 1) * block);
            int lo = localAttnSize == -1 ? 0 : Math.max(0, end - localAttnSize * frameSeqLen);
            if (q < lo) {       // window shorter than a block: the reference's q == kv term adds the token itself
                lo0[q] = q;
                hi0[q] = q + 1;
            }
            lo1[q] = lo;
            hi1[q] = end;
        }
        return new KeyMask(lo0, hi0, lo1, hi1);
    }

    /**
     * Teacher-forcing mask over {@code 2 * numFrames * frameSeqLen} tokens: the clean context frames first, then the
     * noisy frames. A clean token sees the clean tokens up to the end of its block; a noisy token in block b sees
     * the clean tokens of blocks {@code < b} and the noisy tokens of its own block b.
     * Mirrors {@code CausalWanModel._prepare_teacher_forcing_mask} (without its padding rows).
     */
    public static KeyMask teacherForcing(int numFrames, int frameSeqLen, int framesPerBlock) {
        if (numFrames < 1 || frameSeqLen < 1 || framesPerBlock < 1)
            throw new IllegalArgumentException("teacherForcing: bad numFrames=" + numFrames + " frameSeqLen="
                    + frameSeqLen + " framesPerBlock=" + framesPerBlock);
        int clean = numFrames * frameSeqLen, total = 2 * clean, block = frameSeqLen * framesPerBlock;
        int[] lo0 = new int[total], hi0 = new int[total], lo1 = new int[total], hi1 = new int[total];
        for (int q = 0; q < clean; q++) hi0[q] = Math.min(clean, (q / block + 1) * block);
        for (int q = clean; q < total; q++) {
            int b = (q - clean) / block;
            hi0[q] = b * block;                                   // clean context of earlier blocks
            lo1[q] = clean + b * block;                           // own noisy block
            hi1[q] = Math.min(total, clean + (b + 1) * block);
        }
        return new KeyMask(lo0, hi0, lo1, hi1);
    }

    /** Number of query rows. */
    public int rows() {
        return lo0.length;
    }

    /** The largest key index + 1 any row refers to; the attention's nk must be at least this. */
    public int maxKey() {
        return maxHi;
    }

    public int lo0(int row) { return lo0[row]; }
    public int hi0(int row) { return hi0[row]; }
    public int lo1(int row) { return lo1[row]; }
    public int hi1(int row) { return hi1[row]; }

    /** Whether query {@code row} may attend to key {@code key}. */
    public boolean allows(int row, int key) {
        return (key >= lo0[row] && key < hi0[row]) || (key >= lo1[row] && key < hi1[row]);
    }
}
