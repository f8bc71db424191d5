package longlive.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.DoubleAdder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import longlive.kernel.Parallel;

/**
 * This machine's FP32 peak, two ways: the nominal one from /proc/cpuinfo
 * ({@code threads x GHz x FMA units x lanes x 2}) and a measured one (a register-only FMA loop on every thread),
 * because virtual machines report the base clock while the cores run at their boost clock.
 *
 * @param cpuModel    "model name" from /proc/cpuinfo (or os.arch when unreadable)
 * @param ghz         "cpu MHz" / 1000 (the clock the kernel reports; usually the base clock)
 * @param fmaUnits    FMA pipes per core at the vector width used (an assumption, see {@link #detect})
 * @param lanes       float lanes of the Vector API's preferred species
 * @param threads     threads the benchmark uses
 * @param assumptions how fmaUnits was chosen, for the report
 */
public record MachinePeak(String cpuModel, double ghz, int fmaUnits, int lanes, int threads, String assumptions) {

    /** Nominal peak GFLOP/s = threads x GHz x FMA units x lanes x 2. */
    public double nominalGflops() {
        return threads * ghz * fmaUnits * lanes * 2;
    }

    /**
     * Reads /proc/cpuinfo. FMA units: 2 per core (Intel server cores with AVX-512, AMD Zen 5 = cpu family 26,
     * and any AVX2-only core), except AMD Zen 4 (family 25) with 512-bit vectors, which splits each 512-bit FMA
     * into two 256-bit halves: 1.
     */
    public static MachinePeak detect(int threads) {
        VectorSpecies<Float> species = FloatVector.SPECIES_PREFERRED;
        int lanes = species.length();
        String model = System.getProperty("os.arch");
        double ghz = 0;
        int family = -1;
        boolean amd = false;
        try {
            List<String> lines = Files.readAllLines(Path.of("/proc/cpuinfo"));
            for (String line : lines) {
                String[] kv = line.split(":", 2);
                if (kv.length < 2) continue;
                String key = kv[0].trim(), val = kv[1].trim();
                if (key.equals("model name") && model.equals(System.getProperty("os.arch"))) model = val;
                if (key.equals("cpu MHz") && ghz == 0) ghz = Double.parseDouble(val) / 1000;
                if (key.equals("cpu family") && family < 0) family = Integer.parseInt(val);
                if (key.equals("vendor_id")) amd = val.contains("AMD");
            }
        } catch (IOException | RuntimeException e) {
            // not Linux or unreadable: the nominal peak is then unknown (ghz 0) and only the measured one is shown
        }
        int units = 2;
        String why = "2 FMA units per core";
        if (amd && family == 25 && lanes == 16) {
            units = 1;
            why = "AMD Zen 4 splits 512-bit FMAs into 2 x 256 bit: 1 FMA unit at 512 bits";
        } else if (amd && family == 26) {
            why = "AMD Zen 5 (cpu family 26): 2 full-width 512-bit FMA units per core";
        }
        return new MachinePeak(model, ghz, units, lanes, threads, why + "; clock = 'cpu MHz' of /proc/cpuinfo");
    }

    /**
     * Measured peak: every thread runs a loop of 12 independent register-resident vector FMAs for about
     * {@code millis} (repeated while the JIT is still improving it); returns the summed GFLOP/s.
     */
    public static double measureGflops(Parallel parallel, long millis) {
        // until C2 has compiled the loop it runs boxed in the interpreter/C1 (100-1000x slower), and on a loaded
        // machine the compile can take seconds: measure in rounds and keep the best, until it stops improving
        float[] warm = new float[FloatVector.SPECIES_PREFERRED.length()];
        long warmStart = System.nanoTime();
        while (System.nanoTime() - warmStart < 1_500_000_000L) fmaLoop(1 << 14, warm);
        double best = 0;
        for (int round = 0; round < 8; round++) {
            double rate = measureRound(parallel, millis);
            if (round >= 2 && rate < best * 1.1) return Math.max(best, rate);
            best = Math.max(best, rate);
        }
        return best;
    }

    private static double measureRound(Parallel parallel, long millis) {
        DoubleAdder total = new DoubleAdder();
        parallel.forRange(parallel.threads(), 1, (from, to) -> {
            for (int t = from; t < to; t++) {
                float[] sink = new float[FloatVector.SPECIES_PREFERRED.length()];
                long start = System.nanoTime(), iters = 0;
                while (System.nanoTime() - start < millis * 1_000_000) {
                    fmaLoop(1 << 14, sink);
                    iters += 1 << 14;
                }
                double secs = (System.nanoTime() - start) / 1e9;
                total.add(iters * 12.0 * 2 * FloatVector.SPECIES_PREFERRED.length() / secs / 1e9);
                if (sink[0] == 42) System.out.print("");   // keep the result alive
            }
        });
        return total.sum();
    }

    private static void fmaLoop(int n, float[] sink) {
        VectorSpecies<Float> s = FloatVector.SPECIES_PREFERRED;
        FloatVector a = FloatVector.broadcast(s, 0.999f), b = FloatVector.broadcast(s, 0.001f);
        FloatVector c0 = b, c1 = b, c2 = b, c3 = b, c4 = b, c5 = b, c6 = b, c7 = b, c8 = b, c9 = b, c10 = b, c11 = b;
        for (int i = 0; i < n; i++) {
            c0 = c0.fma(a, b); c1 = c1.fma(a, b); c2 = c2.fma(a, b); c3 = c3.fma(a, b);
            c4 = c4.fma(a, b); c5 = c5.fma(a, b); c6 = c6.fma(a, b); c7 = c7.fma(a, b);
            c8 = c8.fma(a, b); c9 = c9.fma(a, b); c10 = c10.fma(a, b); c11 = c11.fma(a, b);
        }
        c0.add(c1).add(c2).add(c3).add(c4).add(c5).add(c6).add(c7).add(c8).add(c9).add(c10).add(c11).intoArray(sink, 0);
    }
}
