package longlive.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import longlive.world.ClipStream;
import org.junit.jupiter.api.Test;

class ClipBatchSourceTest {
    private static final ClipStream.Options OPT = new ClipStream.Options(32, 32, 16, 0.5, 16);

    @Test
    void clipsAreSeededRandomAccessAndInRange() {
        ClipBatchSource src = new ClipBatchSource(7, OPT, 0.0, ClipBatchSource.HELD_OUT_SEED, 100);
        ClipBatch a = src.clip(3), again = new ClipBatchSource(7, OPT, 0.0, ClipBatchSource.HELD_OUT_SEED, 100).clip(3);
        assertArrayEquals(a.pixels(), again.pixels());
        assertEquals(a.caption(), again.caption());
        assertEquals(16 * 3 * 32 * 32, a.pixels().length);
        float lo = 1, hi = -1;
        for (float v : a.pixels()) {
            lo = Math.min(lo, v);
            hi = Math.max(hi, v);
        }
        assertTrue(lo >= -1 && hi <= 1 && hi - lo > 0.2, "pixels in [-1, 1] with content: " + lo + ".." + hi);
        assertFalse(a.caption().isEmpty());
        assertEquals(a.sample().caption(), a.caption());
        assertNotEquals(a.caption() + a.switchFrame(), src.clip(4).caption() + src.clip(4).switchFrame());
        // pixel (x=5, y=2) of frame 1, channel G, from the rendered RGB bytes
        int rgb = a.sample().frames().get(1).get(5, 2, 1);
        assertEquals(rgb / 127.5f - 1f, a.pixels()[(1 * 3 + 1) * 32 * 32 + 2 * 32 + 5], 1e-6f);
        assertEquals(2, src.batch(1, 2).size());
        assertEquals(src.clip(2).caption(), src.batch(1, 2).get(0).caption());
    }

    @Test
    void captionDropoutFollowsItsProbability() {
        ClipBatchSource src = new ClipBatchSource(9, new ClipStream.Options(32, 32, 16, 0.0, 16), 0.25, 1000003, 10);
        int dropped = 0, n = 2000;
        for (int i = 0; i < n; i++) if (src.dropsCaption(i)) dropped++;
        assertTrue(dropped > 440 && dropped < 560, "dropped " + dropped + " of " + n + " at p = 0.25");
        int seen = 0;
        for (int i = 0; seen < 2; i++) {
            if (!src.dropsCaption(i)) continue;
            ClipBatch c = src.clip(i);
            assertTrue(c.captionDropped());
            assertEquals("", c.caption());
            assertFalse(c.prompts().get(0).isEmpty(), "the world sample keeps its prompt");
            seen++;
        }
        assertFalse(src.clip(nextKept(src)).captionDropped());
    }

    private static int nextKept(ClipBatchSource src) {
        int i = 0;
        while (src.dropsCaption(i)) i++;
        return i;
    }

    @Test
    void neverServesAHeldOutScript() {
        // Training on the held-out stream's own seed is refused.
        assertThrows(IllegalArgumentException.class, () -> new ClipBatchSource(5, OPT, 0, 5, 10));
        ClipStream train = new ClipStream(11, OPT);
        ClipBatchSource src = new ClipBatchSource(11, OPT, 0, 12, 0);
        assertEquals(4, src.streamIndex(4));
        // Pretend the held-out set contains training clip 4's script: it must be replaced.
        ClipBatchSource guarded = new ClipBatchSource(11, OPT, 0, 12, 0);
        guarded.excludeScriptSeed(train.scriptSeed(4));
        assertNotEquals(4, guarded.streamIndex(4));
        assertNotEquals(train.scriptSeed(4), train.scriptSeed(guarded.streamIndex(4)));
        assertEquals(5, guarded.streamIndex(5));
    }
}
