package longlive.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import longlive.kernel.Parallel;
import longlive.kernel.VectorAttention;
import longlive.kernel.VectorMatMul;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code longlive bench}: GFLOP/s of the GEMM and attention kernels at the model's sizes and the tiny model's
 * sizes (forward and backward), as a fraction of this machine's FP32 peak.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Measure the GEMM and attention kernels (GFLOP/s, fraction of the FP32 peak).",
                "Each line: warm-up runs, then the median of several timed runs (wall time of the kernel call only;",
                "operands are allocated before timing). GFLOP/cpu-s divides by the process CPU time instead of the wall",
                "time: on a machine shared with other jobs it shows the speed while the kernel actually has a core.",
                "Side by side with PyTorch: ./longlive bench --vs-pytorch (builds and runs the bench/ module)."})
public final class BenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--quick", description = "Small sizes (a smoke test, a few seconds).")
    boolean quick;

    @Option(names = "--threads", paramLabel = "N", description = "Worker threads (default: all cores).")
    Integer threads;

    @Option(names = "--json", paramLabel = "FILE", description = "Also write the results as JSON to FILE.")
    Path json;

    @Option(names = "--filter", paramLabel = "TEXT", description = "Only cases whose group/op/shape contains TEXT.")
    String filter;

    @Option(names = "--vs-pytorch", description = "Handled by the ./longlive launcher (needs the bench/ module).")
    boolean vsPytorch;

    @Override
    public Integer call() throws IOException {
        if (vsPytorch)
            throw new IllegalArgumentException("--vs-pytorch is run by the launcher: use './longlive bench --vs-pytorch'");
        int n = threads == null ? Runtime.getRuntime().availableProcessors() : threads;
        if (n < 1) throw new IllegalArgumentException("--threads must be >= 1, got " + n);
        PrintWriter out = spec.commandLine().getOut();
        try (Parallel parallel = new Parallel(n)) {
            MachinePeak peak = MachinePeak.detect(n);
            double measured = MachinePeak.measureGflops(parallel, quick ? 200 : 1000);
            out.printf("CPU: %s, %d threads, %d float lanes (%s)%n", peak.cpuModel(), n, peak.lanes(),
                    jdk.incubator.vector.FloatVector.SPECIES_PREFERRED);
            out.printf("FP32 peak, nominal: %d threads x %.2f GHz x %d FMA units x %d lanes x 2 = %.0f GFLOP/s (%s)%n",
                    n, peak.ghz(), peak.fmaUnits(), peak.lanes(), peak.nominalGflops(), peak.assumptions());
            out.printf("FP32 peak, measured (register-only FMA loop on every thread): %.0f GFLOP/s%n", measured);
            out.printf("Load average at start: %s%n%n", loadAverage());
            out.printf("%-6s %-14s %-24s %10s %9s %8s %9s %12s%n", "group", "op", "shape", "median ms", "GFLOP/s",
                    "%nominal", "%measured", "GFLOP/cpu-s");
            out.flush();
            List<Map<String, Object>> rows = new ArrayList<>();
            List<BenchCase> cases = new ArrayList<>(BenchSuite.cases(quick, new VectorMatMul(parallel),
                    new VectorAttention(parallel)));
            cases.addAll(BenchSuite.vaeCases(parallel));
            for (BenchCase c : cases) {
                String label = c.group() + " " + c.op() + " " + c.shape();
                if (filter != null && !label.contains(filter)) continue;
                BenchTimer.Result r = time(c);
                double secs = r.medianSeconds(), gflops = c.flops() / secs / 1e9, perCpu = c.flops() / r.cpuSeconds() / 1e9;
                double pNom = peak.ghz() > 0 ? 100 * gflops / peak.nominalGflops() : Double.NaN;
                out.printf("%-6s %-14s %-24s %10.2f %9.1f %7.1f%% %8.1f%% %12.1f%n", c.group(), c.op(), c.shape(),
                        secs * 1e3, gflops, pNom, 100 * gflops / measured, perCpu);
                out.flush();
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("group", c.group());
                row.put("op", c.op());
                row.put("shape", c.shape());
                row.put("medianSeconds", secs);
                row.put("gflops", gflops);
                row.put("gflopsPerCpuSecond", perCpu);
                row.put("fractionOfNominalPeak", Double.isNaN(pNom) ? null : pNom / 100);
                row.put("fractionOfMeasuredPeak", gflops / measured);
                rows.add(row);
            }
            if (json != null) {
                Map<String, Object> doc = new LinkedHashMap<>();
                doc.put("date", ZonedDateTime.now().toString());
                doc.put("cpu", peak.cpuModel());
                doc.put("threads", n);
                doc.put("lanes", peak.lanes());
                doc.put("nominalPeakGflops", peak.nominalGflops());
                doc.put("nominalPeakFormula", n + " threads x " + peak.ghz() + " GHz x " + peak.fmaUnits()
                        + " FMA units x " + peak.lanes() + " lanes x 2 (" + peak.assumptions() + ")");
                doc.put("measuredPeakGflops", measured);
                doc.put("loadAverage", loadAverage());
                doc.put("results", rows);
                new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(json.toFile(), doc);
                out.println("\nwrote " + json);
            }
        }
        return 0;
    }

    /** Median seconds of one case: fewer runs for the multi-second model-size attention. */
    public static BenchTimer.Result time(BenchCase c) {
        boolean big = c.flops() > 1e11;
        return BenchTimer.measure(c.run(), big ? 1 : 3, big ? 3 : 5, big ? 5 : 50, big ? 5_000_000_000L : 2_000_000_000L);
    }

    /** The 1/5/15-minute load average (Linux), or "unknown". */
    public static String loadAverage() {
        try {
            String[] f = java.nio.file.Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }
}
