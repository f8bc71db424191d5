package longlive.kernel;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;

/**
 * The worker threads that kernels split their work over. Kernels receive one of these (never look it up
 * globally), so tests can run the same kernel serially and on many threads.
 *
 * <p>Work is split into a few coarse, contiguous ranges, one per thread, so each call costs a handful of
 * task objects, not one per element: kernels call this once per operation, never inside inner loops.
 */
public final class Parallel implements AutoCloseable {

    /** Body of a range loop: processes indices {@code [from, to)}. */
    @FunctionalInterface
    public interface RangeBody {
        void run(int from, int to);
    }

    private static final Parallel SERIAL = new Parallel(1);

    private final int threads;
    private final ForkJoinPool pool;

    /** A pool of {@code threads} workers; 1 means everything runs on the calling thread. */
    public Parallel(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        this.threads = threads;
        this.pool = threads == 1 ? null : new ForkJoinPool(threads);
    }

    /** One worker per available core. */
    public static Parallel allCores() {
        return new Parallel(Runtime.getRuntime().availableProcessors());
    }

    /** Runs everything on the calling thread. */
    public static Parallel serial() {
        return SERIAL;
    }

    public int threads() {
        return threads;
    }

    /** Runs {@code body(i)} for every i in {@code [0, tasks)}; tasks are independent and may run in any order. */
    public void forEach(int tasks, IntConsumer body) {
        forRange(tasks, 1, (from, to) -> {
            for (int i = from; i < to; i++) body.accept(i);
        });
    }

    /**
     * Splits {@code [0, n)} into at most {@link #threads()} contiguous ranges of at least {@code minGrain}
     * indices and runs them in parallel; returns when all are done. Exceptions propagate to the caller.
     */
    public void forRange(int n, int minGrain, RangeBody body) {
        if (n <= 0) return;
        int parts = Math.min(threads, Math.max(1, n / Math.max(1, minGrain)));
        if (parts == 1 || pool == null || ForkJoinTask.inForkJoinPool()) {
            body.run(0, n);
            return;
        }
        ForkJoinTask<?>[] forked = new ForkJoinTask<?>[parts - 1];
        for (int p = 1; p < parts; p++) {
            int from = (int) ((long) n * p / parts), to = (int) ((long) n * (p + 1) / parts);
            forked[p - 1] = pool.submit(() -> body.run(from, to));
        }
        body.run(0, (int) ((long) n / parts));
        for (ForkJoinTask<?> t : forked) t.join();
    }

    @Override
    public void close() {
        if (pool != null) {
            pool.shutdown();
            try {
                pool.awaitTermination(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
