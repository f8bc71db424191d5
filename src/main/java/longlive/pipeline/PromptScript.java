package longlive.pipeline;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import longlive.world.Script;
import longlive.world.ScriptIo;

/**
 * The prompts of one generation and the latent frames where each later prompt starts.
 *
 * <p>Script files are LongLive JSONL ({@code {"prompts": [...]}} per line) with the Shapes world's optional
 * {@code switch_seconds} or {@code switch_frames} (latent frames); parsing is {@link ScriptIo}'s, shared with
 * {@code world}. A line without switch points splits the requested length evenly.
 *
 * @param switchLatentFrames for prompts 1..n-1, the latent frame where each starts (increasing, > 0)
 * @param lengthSeconds      the script's own length ({@code length_seconds}), 0 when not given
 */
public record PromptScript(List<String> prompts, int[] switchLatentFrames, double lengthSeconds) {

    public PromptScript {
        prompts = List.copyOf(prompts);
        if (prompts.isEmpty()) throw new IllegalArgumentException("a prompt script needs at least one prompt");
        switchLatentFrames = switchLatentFrames.clone();
        if (switchLatentFrames.length != prompts.size() - 1)
            throw new IllegalArgumentException(prompts.size() + " prompts need " + (prompts.size() - 1)
                    + " switch points, got " + switchLatentFrames.length);
        int prev = 0;
        for (int f : switchLatentFrames) {
            if (f <= prev)
                throw new IllegalArgumentException("switch points must be increasing latent frames > 0, got "
                        + java.util.Arrays.toString(switchLatentFrames));
            prev = f;
        }
    }

    @Override
    public int[] switchLatentFrames() {
        return switchLatentFrames.clone();
    }

    /** One prompt for the whole video. */
    public static PromptScript of(String prompt) {
        return new PromptScript(List.of(prompt), new int[0], 0);
    }

    /**
     * Line {@code line} (1-based, counting non-empty lines) of a JSONL script; for a line without switch points the
     * prompts share {@code latentFrames} evenly. Malformed lines are refused naming their line number.
     */
    public static PromptScript read(Path file, int line, int latentFrames) throws IOException {
        if (!Files.isRegularFile(file)) throw new IllegalArgumentException("script file not found: " + file);
        List<Script> scripts = ScriptIo.read(file);
        if (line < 1 || line > scripts.size())
            throw new IllegalArgumentException(file + " has " + scripts.size() + " script line(s); --line " + line
                    + " is out of range");
        return fromScript(scripts.get(line - 1), latentFrames);
    }

    /** Converts a parsed script line; see {@link #read}. */
    public static PromptScript fromScript(Script s, int latentFrames) {
        int n = s.prompts().size();
        int[] sw = new int[n - 1];
        if (!s.switchSeconds().isEmpty()) {
            List<Integer> l = s.switchLatentFrames();
            for (int i = 0; i < sw.length; i++) sw[i] = l.get(i);
        } else {
            for (int i = 0; i < sw.length; i++) sw[i] = (int) Math.round((double) latentFrames * (i + 1) / n);
        }
        return new PromptScript(s.prompts(), sw, s.lengthSeconds());
    }

    /** The prompt in effect at latent frame {@code frame}. */
    public int segmentAt(int frame) {
        int s = 0;
        while (s < switchLatentFrames.length && frame >= switchLatentFrames[s]) s++;
        return s;
    }

    /** Video frames of a clip of {@code latentFrames}: {@code 1 + 4(F - 1)}. */
    public static int videoFrames(int latentFrames) {
        return latentFrames <= 0 ? 0 : 1 + Script.FRAMES_PER_LATENT * (latentFrames - 1);
    }

    /** The fewest latent frames whose video lasts at least {@code seconds} at {@code fps}. */
    public static int latentFramesForSeconds(double seconds, int fps) {
        if (!(seconds > 0)) throw new IllegalArgumentException("length must be > 0 seconds, got " + seconds);
        long video = Math.max(1, Math.round(seconds * fps));
        return (int) (1 + (video - 1 + Script.FRAMES_PER_LATENT - 1) / Script.FRAMES_PER_LATENT);
    }
}
