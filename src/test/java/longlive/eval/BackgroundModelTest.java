package longlive.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import longlive.video.Frame;
import org.junit.jupiter.api.Test;

/** The background estimate of frames with very few colours (a frozen or collapsed video's frames). */
class BackgroundModelTest {
    @Test
    void aFrameOfTwoFlatColoursIsATwoColourPalette() {
        Frame f = Frame.black(64, 64);
        for (int y = 0; y < 64; y++)
            for (int x = 0; x < 64; x++) if (((x / 8) + (y / 8)) % 2 == 0) f.set(x, y, 120, 20, 20);
        BackgroundModel m = BackgroundModel.estimate(f);   // fewer than 12 colours: used to index bin -1
        assertTrue(m.isPalette());
        assertEquals(2, m.palette().length);
    }

    @Test
    void aSingleColourFrameIsAOneColourPalette() {
        BackgroundModel m = BackgroundModel.estimate(Frame.black(32, 32));
        assertTrue(m.isPalette());
        assertEquals(1, m.palette().length);
    }
}
