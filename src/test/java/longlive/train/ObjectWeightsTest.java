package longlive.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import longlive.world.Background;
import longlive.world.Motion;
import longlive.world.NamedColor;
import longlive.world.ObjectSpec;
import longlive.world.SceneSpec;
import longlive.world.Script;
import longlive.world.ScriptWorld;
import longlive.world.Segment;
import longlive.world.Shape;
import longlive.world.SizeClass;
import org.junit.jupiter.api.Test;

class ObjectWeightsTest {
    private static Script oneObject(Motion motion, double x, double y) {
        SceneSpec scene = new SceneSpec(Background.solid(NamedColor.BLACK),
                List.of(new ObjectSpec(0, Shape.SQUARE, NamedColor.WHITE, SizeClass.SMALL, motion, x, y, 0)));
        return new Script(List.of("x"), List.of(), 2, 16, new ScriptWorld(0, 1, List.of(new Segment(scene, false))));
    }

    /** A still object near the top-left: weight 1 + λ on the cell under it, exactly 1 far from it, in every latent frame. */
    @Test
    void theCellsUnderTheObjectGetTheExtraWeight() {
        float[] w = ObjectWeights.cellWeights(oneObject(Motion.STILL, 0.2, 0.2), 64, 3, 8, 3.0);
        assertEquals(3 * 8 * 8, w.length);
        for (int f = 0; f < 3; f++) {
            int base = f * 64;
            // (0.2, 0.2) of a unit world is pixel (12.8, 12.8): latent cell (1, 1)
            assertEquals(4f, w[base + 8 + 1], 1e-6f, "frame " + f);
            assertEquals(1f, w[base + 7 * 8 + 7], "frame " + f);
            for (float v : Arrays.copyOfRange(w, base, base + 64)) assertTrue(v >= 1f && v <= 4f);
        }
        for (float v : ObjectWeights.cellWeights(oneObject(Motion.STILL, 0.2, 0.2), 64, 3, 8, 0.0)) assertEquals(1f, v);
    }

    /** A moving object's weighted cells follow it: latent frame l covers video frames 4l − 3 … 4l. */
    @Test
    void theWeightsFollowAMovingObject() {
        float[] w = ObjectWeights.cellWeights(oneObject(Motion.BOUNCING, 0.5, 0.5), 64, 8, 8, 1.0);
        int changed = 0;
        for (int f = 1; f < 8; f++) {
            int diff = 0;
            for (int c = 0; c < 64; c++) diff += w[f * 64 + c] != w[(f - 1) * 64 + c] ? 1 : 0;
            changed += diff > 0 ? 1 : 0;
        }
        assertTrue(changed >= 5, "the weight map changed in only " + changed + " of 7 latent frames");
        assertThrows(IllegalArgumentException.class, () -> ObjectWeights.cellWeights(oneObject(Motion.STILL, 0.5, 0.5), 64, 3, 7, 1));
        assertThrows(IllegalArgumentException.class, () -> ObjectWeights.cellWeights(oneObject(Motion.STILL, 0.5, 0.5), 64, 3, 8, -1));
    }
}
