package longlive.vae;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import longlive.dit.Golden;
import longlive.io.SafeTensors;
import longlive.io.StateDict;
import longlive.kernel.Parallel;
import longlive.tensor.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** Parity with the reference Wan-VAE run on tiny random weights (golden/vae, see docs/golden.md). */
class VaeGoldenTest {
    private static final Parallel PAR = new Parallel(2);

    @AfterAll
    static void close() {
        PAR.close();
    }

    private static Tensor expected(Path dir, String name) {
        try (StateDict sd = SafeTensors.load(dir.resolve("expected.safetensors"))) {
            return sd.tensor(name);
        }
    }

    private static void check(String caseName, String tensor, VaeKernels k, String kind) throws Exception {
        Path dir = Golden.dir("vae/" + caseName);
        Tensor ref = expected(dir, tensor);
        Tensor ours = VaeReplayCase.run(dir, k);
        assertArrayEquals(ref.shape(), ours.shape(), caseName + " shape");
        double rel = Golden.relError(ours.data(), ref.data());
        System.out.printf("vae %s (%s kernels): rel err %.3e%n", caseName, kind, rel);
        assertTrue(rel <= 1e-3, caseName + " " + kind + ": relative error " + rel + " > 1e-3");
    }

    @Test
    void decodeMatchesReferenceScalar() throws Exception {
        check("decode", "video", VaeKernels.scalar(PAR), "scalar");
    }

    @Test
    void decodeMatchesReferenceFast() throws Exception {
        check("decode", "video", VaeKernels.fast(PAR), "fast");
    }

    @Test
    void encodeMatchesReferenceScalar() throws Exception {
        check("encode", "mu", VaeKernels.scalar(PAR), "scalar");
    }

    @Test
    void encodeMatchesReferenceFast() throws Exception {
        check("encode", "mu", VaeKernels.fast(PAR), "fast");
    }
}
