package longlive.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import longlive.tensor.ShapeException;
import org.junit.jupiter.api.Test;

/** The mask factories against the reference's mask predicates, written out literally. */
class KeyMaskTest {

    @Test
    void blockCausalMatchesReferencePredicate() {
        for (int local : new int[] {-1, 1, 2}) {
            int frames = 5, fsl = 3, perBlock = 2, total = frames * fsl, block = fsl * perBlock;
            KeyMask mask = KeyMask.blockCausal(frames, fsl, perBlock, local);
            for (int q = 0; q < total; q++) {
                int end = Math.min(total, (q / block) * block + block);   // ends[q] of the reference
                for (int kv = 0; kv < total; kv++) {
                    boolean ref = local == -1 ? kv < end || q == kv
                            : (kv < end && kv >= end - local * fsl) || q == kv;
                    assertEquals(ref, mask.allows(q, kv), "local=" + local + " q=" + q + " kv=" + kv);
                }
            }
        }
    }

    @Test
    void teacherForcingMatchesReferencePredicate() {
        int frames = 4, fsl = 3, perBlock = 2, clean = frames * fsl, total = 2 * clean, block = fsl * perBlock;
        KeyMask mask = KeyMask.teacherForcing(frames, fsl, perBlock);
        for (int q = 0; q < total; q++)
            for (int kv = 0; kv < total; kv++) {
                boolean cleanMask = q < clean && kv < (q / block) * block + block;
                int b = (q - clean) / block, start = clean + b * block;
                boolean noise = q >= clean && ((kv >= start && kv < start + block) || kv < b * block);
                assertEquals(q == kv || cleanMask || noise, mask.allows(q, kv), "q=" + q + " kv=" + kv);
            }
    }

    @Test
    void rejectsOverlappingOrReversedIntervals() {
        assertThrows(ShapeException.class, () -> new KeyMask(new int[] {0}, new int[] {5}, new int[] {3}, new int[] {6}));
        assertThrows(ShapeException.class, () -> new KeyMask(new int[] {4}, new int[] {2}, new int[] {0}, new int[] {0}));
        assertThrows(ShapeException.class, () -> new KeyMask(new int[] {0}, new int[] {1, 2}, new int[] {0}, new int[] {0}));
    }
}
