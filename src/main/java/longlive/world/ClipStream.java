package longlive.world;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import longlive.video.Mp4Writer;

/**
 * An unbounded, seeded stream of training samples generated on the fly (no data set on disk): sample i is a
 * fresh random one- or two-segment script rendered at the requested size, fully determined by (seed, i).
 * Use different seeds for training and the held-out set.
 */
public final class ClipStream implements Iterator<Sample> {
    /**
     * @param width             frame width (>= 32)
     * @param height            frame height (>= 32)
     * @param frames            frames per clip (>= 16; LongLive trains on 81 = 21 latent frames)
     * @param switchProbability share of clips that contain one prompt switch
     * @param fps               frame rate
     */
    public record Options(int width, int height, int frames, double switchProbability, int fps) {
        public Options {
            if (width < 32 || height < 32) throw new IllegalArgumentException("clips must be at least 32x32, got " + width + "x" + height);
            if (frames < 16) throw new IllegalArgumentException("clips need at least 16 frames, got " + frames);
            if (!(switchProbability >= 0 && switchProbability <= 1)) throw new IllegalArgumentException("switchProbability must be in 0..1");
            if (fps < 1) throw new IllegalArgumentException("fps must be >= 1");
        }

        public static Options of(int size, int frames) {
            return new Options(size, size, frames, 0.3, Script.DEFAULT_FPS);
        }
    }

    private final long seed;
    private final Options opt;
    private long next;

    public ClipStream(long seed, Options opt) {
        this.seed = seed;
        this.opt = opt;
    }

    @Override
    public boolean hasNext() {
        return true;
    }

    @Override
    public Sample next() {
        return sample(next++);
    }

    /** Sample i of this stream, independent of what was read before. */
    public Sample sample(long index) {
        Script script = script(index);
        return new Sample(index, script, GroundTruth.frames(script, opt.width(), opt.height()));
    }

    /** The script of sample {@code index}, without rendering it. */
    public Script script(long index) {
        long s = mix(seed, index);
        boolean withSwitch = (mix(s, 1) >>> 11) * 0x1.0p-53 < opt.switchProbability();
        double length = (double) opt.frames() / opt.fps();
        return ScriptGenerator.generate(s, new ScriptGenerator.Options(length, withSwitch ? 2 : 1,
                (double) opt.width() / opt.height(), opt.fps(), 0.1, true, SceneSpec.MAX_OBJECTS));
    }

    /** The script seed sample {@code index} is generated from (lets a training split exclude held-out scripts). */
    public long scriptSeed(long index) {
        return mix(seed, index);
    }

    /** SplitMix64 finaliser of (seed, index): neighbouring indices give unrelated scripts. */
    static long mix(long seed, long index) {
        long z = seed * 0x9E3779B97F4A7C15L + index * 0xBF58476D1CE4E5B9L + 0x94D049BB133111EBL;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /**
     * Writes samples 0..count-1 as {@code clip_00000.mp4, ...} plus {@code clips.jsonl} (one script per line, in
     * order) into {@code dir}: a fixed held-out set.
     */
    public void export(Path dir, int count) throws IOException {
        Files.createDirectories(dir);
        List<Script> scripts = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Sample s = sample(i);
            try (Mp4Writer w = new Mp4Writer(dir.resolve(String.format("clip_%05d.mp4", i)), opt.fps())) {
                for (var f : s.frames()) w.write(f);
            }
            scripts.add(s.script());
        }
        ScriptIo.write(dir.resolve("clips.jsonl"), scripts);
    }
}
