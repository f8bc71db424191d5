package longlive.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import jdk.incubator.vector.FloatVector;
import longlive.kernel.Parallel;
import longlive.kernel.ScalarAttention;
import longlive.kernel.ScalarMatMul;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The benchmark's case list, FLOP counts, peak formula and argument errors (the timing itself is not tested). */
class BenchTest {

    @Test
    void quickSuiteHasEveryOpWithTheRightFlops() {
        List<BenchCase> cases = BenchSuite.cases(true, new ScalarMatMul(Parallel.serial()), new ScalarAttention(Parallel.serial()));
        Set<String> ops = cases.stream().map(BenchCase::op).collect(Collectors.toSet());
        assertEquals(Set.of("gemm", "gemm-bwd-dX", "gemm-bwd-dW", "attention", "attention-bwd"), ops);
        BenchCase first = cases.get(0);
        assertEquals("468x1536x1536", first.shape());
        assertEquals(2.0 * 468 * 1536 * 1536, first.flops());
        BenchCase att = cases.stream().filter(c -> c.op().equals("attention") && c.group().equals("tiny")).findFirst().orElseThrow();
        assertEquals(4.0 * 192 * 768 * 4 * 64, att.flops());
        assertTrue(cases.stream().noneMatch(c -> c.group().equals("model")), "--quick must not build model-size operands");
    }

    @Test
    void vaeCasesPairEveryConvWithItsIm2colTwin() {
        List<BenchCase> cases = BenchSuite.vaeCases(Parallel.serial());
        assertEquals(6, cases.size());
        for (int i = 0; i < cases.size(); i += 2) {
            assertEquals("vae-conv", cases.get(i).op());
            assertEquals("vae-conv-im2col", cases.get(i + 1).op());
            assertEquals(cases.get(i).shape(), cases.get(i + 1).shape());
            assertTrue(cases.get(i).isVaeConv() && !cases.get(i).isAttention());
        }
        assertEquals("8->8 4x128x128", cases.get(0).shape());
        assertEquals(2.0 * 4 * 128 * 128 * 8 * 8 * 27, cases.get(0).flops());
    }

    @Test
    void nominalPeakIsThreadsTimesClockTimesUnitsTimesLanesTimesTwo() {
        MachinePeak p = MachinePeak.detect(3);
        assertEquals(FloatVector.SPECIES_PREFERRED.length(), p.lanes());
        assertEquals(3 * p.ghz() * p.fmaUnits() * p.lanes() * 2, p.nominalGflops(), 1e-9);
    }

    @Test
    void badArgumentsFailWithoutRunning() {
        for (String[] args : new String[][] {{"--threads", "0"}, {"--vs-pytorch"}}) {
            CommandLine cli = new CommandLine(new BenchCommand());
            StringWriter err = new StringWriter();
            cli.setErr(new PrintWriter(err));
            cli.setOut(new PrintWriter(new StringWriter()));
            assertNotEquals(0, cli.execute(args), String.join(" ", args));
        }
    }
}
