package longlive.video;

import java.util.Arrays;

/**
 * One RGB video frame: 8 bits per channel, packed row-major as {@code rgb[3 * (y * width + x) + c]},
 * c = 0 red, 1 green, 2 blue. The one pixel type shared by the renderer, the MP4 and PNG readers and writers,
 * the metrics and (later) the generator's decoded output.
 */
public final class Frame {
    private final int width;
    private final int height;
    private final byte[] rgb;

    /** Wraps {@code rgb} (not copied); its length must be {@code 3 * width * height}. */
    public Frame(int width, int height, byte[] rgb) {
        if (width < 1 || height < 1) throw new IllegalArgumentException("frame size must be positive, got " + width + "x" + height);
        if (rgb.length != 3 * width * height) {
            throw new IllegalArgumentException("rgb has " + rgb.length + " bytes, a " + width + "x" + height
                    + " frame needs " + 3 * width * height);
        }
        this.width = width;
        this.height = height;
        this.rgb = rgb;
    }

    /** A black frame. */
    public static Frame black(int width, int height) {
        return new Frame(width, height, new byte[3 * width * height]);
    }

    public int width() {
        return width;
    }

    public int height() {
        return height;
    }

    /** The packed pixels (live, not a copy). */
    public byte[] rgb() {
        return rgb;
    }

    /** Channel c (0..2) of pixel (x, y) as 0..255. */
    public int get(int x, int y, int c) {
        return rgb[3 * (y * width + x) + c] & 0xFF;
    }

    /** Pixel (x, y) as 0xRRGGBB. */
    public int rgbAt(int x, int y) {
        int i = 3 * (y * width + x);
        return (rgb[i] & 0xFF) << 16 | (rgb[i + 1] & 0xFF) << 8 | (rgb[i + 2] & 0xFF);
    }

    public void set(int x, int y, int r, int g, int b) {
        int i = 3 * (y * width + x);
        rgb[i] = (byte) r;
        rgb[i + 1] = (byte) g;
        rgb[i + 2] = (byte) b;
    }

    public Frame copy() {
        return new Frame(width, height, rgb.clone());
    }

    /** Mean absolute difference per channel value (0..255) to a frame of the same size. */
    public double meanAbsDiff(Frame other) {
        if (other.width != width || other.height != height) {
            throw new IllegalArgumentException("frame sizes differ: " + width + "x" + height + " vs " + other.width + "x" + other.height);
        }
        long sum = 0;
        for (int i = 0; i < rgb.length; i++) sum += Math.abs((rgb[i] & 0xFF) - (other.rgb[i] & 0xFF));
        return (double) sum / rgb.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Frame f && f.width == width && f.height == height && Arrays.equals(f.rgb, rgb);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * width + height) + Arrays.hashCode(rgb);
    }

    @Override
    public String toString() {
        return "Frame[" + width + "x" + height + "]";
    }
}
