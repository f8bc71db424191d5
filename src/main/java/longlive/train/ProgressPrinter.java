package longlive.train;

import java.io.PrintStream;
import java.util.Locale;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * One progress line per report: {@code step 120/3000  loss 0.01234  grad-norm 1.23  lr 2.0e-06  3.41 steps/s
 * ETA 14m05s} plus any extra metrics of the step. Speed is measured over the steps since the previous line, so it
 * follows the current pace; the first line after a resume is not skewed by the steps done before it. Lines (not
 * carriage returns) so logs of long runs stay readable.
 */
public final class ProgressPrinter {
    private final PrintStream out;
    private final long total;
    private final int every;
    private final LongSupplier nanoClock;
    private long lastStep = -1;
    private long lastNanos;

    /**
     * @param total total steps of the run
     * @param every print every this many steps (the last step always prints)
     */
    public ProgressPrinter(PrintStream out, long total, int every) {
        this(out, total, every, System::nanoTime);
    }

    ProgressPrinter(PrintStream out, long total, int every, LongSupplier nanoClock) {
        if (every < 1) throw new IllegalArgumentException("print interval must be >= 1");
        this.out = out;
        this.total = total;
        this.every = every;
        this.nanoClock = nanoClock;
    }

    /** Marks where timing starts (the step count already done, e.g. after a resume). */
    public void start(long stepsDone) {
        lastStep = stepsDone;
        lastNanos = nanoClock.getAsLong();
    }

    /** Reports that {@code stepsDone} steps are complete; prints when due. Returns the line printed, or null. */
    public String step(long stepsDone, Trainer.StepResult r) {
        if (lastStep < 0) start(stepsDone - 1);
        if (stepsDone % every != 0 && stepsDone != total) return null;
        long now = nanoClock.getAsLong();
        double secs = (now - lastNanos) / 1e9;
        double rate = secs > 0 ? (stepsDone - lastStep) / secs : 0;
        lastStep = stepsDone;
        lastNanos = now;
        String line = format(stepsDone, r, rate);
        out.println(line);
        out.flush();
        return line;
    }

    /** Prints an event line (checkpoint saved, stop requested, resumed). */
    public void note(String line) {
        out.println(line);
        out.flush();
    }

    String format(long stepsDone, Trainer.StepResult r, double stepsPerSecond) {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "step %d/%d  loss %.5g  grad-norm %.3g  lr %.2e",
                stepsDone, total, r.loss(), r.gradNorm(), r.lr()));
        for (Map.Entry<String, Double> e : r.extra().entrySet())
            sb.append(String.format(Locale.ROOT, "  %s %.4g", e.getKey(), e.getValue()));
        sb.append(String.format(Locale.ROOT, "  %.3g steps/s", stepsPerSecond));
        if (stepsPerSecond > 0 && stepsDone < total) sb.append("  ETA ").append(duration((total - stepsDone) / stepsPerSecond));
        return sb.toString();
    }

    /** 45s, 14m05s, 3h02m. */
    static String duration(double seconds) {
        long s = Math.round(seconds);
        if (s < 60) return s + "s";
        if (s < 3600) return String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
        return String.format(Locale.ROOT, "%dh%02dm", s / 3600, (s % 3600) / 60);
    }
}
