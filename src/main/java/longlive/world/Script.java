package longlive.world;

import java.util.ArrayList;
import java.util.List;

/**
 * A multi-segment prompt script: LongLive's JSONL line ({@code {"prompts": [...]}}) extended with switch times,
 * length, frame rate and (optionally) the structured world. See docs/world.md for the format.
 *
 * @param prompts       one prompt per segment
 * @param switchSeconds when segment i+1 starts, one fewer than prompts; empty when a plain LongLive line gave none
 * @param lengthSeconds video length; 0 when unknown (a plain LongLive line)
 * @param fps           video frame rate (LongLive: 16)
 * @param world         the structured scenes, or null for a prompt-only script (can be evaluated, not rendered)
 */
public record Script(List<String> prompts, List<Double> switchSeconds, double lengthSeconds, int fps, ScriptWorld world) {
    public static final int DEFAULT_FPS = 16;
    /** Video frames per latent frame after the first (Wan's VAE: 4x temporal compression). */
    public static final int FRAMES_PER_LATENT = 4;

    public Script {
        prompts = List.copyOf(prompts);
        switchSeconds = List.copyOf(switchSeconds);
        if (prompts.isEmpty()) throw new IllegalArgumentException("script needs at least one prompt");
        if (fps < 1) throw new IllegalArgumentException("fps must be >= 1, got " + fps);
        if (!switchSeconds.isEmpty() && switchSeconds.size() != prompts.size() - 1) {
            throw new IllegalArgumentException("script has " + prompts.size() + " prompts but " + switchSeconds.size()
                    + " switch times (need one fewer than prompts)");
        }
        double prev = 0;
        for (double s : switchSeconds) {
            if (!(s > prev)) throw new IllegalArgumentException("switch times must be positive and increasing, got " + switchSeconds);
            prev = s;
        }
        if (!(lengthSeconds >= 0) || (lengthSeconds > 0 && lengthSeconds <= prev)) {
            throw new IllegalArgumentException("length_seconds " + lengthSeconds + " must exceed the last switch time " + prev);
        }
        if (world != null && world.segments().size() != prompts.size()) {
            throw new IllegalArgumentException("world has " + world.segments().size() + " segments for " + prompts.size() + " prompts");
        }
        if (world != null && prompts.size() > 1 && switchSeconds.isEmpty()) {
            throw new IllegalArgumentException("a script with a world and several segments needs switch times");
        }
    }

    public int segments() {
        return prompts.size();
    }

    /** Total video frames, or 0 when the length is unknown. */
    public int totalFrames() {
        return (int) Math.round(lengthSeconds * fps);
    }

    /** First video frame of each segment after the first. */
    public int[] switchFrames() {
        int[] f = new int[switchSeconds.size()];
        for (int i = 0; i < f.length; i++) f[i] = (int) Math.round(switchSeconds.get(i) * fps);
        return f;
    }

    /**
     * Switch frames for a video of {@code frames} frames: the script's own, or, for a plain LongLive line without
     * times, equal shares of the video.
     */
    public int[] switchFrames(int frames) {
        if (!switchSeconds.isEmpty() || prompts.size() == 1) return switchFrames();
        int[] f = new int[prompts.size() - 1];
        for (int i = 0; i < f.length; i++) f[i] = (int) Math.round((double) frames * (i + 1) / prompts.size());
        return f;
    }

    /** The segment that video frame {@code frame} belongs to. */
    public static int segmentAt(int[] switchFrames, int frame) {
        int s = 0;
        while (s < switchFrames.length && frame >= switchFrames[s]) s++;
        return s;
    }

    /** Latent frame of video frame n: frame 0 alone is latent 0, then four video frames per latent frame. */
    public static int latentOfVideoFrame(int n) {
        return n == 0 ? 0 : 1 + (n - 1) / FRAMES_PER_LATENT;
    }

    /** First video frame of latent frame l. */
    public static int firstVideoFrameOfLatent(int l) {
        return l == 0 ? 0 : 1 + FRAMES_PER_LATENT * (l - 1);
    }

    /** LongLive's switch_frame_indices (latent frames) for this script's switch times. */
    public List<Integer> switchLatentFrames() {
        List<Integer> out = new ArrayList<>();
        for (int f : switchFrames()) out.add(latentOfVideoFrame(f));
        return out;
    }
}
