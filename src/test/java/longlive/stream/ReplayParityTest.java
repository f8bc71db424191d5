package longlive.stream;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import longlive.dit.DitKernels;
import longlive.dit.Golden;
import longlive.io.SafeTensors;
import longlive.io.StateDict;
import longlive.kernel.Parallel;
import longlive.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The {@code replay} logic on every golden DiT case (the reference pipeline run on tiny random weights with given
 * noise): relative error max|ours - ref| / max|ref| must be <= 1e-3 on the latents.
 */
class ReplayParityTest {
    static final double TOL = 1e-3;

    static Stream<String> cases() throws Exception {
        try (Stream<Path> s = Files.list(Golden.dir("dit"))) {
            List<String> names = s.filter(Files::isDirectory).map(p -> p.getFileName().toString()).sorted().toList();
            return names.stream();
        }
    }

    @Test
    void goldenCasesExist() throws Exception {
        List<String> names = cases().toList();
        for (String need : List.of("no_switch", "switch_global_sink", "switch_no_global_sink", "two_switches",
                "global_attention", "rolled_window", "relative_rope", "switch_not_on_block_boundary"))
            assertTrue(names.contains(need), "golden case dit/" + need + " is missing; have " + names);
    }

    @ParameterizedTest
    @MethodSource("cases")
    void replayMatchesReference(String name) throws Exception {
        Path dir = Golden.dir("dit/" + name);
        ReplayCase c = ReplayCase.read(dir);
        Tensor ours;
        try (Parallel par = new Parallel(2)) {
            ours = c.run(DitKernels.fast(par));
        }
        try (StateDict exp = SafeTensors.load(dir.resolve("expected.safetensors"))) {
            Tensor ref = exp.tensor("latents", ours.shape());
            double err = Golden.relError(ours.data(), ref.data());
            System.out.printf("replay %-30s rel err %.3e%n", name, err);
            assertTrue(err <= TOL, name + ": relative error " + err + " > " + TOL);
        }
    }
}
