package longlive.train;

import java.util.List;
import longlive.world.Sample;

/**
 * One training clip as the models consume it.
 *
 * @param index          position in the training split (the same index always gives the same clip)
 * @param pixels         {@code [F, 3, H, W]} in [-1, 1] (the VAE's input range)
 * @param frames         F
 * @param height         H
 * @param width          W
 * @param caption        the caption to condition on: the first segment's prompt, or "" when dropped for CFG
 * @param captionDropped whether the caption was replaced by the empty (unconditional) prompt
 * @param sample         the world sample: all prompts, switch frame and structured attributes per segment
 */
public record ClipBatch(long index, float[] pixels, int frames, int height, int width, String caption,
                        boolean captionDropped, Sample sample) {
    /** All segment prompts (one, or two with a switch), never dropped. */
    public List<String> prompts() {
        return sample.script().prompts();
    }

    /** First frame of the second prompt, or -1. */
    public int switchFrame() {
        return sample.switchFrame();
    }
}
