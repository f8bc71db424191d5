package longlive.vae;

/**
 * The streaming state of ONE convolution: the last {@code capacity} input frames it has seen (the reference's
 * {@code feat_cache[idx]}, at most {@code CACHE_T = 2} frames), oldest first. Before any frame it is empty and the
 * conv pads with zeros instead, which is what the reference does with a {@code None} cache.
 */
public final class TimeHistory {
    private final int capacity, frameSize;
    private final float[] frames;
    private int count;

    /** @param frameSize floats per frame ({@code h * w * c} of the conv's input) */
    public TimeHistory(int capacity, int frameSize) {
        if (capacity < 1 || frameSize < 1)
            throw new IllegalArgumentException("TimeHistory: capacity " + capacity + ", frame size " + frameSize);
        this.capacity = capacity;
        this.frameSize = frameSize;
        this.frames = new float[capacity * frameSize];
    }

    /** The kept frames {@code [count, frameSize]}, oldest first. */
    public float[] data() {
        return frames;
    }

    /** Frames kept, {@code 0..capacity}. */
    public int count() {
        return count;
    }

    public int capacity() {
        return capacity;
    }

    /** Appends {@code n} frames {@code x [n, frameSize]} and keeps only the last {@code capacity} frames. */
    public void push(float[] x, int n) {
        if (n <= 0) return;
        if ((long) n * frameSize > x.length)
            throw new IllegalArgumentException("TimeHistory: " + n + " frames of " + frameSize + " floats do not fit "
                    + x.length);
        if (n >= capacity) {
            System.arraycopy(x, (n - capacity) * frameSize, frames, 0, capacity * frameSize);
            count = capacity;
            return;
        }
        int keep = Math.min(count, capacity - n); // old frames that stay, moved to the front
        System.arraycopy(frames, (count - keep) * frameSize, frames, 0, keep * frameSize);
        System.arraycopy(x, 0, frames, keep * frameSize, n * frameSize);
        count = keep + n;
    }

    /** Forgets every frame (a new video starts). */
    public void clear() {
        count = 0;
    }
}
