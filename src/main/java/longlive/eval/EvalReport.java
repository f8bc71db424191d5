package longlive.eval;

import java.util.List;
import java.util.Map;

/**
 * The result of evaluating one video against its script, as written to the JSON report. Adherence figures are
 * fractions of frames (0..1) in which the stated attribute holds; null where the script states no attributes
 * (a prompt-only script) or a figure cannot be measured.
 *
 * @param video     the evaluated file or folder
 * @param script    the script file (or null)
 * @param hasWorld  whether the script had structured attributes (otherwise no adherence figures)
 */
public record EvalReport(String video, String script, int width, int height, double fps, int frames, boolean hasWorld, Summary summary,
                         List<SegmentReport> segments, List<SwitchReport> switches, Map<String, Drift> drift, Timeline timeline) {

    /**
     * Whole-video figures: frame-weighted means over segments.
     *
     * @param adherence             mean of the per-attribute adherences
     * @param adherenceByAttribute  color, shape, size, motion, background, count
     * @param subjectConsistency    1 = every object keeps its colour and shape through each segment
     * @param backgroundConsistency 1 = the background's colour stays put through each segment
     * @param jitterPx              mean |second difference| of object tracks, pixels per frame
     * @param teleports             frames where an object moved more than {@link Evaluator#TELEPORT_UNITS} inside a segment
     * @param frozenFrames          frames identical to the previous one while a stated motion should move something
     * @param meanSwitchLatency     mean frames until a switch's new static attributes hold (null: no switches or no world)
     * @param maxSwitchJump         largest jump of a continuing object across a non-cut switch, frame-short-side units
     */
    public record Summary(Double adherence, Map<String, Double> adherenceByAttribute, double subjectConsistency, double backgroundConsistency,
                          double jitterPx, int teleports, int frozenFrames, double sharpness, double noise, double paletteError, double clipped,
                          Double meanSwitchLatency, double maxSwitchJump) {
    }

    /** Figures for one prompt segment [startFrame, endFrame). */
    public record SegmentReport(int index, String prompt, int startFrame, int endFrame, Map<String, Double> adherence, double subjectConsistency,
                                double backgroundConsistency, double jitterPx, int teleports, int lostFrames, int frozenFrames, double sharpness,
                                double noise, double paletteError, double clipped) {
    }

    /**
     * One prompt switch.
     *
     * @param latencyFrames frames from the switch until the new segment's colour, shape, size, background and count
     *                      all hold for 4 frames in a row; null without a world, -1 if they never do
     * @param jump          largest displacement of a continuing object from the last frame before to the first after
     *                      (frame-short-side units)
     * @param continuous    jump small enough to be ordinary motion (always true at an intended cut)
     */
    public record SwitchReport(int index, int frame, boolean cut, Integer latencyFrames, double jump, boolean continuous) {
    }

    /** A figure over time: per-bin means (minutes for videos of 2 minutes and more, else tenths), first, last, slope. */
    public record Drift(double binSeconds, List<Double> bins, double first, double last, double delta, double slopePerMinute) {
    }

    /** Per-frame curves, averaged over {@code step} frames for plotting. */
    public record Timeline(int step, List<Double> adherence, List<Double> sharpness, List<Double> noise, List<Integer> segment) {
    }
}
