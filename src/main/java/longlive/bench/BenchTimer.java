package longlive.bench;

import java.lang.management.ManagementFactory;
import java.util.Arrays;

/** Warm-up runs, then the median wall time of timed runs; runs until a time budget is used (within limits). */
public final class BenchTimer {
    private BenchTimer() {}

    /**
     * @param medianSeconds median wall time of one run
     * @param cpuSeconds    CPU time of the whole process per timed run (all threads; includes any other threads of
     *                      this JVM, which are idle during a benchmark). On a machine shared with other jobs,
     *                      flops / cpuSeconds shows how fast the kernel runs while it actually has a core.
     */
    public record Result(double medianSeconds, double cpuSeconds) {}

    /** Like {@link #medianSeconds} and also the process CPU time per timed run. */
    public static Result measure(Runnable op, int warmups, int minRuns, int maxRuns, long budgetNanos) {
        long[] cpu = new long[2];
        double median = medianSeconds(op, warmups, minRuns, maxRuns, budgetNanos, cpu);
        return new Result(median, cpu[0] / 1e9 / Math.max(1, cpu[1]));
    }

    private static long processCpuNanos() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os)
            return os.getProcessCpuTime();
        return -1;
    }

    /**
     * @param warmups     untimed runs first (JIT compilation, page faults, thread start)
     * @param minRuns     at least this many timed runs
     * @param maxRuns     at most this many
     * @param budgetNanos stop adding timed runs (beyond minRuns) once this much time is spent
     * @return median seconds per run
     */
    public static double medianSeconds(Runnable op, int warmups, int minRuns, int maxRuns, long budgetNanos) {
        return medianSeconds(op, warmups, minRuns, maxRuns, budgetNanos, new long[2]);
    }

    /** cpuOut receives {process CPU nanos over the timed runs, number of timed runs}. */
    private static double medianSeconds(Runnable op, int warmups, int minRuns, int maxRuns, long budgetNanos,
                                        long[] cpuOut) {
        // warm up for at least `warmups` runs and ~1.5 s: the JIT needs a few thousand calls of the tile kernels
        // (longer on a loaded machine) before the C2 code with vectors in registers replaces the slow tiers
        long warmEnd = System.nanoTime() + 1_500_000_000L;
        for (int i = 0; i < warmups || (System.nanoTime() < warmEnd && i < 20_000); i++) op.run();
        double[] times = new double[maxRuns];
        int n = 0;
        long start = System.nanoTime(), cpu0 = processCpuNanos();
        while (n < maxRuns && (n < minRuns || System.nanoTime() - start < budgetNanos)) {
            long t0 = System.nanoTime();
            op.run();
            times[n++] = (System.nanoTime() - t0) / 1e9;
        }
        cpuOut[0] = processCpuNanos() - cpu0;
        cpuOut[1] = n;
        double[] t = Arrays.copyOf(times, n);
        Arrays.sort(t);
        return n % 2 == 1 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
    }
}
