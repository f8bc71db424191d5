package longlive.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/**
 * The fast kernels give the same bits whether they run interpreted (the Vector API's Java fallback) or
 * C2-compiled (intrinsics). {@code lanewise(EXP)} and {@code reduceLanes(ADD)} did not: this is what made two
 * generations in one JVM differ by ~1 ulp.
 */
class KernelDeterminismTest {
    /** Keeps the warm-up results alive so that C2 cannot drop the loop. */
    static volatile float blackhole;

    /** Same fingerprints from a first call (interpreted, unless another test warmed the kernels) and after warm-up. */
    @Test
    void firstCallMatchesCallAfterWarmUp() {
        Map<String, Long> first = KernelDeterminismProbe.run();
        warmUp();
        Map<String, Long> last = KernelDeterminismProbe.run();
        assertEquals(first, last);
    }

    /**
     * A child JVM run with {@code -Xint} (every Vector API op through its Java fallback) gives the same
     * fingerprints as this JVM after warm-up (C2 intrinsics): holds however warm this JVM already was.
     */
    @Test
    void interpretedJvmMatchesCompiled() throws IOException, InterruptedException {
        warmUp();
        Map<String, Long> compiled = KernelDeterminismProbe.run();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-Xint", "--add-modules", "jdk.incubator.vector", "-cp",
                System.getProperty("java.class.path"), KernelDeterminismProbe.class.getName())
                .redirectErrorStream(true).start();
        String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), "interpreted probe did not finish");
        assertEquals(0, p.exitValue(), "interpreted probe failed:\n" + text);
        Map<String, Long> interpreted = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            if (line.startsWith("WARNING")) continue;    // "Using incubator modules"
            int eq = line.lastIndexOf('=');
            if (eq > 0) interpreted.put(line.substring(0, eq), Long.parseLong(line.substring(eq + 1).trim()));
        }
        assertEquals(compiled, interpreted);
    }

    /** Enough calls of the building blocks and the kernels that C2 compiles them (default threshold ~10k). */
    private static void warmUp() {
        float[] a = new float[FloatVector.SPECIES_PREFERRED.length()];
        for (int i = 0; i < a.length; i++) a[i] = i * 0.37f - 2;
        FloatVector v = FloatVector.fromArray(FloatVector.SPECIES_PREFERRED, a, 0);
        float sink = 0;
        for (int i = 0; i < 20_000; i++) {
            sink += VectorMath.sum(VectorMath.exp(v.neg()).add(VectorMath.tanh(v)).add(VectorMath.sigmoid(v)));
            v = v.add(1e-6f);
        }
        for (int i = 0; i < 150; i++) sink += KernelDeterminismProbe.run().size();
        blackhole = sink;
    }
}
