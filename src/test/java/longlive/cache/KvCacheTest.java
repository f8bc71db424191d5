package longlive.cache;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The cache arithmetic of the reference (causal_model.py) on a window of 4 frames of 2 tokens, 1 sink frame,
 * blocks of 1 frame, dim 1: each key holds a label so moves are visible.
 */
class KvCacheTest {
    static final int FS = 2, DIM = 1;

    static KvCache cache() {
        return new KvCache(4 * FS, DIM, 1 * FS, true, 4 * FS);
    }

    /** Runs a forward over frame {@code frame} (FS tokens) with keys labelled {@code label}, then commits. */
    static CacheUpdate run(KvCache c, int frame, float label, boolean sinkRecache) {
        CacheUpdate u = c.plan(frame * FS, FS, sinkRecache);
        float[] k = {label, label + 0.5f};
        c.write(u, k, k);
        c.commit(u);
        return u;
    }

    @Test
    void fillsThenRollsKeepingTheSink() {
        KvCache c = cache();
        for (int f = 0; f < 4; f++) {
            CacheUpdate u = run(c, f, 10 * f, false);
            assertInstanceOf(CacheUpdate.DirectInsert.class, u);
            assertEquals((f + 1) * FS, c.localEndIndex());
            assertEquals((f + 1) * FS, c.globalEndIndex());
        }
        assertArrayEquals(new float[] {0, .5f, 10, 10.5f, 20, 20.5f, 30, 30.5f}, c.keys());
        // frame 4: the window is full; frame 1 (the oldest non-sink) is evicted, the sink (frame 0) stays
        CacheUpdate u = run(c, 4, 40, false);
        CacheUpdate.RollAndInsert r = assertInstanceOf(CacheUpdate.RollAndInsert.class, u);
        assertEquals(FS, r.evictedTokens());
        assertEquals(2 * FS, r.rolledTokens());
        assertEquals(4 * FS, r.localEnd());
        assertArrayEquals(new float[] {0, .5f, 20, 20.5f, 30, 30.5f, 40, 40.5f}, c.keys());
        assertEquals(5 * FS, c.globalEndIndex());
        assertEquals(4 * FS, c.localEndIndex());
        run(c, 5, 50, false);
        assertArrayEquals(new float[] {0, .5f, 30, 30.5f, 40, 40.5f, 50, 50.5f}, c.values());
    }

    @Test
    void repeatedStepsOverwriteTheTailWithoutAdvancing() {
        KvCache c = cache();
        for (int f = 0; f < 5; f++) run(c, f, 10 * f, false);
        // a second denoising step of frame 4: recompute, writes the tail, indices unchanged
        CacheUpdate u = run(c, 4, 99, false);
        assertTrue(u.isRecompute());
        assertInstanceOf(CacheUpdate.DirectInsert.class, u);
        assertArrayEquals(new float[] {0, .5f, 20, 20.5f, 30, 30.5f, 99, 99.5f}, c.keys());
        assertEquals(5 * FS, c.globalEndIndex());
        assertEquals(4 * FS, c.localEndIndex());
    }

    @Test
    void firstBlockIsNeverARecomputeSoItMayWriteTheSink() {
        KvCache c = cache();
        run(c, 0, 1, false);
        CacheUpdate u = run(c, 0, 2, false); // the reference requires current_start > 0 for a recompute
        assertFalse(u.isRecompute());
        assertEquals(2f, c.keys()[0]);
    }

    @Test
    void recomputeProtectsTheSinkUnlessSinkRecache() {
        KvCache c = cache();
        for (int f = 0; f < 5; f++) run(c, f, 10 * f, false);
        // recache of the whole window [frames 1..4] at global start 1 frame: recompute, sink slots protected
        CacheUpdate u = c.plan(1 * FS, 4 * FS, false);
        assertTrue(u.isRecompute());
        assertEquals(0, u.localStart());
        assertEquals(FS, u.writeStart());
        assertEquals(FS, u.newOffset());
        float[] k = {7, 7, 7, 7, 7, 7, 7, 7};
        c.write(u, k, k);
        c.commit(u);
        assertArrayEquals(new float[] {0, .5f, 7, 7, 7, 7, 7, 7}, c.keys());
        // global_sink false: the sink slots are rewritten too
        CacheUpdate all = c.plan(1 * FS, 4 * FS, true);
        assertEquals(0, all.writeStart());
        c.write(all, new float[] {8, 8, 8, 8, 8, 8, 8, 8}, new float[8]);
        assertEquals(8f, c.keys()[0]);
        assertEquals(5 * FS, c.globalEndIndex());
    }

    @Test
    void attentionSeesSinkPlusRecentWithinTheBudget() {
        KvCache c = new KvCache(6 * FS, DIM, FS, true, 3 * FS); // max attention 3 frames: sink + 2 most recent
        for (int f = 0; f < 5; f++) run(c, f, f, false);
        KvCache.KeyRanges r = c.attentionRanges(c.plan(5 * FS, FS, false));
        assertEquals(new KvCache.KeyRanges(0, FS, 4 * FS, 6 * FS), r);
        assertFalse(r.hi0() == r.lo1());
        assertEquals(3 * FS, r.count());
        // a full window with max attention = capacity: everything, contiguous
        KvCache d = cache();
        for (int f = 0; f < 6; f++) run(d, f, f, false);
        KvCache.KeyRanges all = d.attentionRanges(d.plan(6 * FS, FS, false));
        assertEquals(new KvCache.KeyRanges(0, FS, FS, 4 * FS), all);
    }

    @Test
    void refusesBlocksThatDoNotFitAndZeroKeepsIndices() {
        KvCache global = new KvCache(4 * FS, DIM, FS, false, 100);
        for (int f = 0; f < 4; f++) run(global, f, f, false);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> global.plan(4 * FS, FS, false));
        assertTrue(e.getMessage().contains("outside"), e.getMessage());
        global.zeroData();
        assertEquals(4 * FS, global.globalEndIndex());
        assertArrayEquals(new float[8], global.keys());
        global.reset();
        assertEquals(0, global.globalEndIndex());
        assertThrows(IllegalArgumentException.class, () -> new KvCache(4, 1, 5, true, 4));
    }
}
