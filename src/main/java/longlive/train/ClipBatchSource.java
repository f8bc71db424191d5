package longlive.train;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import longlive.video.Frame;
import longlive.world.ClipStream;
import longlive.world.Sample;
import longlive.world.Script;

/**
 * Training clips from the Shapes world ({@link ClipStream}), seeded and random-access: clip i of the training split
 * depends only on (seed, i), so a resumed run sees exactly the clips the uninterrupted run would have.
 *
 * <p>The split never overlaps the held-out set: {@code ./longlive world export} writes samples 0..count-1 of the
 * stream with seed {@link #HELD_OUT_SEED}; every training clip whose script seed equals one of the first
 * {@code heldOutCount} held-out script seeds (or is a small integer, the seeds {@code world script} uses) is
 * replaced by a clip from a disjoint index range. Script seeds are 64-bit, so this almost never triggers; it makes
 * the guarantee exact instead of probabilistic.
 *
 * <p>Caption dropout for classifier-free guidance: with probability {@code captionDropout} (drawn from
 * (seed, index), not from a shared RNG) the caption is replaced by "" — the unconditional prompt the trained model
 * is later guided against.
 */
public final class ClipBatchSource {
    /** Default seed of {@code world export} (the held-out set). */
    public static final long HELD_OUT_SEED = 1000003;
    /** Held-out samples excluded by default (more than any export this project makes). */
    public static final int HELD_OUT_COUNT = 100_000;
    private static final long DISJOINT_OFFSET = 1L << 40;
    private static final long SMALL_SEEDS = 1L << 31;

    private final ClipStream stream;
    private final ClipStream.Options options;
    private final long seed;
    private final double captionDropout;
    private final Set<Long> heldOut = new HashSet<>();

    /**
     * @param seed           training stream seed (must differ from the held-out seed)
     * @param options        clip size, length, switch probability
     * @param captionDropout probability in [0, 1] of the unconditional caption
     * @param heldOutSeed    the held-out stream's seed
     * @param heldOutCount   how many held-out samples to exclude
     */
    public ClipBatchSource(long seed, ClipStream.Options options, double captionDropout, long heldOutSeed, int heldOutCount) {
        if (seed == heldOutSeed) throw new IllegalArgumentException("the training seed must differ from the held-out seed " + heldOutSeed);
        if (!(captionDropout >= 0 && captionDropout <= 1)) throw new IllegalArgumentException("caption dropout must be in [0, 1]");
        this.seed = seed;
        this.options = options;
        this.captionDropout = captionDropout;
        this.stream = new ClipStream(seed, options);
        ClipStream held = new ClipStream(heldOutSeed, options);
        for (int j = 0; j < heldOutCount; j++) heldOut.add(held.scriptSeed(j));
    }

    /** Default held-out exclusion ({@link #HELD_OUT_SEED}, {@link #HELD_OUT_COUNT}). */
    public ClipBatchSource(long seed, ClipStream.Options options, double captionDropout) {
        this(seed, options, captionDropout, HELD_OUT_SEED, HELD_OUT_COUNT);
    }

    /** The stream index used for training clip {@code index} (skipping held-out scripts). */
    long streamIndex(long index) {
        long i = index;
        while (excluded(stream.scriptSeed(i))) i += DISJOINT_OFFSET;
        return i;
    }

    /** Adds one script seed to the exclusion set (tests). */
    void excludeScriptSeed(long scriptSeed) {
        heldOut.add(scriptSeed);
    }

    boolean excluded(long scriptSeed) {
        return heldOut.contains(scriptSeed) || (scriptSeed >= 0 && scriptSeed < SMALL_SEEDS);
    }

    /** Training clip {@code index}. */
    public ClipBatch clip(long index) {
        Sample s = stream.sample(streamIndex(index));
        List<Frame> frames = s.frames();
        int f = frames.size(), h = options.height(), w = options.width();
        float[] px = new float[f * 3 * h * w];
        for (int t = 0; t < f; t++) toPixels(frames.get(t), px, t * 3 * h * w);
        boolean drop = dropsCaption(index);
        return new ClipBatch(index, px, f, h, w, drop ? "" : s.caption(), drop, s);
    }

    /** The script training clip {@code index} is rendered from (the same one {@link #clip} renders). */
    public Script script(long index) {
        return stream.script(streamIndex(index));
    }

    /** A world sample (e.g. a held-out one) as a clip with its caption, {@code size x size}. */
    static ClipBatch asBatch(long index, Sample s, int size) {
        List<Frame> frames = s.frames();
        float[] px = new float[frames.size() * 3 * size * size];
        for (int t = 0; t < frames.size(); t++) toPixels(frames.get(t), px, t * 3 * size * size);
        return new ClipBatch(index, px, frames.size(), size, size, s.caption(), false, s);
    }

    /** Whether clip {@code index} gets the unconditional (empty) caption. */
    public boolean dropsCaption(long index) {
        return captionDropout > 0 && StepRng.of(seed, StepRng.DROPOUT, index).nextDouble() < captionDropout;
    }

    /** Training clips {@code step·size .. step·size + size − 1}: batch {@code step} of a run. */
    public List<ClipBatch> batch(long step, int size) {
        ClipBatch[] out = new ClipBatch[size];
        for (int k = 0; k < size; k++) out[k] = clip(step * size + k);
        return List.of(out);
    }

    /** RGB bytes → {@code [3, H, W]} planes in [-1, 1] ({@code v/127.5 − 1}) at {@code off}. */
    static void toPixels(Frame fr, float[] out, int off) {
        byte[] rgb = fr.rgb();
        int hw = fr.width() * fr.height();
        for (int p = 0; p < hw; p++)
            for (int c = 0; c < 3; c++) out[off + c * hw + p] = (rgb[3 * p + c] & 0xff) / 127.5f - 1f;
    }

    public ClipStream.Options options() {
        return options;
    }

    public long seed() {
        return seed;
    }

    public double captionDropout() {
        return captionDropout;
    }
}
