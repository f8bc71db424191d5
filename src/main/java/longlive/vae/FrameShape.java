package longlive.vae;

/**
 * The shape of a channels-last clip {@code [frames, height, width, channels]} flowing between VAE layers.
 */
public record FrameShape(int frames, int height, int width, int channels) {
    public FrameShape {
        if (frames < 0 || height < 1 || width < 1 || channels < 1)
            throw new IllegalArgumentException("FrameShape: bad shape [" + frames + ", " + height + ", " + width + ", "
                    + channels + "]");
    }

    /** {@code frames * height * width}: rows of the channels-last matrix. */
    public int positions() {
        return frames * height * width;
    }

    /** Floats of one frame. */
    public int frameSize() {
        return height * width * channels;
    }

    /** Floats of the whole clip. */
    public long size() {
        return (long) frames * frameSize();
    }

    public FrameShape withFrames(int f) {
        return new FrameShape(f, height, width, channels);
    }

    public FrameShape withChannels(int c) {
        return new FrameShape(frames, height, width, c);
    }

    @Override
    public String toString() {
        return "[" + frames + ", " + height + ", " + width + ", " + channels + "]";
    }
}
