package longlive.world;

import java.util.List;
import longlive.video.Frame;

/**
 * One training sample: a short clip, its script (prompts = captions, world = the structured attributes behind
 * them) and, when the clip contains a prompt switch, the frame where the second prompt starts.
 *
 * @param index  position in the stream
 * @param script one or two segments
 * @param frames the rendered clip
 */
public record Sample(long index, Script script, List<Frame> frames) {
    public Sample {
        frames = List.copyOf(frames);
    }

    /** Caption of the clip's first segment. */
    public String caption() {
        return script.prompts().get(0);
    }

    /** Structured attributes of segment i. */
    public SceneSpec attributes(int segment) {
        return script.world().segments().get(segment).scene();
    }

    /** First frame of the second prompt, or -1 without a switch. */
    public int switchFrame() {
        int[] s = script.switchFrames();
        return s.length == 0 ? -1 : s[0];
    }
}
