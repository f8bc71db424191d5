package longlive.eval;

import java.util.List;

/**
 * Everything measured on one frame.
 *
 * @param background   the background's kind and colours as seen
 * @param blobs        foreground regions, largest first
 * @param sharpness    edge sharpness: typical steepest luma step across an edge relative to the edge's contrast
 *                     (about 0.5 for a one-pixel anti-aliased edge, lower when blurred)
 * @param noise        RMS distance (RGB units) of background pixels from the background model: noise in flat regions
 * @param clipped      share of pixels with a channel at 0 or 255 (over-saturation)
 * @param paletteError mean CIELAB distance of object and background colours to the nearest named colour
 * @param backgroundLab mean CIELAB colour of the background pixels
 */
public record FrameAnalysis(BackgroundGuess background, List<Blob> blobs, double sharpness, double noise, double clipped, double paletteError,
                            double[] backgroundLab) {
    public FrameAnalysis {
        blobs = List.copyOf(blobs);
    }
}
