package longlive.bench;

import java.util.Arrays;

/** Warm-up runs, then the median wall time of timed runs; runs until a time budget is used (within limits). */
public final class BenchTimer {
    private BenchTimer() {}

    /**
     * @param warmups     untimed runs first (JIT compilation, page faults, thread start)
     * @param minRuns     at least this many timed runs
     * @param maxRuns     at most this many
     * @param budgetNanos stop adding timed runs (beyond minRuns) once this much time is spent
     * @return median seconds per run
     */
    public static double medianSeconds(Runnable op, int warmups, int minRuns, int maxRuns, long budgetNanos) {
        for (int i = 0; i < warmups; i++) op.run();
        double[] times = new double[maxRuns];
        int n = 0;
        long start = System.nanoTime();
        while (n < maxRuns && (n < minRuns || System.nanoTime() - start < budgetNanos)) {
            long t0 = System.nanoTime();
            op.run();
            times[n++] = (System.nanoTime() - t0) / 1e9;
        }
        double[] t = Arrays.copyOf(times, n);
        Arrays.sort(t);
        return n % 2 == 1 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
    }
}
